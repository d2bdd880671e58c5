import { describe, expect, it } from 'vitest';
import { fieldsFromSchema } from './schemaFields';
import {
  buildSpec,
  changedParams,
  defaultExperimentName,
  initialFormValues,
  paramInputsFromDefaults,
  type LaunchFormValues,
} from './spec';
import { PPO_PARAMS_SCHEMA } from './testdata';

const fields = fieldsFromSchema(PPO_PARAMS_SCHEMA);

function form(overrides: Partial<LaunchFormValues> = {}): LaunchFormValues {
  return { ...initialFormValues(), params: paramInputsFromDefaults(fields), ...overrides };
}

describe('initial values', () => {
  it('defaults to PPO on CartPole-v1, 100000 steps, 3 seeds', () => {
    const v = initialFormValues();
    expect(v).toMatchObject({ envId: 'CartPole-v1', algo: 'PPO', nSteps: '100000', nSeeds: '3', name: 'ppo-CartPole-v1' });
    expect(defaultExperimentName('SAC', 'HalfCheetah-v5')).toBe('sac-HalfCheetah-v5');
  });

  it('shows every default in the param inputs', () => {
    expect(paramInputsFromDefaults(fields)).toEqual({
      discount: '0.99',
      learning_rate: '0.001',
      minibatches: '4',
      linear_lr_schedule: true,
      max_grad_norm: '',
      activation: 'tanh',
    });
  });
});

describe('buildSpec', () => {
  it('builds a minimal spec with seeds 0..n-1 and no params when nothing changed', () => {
    const { spec, errors } = buildSpec(form(), fields);
    expect(errors).toEqual({});
    expect(spec).toEqual({
      name: 'ppo-CartPole-v1',
      env: { id: 'CartPole-v1' },
      algo: { name: 'PPO', params: {} },
      runner: { n_steps: 100000, log_interval_steps: 1000 },
      seeds: [0, 1, 2],
    });
  });

  it('includes only the params that differ from their defaults, typed', () => {
    const v = form({
      envId: ' Acrobot-v1 ',
      nSteps: '2e5',
      nSeeds: '5',
      name: 'my run',
      params: {
        ...paramInputsFromDefaults(fields),
        learning_rate: '3e-4',
        discount: '0.990', // same value, other text: not a change
        minibatches: '8',
        linear_lr_schedule: false,
        activation: 'relu',
      },
    });
    const { spec, errors } = buildSpec(v, fields);
    expect(errors).toEqual({});
    expect(spec.algo.params).toEqual({ learning_rate: 0.0003, minibatches: 8, linear_lr_schedule: false, activation: 'relu' });
    expect(spec.env.id).toBe('Acrobot-v1');
    expect(spec.runner.n_steps).toBe(200000);
    expect(spec.runner.log_interval_steps).toBe(2000);
    expect(spec.seeds).toEqual([0, 1, 2, 3, 4]);
    expect(spec.name).toBe('my run');
  });

  it('sends a nullable param that got a value, and leaves a cleared box to the default', () => {
    const inputs = { ...paramInputsFromDefaults(fields), max_grad_norm: '0.5', learning_rate: '' };
    expect(changedParams(fields, inputs)).toEqual({ params: { max_grad_norm: 0.5 }, errors: {} });
  });

  it('reports what cannot be sent at the matching field', () => {
    const { errors } = buildSpec(
      form({
        nSteps: '',
        nSeeds: '2.5',
        params: { ...paramInputsFromDefaults(fields), learning_rate: 'fast', minibatches: '1.5' },
      }),
      fields,
    );
    expect(Object.keys(errors).sort()).toEqual(['n-seeds', 'n-steps', 'param:learning_rate', 'param:minibatches']);
  });

  it('leaves range checks to the server (0 seeds -> [], 0 steps -> 0)', () => {
    const { spec, errors } = buildSpec(form({ nSeeds: '0', nSteps: '0' }), fields);
    expect(errors).toEqual({});
    expect(spec.seeds).toEqual([]);
    expect(spec.runner.n_steps).toBe(0);
  });
});
