import { describe, expect, it } from 'vitest';
import { anyActive, countsFromRuns, formatAge, formatCount, fraction, statusEntries } from './status';

describe('status helpers', () => {
  it('orders status counts and drops zeros', () => {
    expect(statusEntries({ succeeded: 2, queued: 1, running: 0, weird: 1, failed: 1 })).toEqual([
      ['queued', 1],
      ['succeeded', 2],
      ['failed', 1],
      ['weird', 1],
    ]);
  });

  it('knows when something can still change', () => {
    expect(anyActive({ succeeded: 3 })).toBe(false);
    expect(anyActive({ succeeded: 2, queued: 1 })).toBe(true);
    expect(anyActive({ running: 0, failed: 1 })).toBe(false);
    expect(anyActive({ cancelling: 1 })).toBe(true);
  });

  it('counts runs by status', () => {
    expect(countsFromRuns([{ status: 'running' }, { status: 'running' }, { status: 'queued' }])).toEqual({ running: 2, queued: 1 });
  });

  it('formats progress, counts and ages', () => {
    expect(fraction(50, 200)).toBe(0.25);
    expect(fraction(5, 0)).toBe(0);
    expect(fraction(300, 200)).toBe(1);
    expect(formatCount(100000)).toBe('100k');
    expect(formatCount(1234567)).toBe('1.23M');
    expect(formatCount(950)).toBe('950');
    const now = Date.parse('2025-01-01T12:00:00Z');
    expect(formatAge('2025-01-01T11:57:00Z', now)).toBe('3 min ago');
    expect(formatAge('2025-01-01T11:57:00', now)).toBe('3 min ago'); // naive = UTC
    expect(formatAge('2025-01-01T09:00:00+00:00', now)).toBe('3 h ago');
    expect(formatAge(null, now)).toBe('—');
  });
});
