import { describe, expect, it } from 'vitest';
import { fieldForLoc, mapValidationErrors } from './errors';

describe('fieldForLoc', () => {
  const params = ['learning_rate', 'discount'];
  it.each([
    [['body', 'spec', 'env', 'id'], 'env-id'],
    [['body', 'spec', 'env'], 'env-id'],
    [['body', 'spec', 'algo'], 'algo'],
    [['body', 'spec', 'algo', 'name'], 'algo'],
    [['body', 'spec', 'algo', 'PPO', 'params', 'learning_rate'], 'param:learning_rate'],
    [['body', 'spec', 'algo', 'params', 'discount'], 'param:discount'],
    [['body', 'spec', 'algo', 'PPO', 'params', 'no_such_param'], 'algo'],
    [['body', 'spec', 'runner', 'n_steps'], 'n-steps'],
    [['body', 'spec', 'seeds'], 'n-seeds'],
    [['body', 'spec', 'seeds', 4], 'n-seeds'],
    [['body', 'spec', 'name'], 'exp-name'],
    [['spec', 'env', 'id'], 'env-id'],
    [['env', 'id'], 'env-id'],
  ] as const)('%j -> %s', (loc, field) => {
    expect(fieldForLoc(loc, params)).toBe(field);
  });

  it.each([
    [['body', 'spec', 'sampler', 'batch_T']],
    [['body', 'spec', 'runner', 'log_interval_steps']],
    [['body', 'spec', 'env', 'kwargs', 'render_mode']],
    [['body', 'spec']],
    [['body', 'tags', 0]],
    [['body']],
    [[]],
  ] as const)('%j has no form field', (loc) => {
    expect(fieldForLoc(loc, params)).toBeUndefined();
  });
});

describe('fieldForLoc with spec sections', () => {
  it('maps a section field the form shows to its input, others to the general box', () => {
    const sections = ['model.hidden_sizes', 'sampler.batch_B'];
    expect(fieldForLoc(['body', 'spec', 'model', 'hidden_sizes', 2], [], sections)).toBe('param:model.hidden_sizes');
    expect(fieldForLoc(['body', 'spec', 'sampler', 'batch_B'], [], sections)).toBe('param:sampler.batch_B');
    expect(fieldForLoc(['body', 'spec', 'sampler', 'batch_T'], [], sections)).toBeUndefined();
    expect(fieldForLoc(['body', 'spec', 'runner', 'n_steps'], [], sections)).toBe('n-steps');
  });
});

describe('mapValidationErrors', () => {
  it('puts field errors at their fields and the rest in the general list', () => {
    const mapped = mapValidationErrors(
      [
        { loc: ['body', 'spec', 'env', 'id'], msg: "Value error, unknown environment id 'Nope-v0'", type: 'value_error' },
        { loc: ['body', 'spec', 'runner', 'n_steps'], msg: 'Input should be greater than or equal to 1', type: 'greater_than_equal' },
        { loc: ['body', 'spec', 'runner', 'n_steps'], msg: 'second message', type: 'x' },
        { loc: ['body', 'spec', 'sampler', 'batch_B'], msg: 'Input should be less than or equal to 4096', type: 'less_than_equal' },
        { loc: ['body', 'spec'], msg: 'Value error, runner.kind minibatch_eval needs sampler.eval_n_envs >= 1', type: 'value_error' },
      ],
      [],
    );
    expect(mapped.fields).toEqual({
      'env-id': "Value error, unknown environment id 'Nope-v0'",
      'n-steps': 'Input should be greater than or equal to 1; second message',
    });
    expect(mapped.general).toEqual([
      'sampler.batch_B: Input should be less than or equal to 4096',
      'spec: Value error, runner.kind minibatch_eval needs sampler.eval_n_envs >= 1',
    ]);
  });
});
