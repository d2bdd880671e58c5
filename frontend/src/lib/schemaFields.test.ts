import { describe, expect, it } from 'vitest';
import { fieldsFromSchema } from './schemaFields';
import { PPO_PARAMS_SCHEMA } from './testdata';

describe('fieldsFromSchema', () => {
  const fields = fieldsFromSchema(PPO_PARAMS_SCHEMA);
  const byName = Object.fromEntries(fields.map((f) => [f.name, f]));

  it('lists the scalar fields in property order, leaving out arrays and objects', () => {
    expect(fields.map((f) => f.name)).toEqual([
      'discount',
      'learning_rate',
      'minibatches',
      'linear_lr_schedule',
      'max_grad_norm',
      'activation',
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
