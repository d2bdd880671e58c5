/** Fixtures shared by the unit tests: a PPO-like params schema as pydantic v2 writes it. */
import type { JsonSchema } from '../api/types';

export const PPO_PARAMS_SCHEMA: JsonSchema = {
  title: 'PPOParams',
  description: 'Clipped-ratio PPO.',
  type: 'object',
  additionalProperties: false,
  properties: {
    discount: {
      title: 'Discount',
      type: 'number',
      default: 0.99,
      exclusiveMinimum: 0,
      maximum: 1,
      description: 'Reward discount factor gamma.',
    },
    learning_rate: {
      title: 'Learning Rate',
      type: 'number',
      default: 0.001,
      exclusiveMinimum: 0,
      description: 'Adam learning rate.',
    },
    minibatches: { title: 'Minibatches', type: 'integer', default: 4, minimum: 1 },
    linear_lr_schedule: {
      title: 'Linear Lr Schedule',
      type: 'boolean',
      default: true,
      description: 'Anneal learning rate and ratio_clip linearly to 0 over the run.',
    },
    max_grad_norm: {
      title: 'Max Grad Norm',
      anyOf: [{ type: 'number', exclusiveMinimum: 0 }, { type: 'null' }],
      default: null,
    },
    activation: { $ref: '#/$defs/Activation', default: 'tanh' },
    hidden_sizes: { title: 'Hidden Sizes', type: 'array', items: { type: 'integer' } },
    extra: { title: 'Extra', type: 'object' },
  },
  $defs: {
    Activation: { title: 'Activation', type: 'string', enum: ['tanh', 'relu'] },
  },
};

/** The experiment spec's JSON Schema as pydantic writes it, cut down to what the form reads. */
export const SPEC_SCHEMA: JsonSchema = {
  title: 'ExperimentSpec',
  type: 'object',
  properties: {
    name: { title: 'Name', type: 'string', default: 'experiment' },
    env: { $ref: '#/$defs/EnvSpec' },
    model: { $ref: '#/$defs/ModelSpec' },
    sampler: { $ref: '#/$defs/SamplerSpec' },
    runner: { $ref: '#/$defs/RunnerSpec' },
    device: { title: 'Device', type: 'string', enum: ['auto', 'cpu', 'cuda'], default: 'auto' },
    seeds: { title: 'Seeds', type: 'array', items: { type: 'integer', minimum: 0 } },
  },
  $defs: {
    EnvSpec: { title: 'EnvSpec', type: 'object', properties: { id: { type: 'string' } } },
    ModelSpec: {
      title: 'ModelSpec',
      type: 'object',
      description: 'Options of the model.',
      properties: {
        hidden_sizes: {
          title: 'Hidden Sizes',
          anyOf: [{ type: 'array', items: { type: 'integer', minimum: 1, maximum: 4096 }, maxItems: 8 }, { type: 'null' }],
          default: null,
          description: 'Units per hidden layer.',
        },
        nonlinearity: { title: 'Nonlinearity', anyOf: [{ type: 'string', enum: ['tanh', 'relu'] }, { type: 'null' }], default: null },
        recurrent: { title: 'Recurrent', type: 'boolean', default: false, description: 'Put an LSTM after the MLP.' },
        lstm_size: { title: 'Lstm Size', anyOf: [{ type: 'integer', minimum: 1, maximum: 4096 }, { type: 'null' }], default: null },
        dueling: { title: 'Dueling', type: 'boolean', default: false },
      },
    },
    SamplerSpec: {
      title: 'SamplerSpec',
      type: 'object',
      properties: {
        kind: { title: 'Kind', type: 'string', enum: ['serial', 'cpu', 'gpu', 'alternating'], default: 'serial' },
        batch_T: { title: 'Batch T', type: 'integer', minimum: 1, default: 128 },
        batch_B: { title: 'Batch B', type: 'integer', minimum: 1, maximum: 4096, default: 8 },
        affinity: { anyOf: [{ $ref: '#/$defs/Affinity' }, { type: 'null' }], default: null },
      },
    },
    Affinity: { title: 'Affinity', type: 'object', properties: { set_affinity: { type: 'boolean' } } },
    RunnerSpec: {
      title: 'RunnerSpec',
      type: 'object',
      properties: {
        kind: { title: 'Kind', type: 'string', enum: ['minibatch', 'minibatch_eval'], default: 'minibatch' },
        n_steps: { title: 'N Steps', type: 'integer', minimum: 1, default: 100000 },
        log_interval_steps: { title: 'Log Interval Steps', type: 'integer', minimum: 1, default: 10000 },
      },
    },
  },
};
