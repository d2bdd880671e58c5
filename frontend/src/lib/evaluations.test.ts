import { describe, expect, it } from 'vitest';
import { anyPending, returnStats } from './evaluations';

describe('evaluations', () => {
  it('summarises the episode returns', () => {
    expect(returnStats([100, 300])).toEqual({ mean: 200, std: 100, min: 100, max: 300, n: 2 });
    expect(returnStats([7])).toEqual({ mean: 7, std: 0, min: 7, max: 7, n: 1 });
    expect(returnStats([])).toBeUndefined();
    expect(returnStats(null)).toBeUndefined();
  });

  it('keeps polling while one is queued or running', () => {
    expect(anyPending([{ status: 'succeeded' }, { status: 'running' }])).toBe(true);
    expect(anyPending([{ status: 'queued' }])).toBe(true);
    expect(anyPending([{ status: 'succeeded' }, { status: 'failed' }])).toBe(false);
    expect(anyPending([])).toBe(false);
  });
});
