import { describe, expect, it } from 'vitest';
import { currentRunIds, sortWorkers, workerState } from './workers';

const w = (name: string, alive: boolean, stopped_at: string | null = null, run_ids: number[] = []) => ({
  name,
  alive,
  stopped_at,
  run_ids,
});

describe('workers', () => {
  it('lists alive workers first, then by name', () => {
    const sorted = sortWorkers([w('b@h', false), w('c@h', true), w('a@h', true), w('a@g', false)]);
    expect(sorted.map((x) => x.name)).toEqual(['a@h', 'c@h', 'a@g', 'b@h']);
  });

  it('tells a stopped worker from a lost one', () => {
    expect(workerState(w('a', true))).toBe('alive');
    expect(workerState(w('a', false, '2026-01-01T00:00:00Z'))).toBe('stopped');
    expect(workerState(w('a', false))).toBe('lost');
  });

  it('collects the current runs once each', () => {
    expect(currentRunIds([w('a', true, null, [4, 2]), w('b', true, null, [2, 9]), w('c', true)])).toEqual([2, 4, 9]);
  });
});
