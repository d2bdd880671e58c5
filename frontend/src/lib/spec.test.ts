import { describe, expect, it } from 'vitest';
import { fieldsFromSchema, specSections } from './schemaFields';
import {
  buildSpec,
  changedParams,
  defaultExperimentName,
  formFromSpec,
  initialFormValues,
  paramInputsFromDefaults,
  sectionInputsFromDefaults,
  type LaunchFormValues,
} from './spec';
import { PPO_PARAMS_SCHEMA, SPEC_SCHEMA } from './testdata';

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
      hidden_sizes: '',
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

describe('spec sections, device and specs pasted back', () => {
  const sections = specSections(SPEC_SCHEMA);

  it('sends only the section fields that changed, typed (lists too), and a non-auto device', () => {
    const v = form({
      sections: {
        ...sectionInputsFromDefaults(sections),
        model: { ...sectionInputsFromDefaults(sections).model, hidden_sizes: '32, 32', recurrent: true, nonlinearity: 'relu' },
        runner: { ...sectionInputsFromDefaults(sections).runner, log_interval_steps: '500' },
      },
      device: 'cpu',
    });
    const { spec, errors } = buildSpec(v, fields, sections);
    expect(errors).toEqual({});
    expect(spec.model).toEqual({ hidden_sizes: [32, 32], recurrent: true, nonlinearity: 'relu' });
    expect(spec.sampler).toBeUndefined();
    expect(spec.runner).toEqual({ n_steps: 100000, log_interval_steps: 500 });
    expect(spec.device).toBe('cpu');
  });

  it('puts a section field error at that field', () => {
    const v = form({ sections: { model: { hidden_sizes: '64, x' } } });
    expect(buildSpec(v, fields, sections).errors).toEqual({ 'param:model.hidden_sizes': 'Enter numbers separated by commas' });
  });

  it('fills the form from a spec and names what it cannot show', () => {
    const { values, ignored } = formFromSpec(
      {
        name: 'pasted',
        env: { id: 'Acrobot-v1', kwargs: { render_mode: null } },
        algo: { name: 'PPO', params: { learning_rate: 0.0003, unknown: 1 } },
        model: { hidden_sizes: [16, 16] },
        runner: { n_steps: 5000, log_interval_steps: 1000 },
        device: 'cpu',
        seeds: [0, 1, 2, 3],
      },
      fields,
      sections,
    );
    expect(values).toMatchObject({ name: 'pasted', envId: 'Acrobot-v1', algo: 'PPO', nSteps: '5000', nSeeds: '4', device: 'cpu' });
    expect(values.params['learning_rate']).toBe('0.0003');
    expect(values.params['discount']).toBe('0.99');
    expect(values.sections.model?.['hidden_sizes']).toBe('16, 16');
    expect(ignored).toEqual(['algo.params.unknown', 'env.kwargs']);
    // and back: the spec built from it carries the same choices
    const { spec } = buildSpec(values, fields, sections);
    expect(spec.algo.params).toEqual({ learning_rate: 0.0003 });
    expect(spec.model).toEqual({ hidden_sizes: [16, 16] });
  });
});
