import { describe, expect, it } from 'vitest';
import { parseYaml, toYaml, YamlError } from './yaml';

const spec = {
  name: 'ppo-cartpole',
  env: { id: 'CartPole-v1', kwargs: {} },
  algo: { name: 'PPO', params: { learning_rate: 0.001, discount: 0.99, clip_grad_norm: null, tiny: 1e-7 } },
  model: { hidden_sizes: [64, 64], nonlinearity: null, recurrent: false },
  runner: { n_steps: 100000 },
  device: 'auto',
  seeds: [0, 1, 2],
  notes: 'yes',
  weird: 'a: b # c',
  empty: [],
  list_of_maps: [{ a: 1, b: [1, 2] }, { a: 2, b: { c: 'x' } }],
};

describe('toYaml', () => {
  it('writes block mappings, flow lists of scalars and quotes what would read differently', () => {
    expect(toYaml({ env: { id: 'CartPole-v1' }, seeds: [0, 1], s: 'true', n: '12', k: null })).toBe(
      'env:\n  id: CartPole-v1\nseeds: [0, 1]\ns: "true"\nn: "12"\nk: null\n',
    );
  });

  it('writes small floats so that YAML 1.1 readers (PyYAML) see a number', () => {
    expect(toYaml({ lr: 1e-7 })).toBe('lr: 1.0e-7\n');
  });

  it('round-trips a spec', () => {
    expect(parseYaml(toYaml(spec))).toEqual(spec);
  });
});

describe('parseYaml', () => {
  it('reads a hand-written spec with comments, quotes and flow collections', () => {
    const text = [
      '# PPO on CartPole',
      'name: "ppo # not a comment"',
      'env: {id: CartPole-v1, kwargs: {}}',
      'algo:',
      '  name: PPO   # the algorithm',
      '  params:',
      "    learning_rate: 3.0e-4",
      'seeds:',
      '- 0',
      '- 1',
      'model:',
      '  hidden_sizes: [32, 32]',
      "  nonlinearity: 'relu'",
      '  lstm_size: ~',
    ].join('\n');
    expect(parseYaml(text)).toEqual({
      name: 'ppo # not a comment',
      env: { id: 'CartPole-v1', kwargs: {} },
      algo: { name: 'PPO', params: { learning_rate: 0.0003 } },
      seeds: [0, 1],
      model: { hidden_sizes: [32, 32], nonlinearity: 'relu', lstm_size: null },
    });
  });

  it('reads JSON too', () => {
    expect(parseYaml('{"a": [1, {"b": null}]}')).toEqual({ a: [1, { b: null }] });
  });

  it('reads list items that open a mapping', () => {
    expect(parseYaml('runs:\n  - seed: 0\n    lr: 1\n  - seed: 1\n')).toEqual({ runs: [{ seed: 0, lr: 1 }, { seed: 1 }] });
  });

  it('names the line of an error', () => {
    expect(() => parseYaml('a: 1\n  b: 2\n')).toThrow(YamlError);
    expect(() => parseYaml('a: 1\n  b: 2\n')).toThrow(/line 2/);
    expect(() => parseYaml('a: [1, 2\n')).toThrow(/line 1/);
    expect(() => parseYaml('a: 1\na: 2\n')).toThrow(/duplicate key "a"/);
  });
});
