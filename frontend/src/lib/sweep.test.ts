import { describe, expect, it } from 'vitest';
import { fieldsFromSchema, specSections } from './schemaFields';
import { buildSweep, sweepTargets } from './sweep';
import { PPO_PARAMS_SCHEMA, SPEC_SCHEMA } from './testdata';

const targets = sweepTargets(fieldsFromSchema(PPO_PARAMS_SCHEMA), specSections(SPEC_SCHEMA));

describe('sweep builder', () => {
  it('offers algorithm params and section fields as dotted paths', () => {
    const paths = targets.map((t) => t.path);
    expect(paths).toContain('algo.params.learning_rate');
    expect(paths).toContain('model.hidden_sizes');
    expect(paths).toContain('sampler.batch_B');
  });

  it('builds the API sweep with typed values and counts the grid', () => {
    const { sweep, variants, errors } = buildSweep(
      [
        { path: 'algo.params.learning_rate', values: '1e-3, 3e-4' },
        { path: 'model.hidden_sizes', values: '64, 64; 256, 256; 32' },
        { path: 'algo.params.linear_lr_schedule', values: 'true, false' },
        { path: '', values: '' },
      ],
      targets,
    );
    expect(errors).toEqual({});
    expect(sweep).toEqual({
      'algo.params.learning_rate': [0.001, 0.0003],
      'model.hidden_sizes': [[64, 64], [256, 256], [32]],
      'algo.params.linear_lr_schedule': [true, false],
    });
    expect(variants).toBe(12);
  });

  it('reports unreadable values and duplicate axes at their row', () => {
    const { sweep, errors } = buildSweep(
      [
        { path: 'algo.params.minibatches', values: '4, 4.5' },
        { path: 'algo.params.discount', values: '0.99' },
        { path: 'algo.params.discount', values: '0.9' },
        { path: 'nope.x', values: '1' },
      ],
      targets,
    );
    expect(errors[0]).toMatch(/"4.5": Enter a whole number/);
    expect(errors[2]).toBe('This parameter is swept twice');
    expect(errors[3]).toBe('Choose a parameter');
    expect(sweep).toEqual({ 'algo.params.discount': [0.99] });
  });

  it('has no sweep without rows', () => {
    expect(buildSweep([], targets)).toEqual({ sweep: undefined, variants: 1, errors: {} });
  });
});
