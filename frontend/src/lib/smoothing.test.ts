import { describe, expect, it } from 'vitest';
import { emaSmooth } from './smoothing';

describe('emaSmooth', () => {
  it('is the identity at weight 0', () => {
    expect(emaSmooth([1, 5, null, 2], 0)).toEqual([1, 5, null, 2]);
  });

  it('is debiased: the first point is kept and a constant stays constant', () => {
    const s = emaSmooth([3, 3, 3, 3], 0.9);
    s.forEach((v) => expect(v).toBeCloseTo(3, 12));
  });

  it('follows the recurrence with the 1 - w^t correction', () => {
    const [a, b, c] = emaSmooth([0, 10, 10], 0.5) as number[];
    expect(a).toBe(0);
    // raw: 0, 5, 7.5; debias: 0.5, 0.75, 0.875
    expect(b).toBeCloseTo(5 / 0.75, 12);
    expect(c).toBeCloseTo(7.5 / 0.875, 12);
  });

  it('keeps gaps as gaps without moving the average', () => {
    const withGap = emaSmooth([1, null, 3], 0.6);
    const without = emaSmooth([1, 3], 0.6);
    expect(withGap[1]).toBeNull();
    expect(withGap[2]).toBeCloseTo(without[1] as number, 12);
  });

  it('clamps the weight below 1 so a curve never freezes', () => {
    const s = emaSmooth([0, 100, 100, 100], 1) as number[];
    expect(s[3]).toBeGreaterThan(0);
  });
});
