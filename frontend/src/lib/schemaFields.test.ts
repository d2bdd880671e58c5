import { describe, expect, it } from 'vitest';
import { fieldsFromSchema, specSections } from './schemaFields';
import { PPO_PARAMS_SCHEMA, SPEC_SCHEMA } from './testdata';

describe('fieldsFromSchema', () => {
  const fields = fieldsFromSchema(PPO_PARAMS_SCHEMA);
  const byName = Object.fromEntries(fields.map((f) => [f.name, f]));

  it('lists the scalar and number-list fields in property order, leaving out objects', () => {
    expect(fields.map((f) => f.name)).toEqual([
      'discount',
      'learning_rate',
      'minibatches',
      'linear_lr_schedule',
      'max_grad_norm',
      'activation',
      'hidden_sizes',
    ]);
  });

  it('reads types and defaults', () => {
    expect(fields.map((f) => [f.name, f.kind, f.default])).toEqual([
      ['discount', 'number', 0.99],
      ['learning_rate', 'number', 0.001],
      ['minibatches', 'integer', 4],
      ['linear_lr_schedule', 'boolean', true],
      ['max_grad_norm', 'number', null],
      ['activation', 'enum', 'tanh'],
      ['hidden_sizes', 'list', undefined],
    ]);
  });

  it('reads bounds, exclusive bounds and descriptions', () => {
    expect(byName['discount']).toMatchObject({
      title: 'Discount',
      exclusiveMinimum: 0,
      maximum: 1,
      description: 'Reward discount factor gamma.',
      nullable: false,
    });
    expect(byName['discount']?.minimum).toBeUndefined();
    expect(byName['minibatches']).toMatchObject({ minimum: 1 });
    expect(byName['minibatches']?.maximum).toBeUndefined();
    expect(byName['learning_rate']?.description).toBe('Adam learning rate.');
  });

  it('unwraps anyOf-with-null into a nullable field and follows $ref to enums', () => {
    expect(byName['max_grad_norm']).toMatchObject({ kind: 'number', nullable: true, exclusiveMinimum: 0 });
    expect(byName['activation']).toMatchObject({ kind: 'enum', options: ['tanh', 'relu'], title: 'Activation' });
  });

  it('falls back to the catalog defaults and to the property name as title', () => {
    const f = fieldsFromSchema(
      { type: 'object', properties: { epochs: { type: 'integer', minimum: 1 } }, required: ['epochs'] },
      { epochs: 4 },
    );
    expect(f).toEqual([
      { name: 'epochs', title: 'epochs', kind: 'integer', default: 4, minimum: 1, nullable: false, required: true },
    ]);
  });

  it('understands draft-4 boolean exclusive bounds', () => {
    const [f] = fieldsFromSchema({
      type: 'object',
      properties: { tau: { type: 'number', minimum: 0, exclusiveMinimum: true, maximum: 1 } },
    });
    expect(f).toMatchObject({ exclusiveMinimum: 0, maximum: 1 });
    expect(f?.minimum).toBeUndefined();
  });

  it('returns nothing for a missing or empty schema', () => {
    expect(fieldsFromSchema(undefined)).toEqual([]);
    expect(fieldsFromSchema({})).toEqual([]);
  });
});

describe('specSections', () => {
  const sections = specSections(SPEC_SCHEMA);
  const model = sections.find((s) => s.name === 'model');

  it('gives the model, sampler and runner sections in that order, following $refs', () => {
    expect(sections.map((s) => s.name)).toEqual(['model', 'sampler', 'runner']);
    expect(model?.description).toBe('Options of the model.');
  });

  it('generates the new model options: nullable lists and enums, booleans, nullable integers', () => {
    const byName = Object.fromEntries((model?.fields ?? []).map((f) => [f.name, f]));
    expect(Object.keys(byName)).toEqual(['hidden_sizes', 'nonlinearity', 'recurrent', 'lstm_size', 'dueling']);
    expect(byName['hidden_sizes']).toMatchObject({ kind: 'list', itemKind: 'integer', nullable: true, default: null, minimum: 1, maximum: 4096, maxItems: 8 });
    expect(byName['nonlinearity']).toMatchObject({ kind: 'enum', options: ['tanh', 'relu'], nullable: true });
    expect(byName['recurrent']).toMatchObject({ kind: 'boolean', default: false, description: 'Put an LSTM after the MLP.' });
    expect(byName['lstm_size']).toMatchObject({ kind: 'integer', nullable: true, minimum: 1 });
  });

  it('leaves out objects and the inputs the form has elsewhere (runner.n_steps)', () => {
    expect(sections.find((s) => s.name === 'sampler')?.fields.map((f) => f.name)).toEqual(['kind', 'batch_T', 'batch_B']);
    expect(sections.find((s) => s.name === 'runner')?.fields.map((f) => f.name)).toEqual(['kind', 'log_interval_steps']);
  });

  it('has no sections without a schema', () => {
    expect(specSections(undefined)).toEqual([]);
  });
});
