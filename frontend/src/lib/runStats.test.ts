import { describe, expect, it } from 'vitest';
import { finalAndBest, stepsPerSecond, variantLabel } from './runStats';

describe('run statistics', () => {
  it('measures steps per second until the end, or until now while running', () => {
    expect(stepsPerSecond(10_000, '2026-01-01T00:00:00Z', '2026-01-01T00:00:20Z', 0)).toBe(500);
    expect(stepsPerSecond(1000, '2026-01-01T00:00:00', null, Date.parse('2026-01-01T00:00:04Z'))).toBe(250);
    expect(stepsPerSecond(0, '2026-01-01T00:00:00Z', null, 1)).toBeUndefined();
    expect(stepsPerSecond(10, null, null, 1)).toBeUndefined();
  });

  it('takes the final and the best value', () => {
    expect(finalAndBest([1, 9, 4])).toEqual({ final: 4, best: 9 });
    expect(finalAndBest([])).toBeUndefined();
  });

  it('labels sweep variants by their last path segment', () => {
    expect(variantLabel({ 'algo.params.learning_rate': 0.001, 'sampler.kind': 'cpu' })).toBe('learning_rate=0.001, kind=cpu');
    expect(variantLabel(null)).toBe('');
  });
});
