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
