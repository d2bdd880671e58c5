import { describe, expect, it } from 'vitest';
import type { Curves } from '../api/types';
import { buildCurveTraces } from './traces';

const curves: Curves = {
  key: 'return_mean',
  x: 'step',
  agg: 'mean',
  band: 'minmax',
  runs: [
    { run_id: 12, seed: 1, status: 'running', variant: null, steps: [1000, 2000], values: [12, 20] },
    { run_id: 11, seed: 0, status: 'succeeded', variant: null, steps: [1000, 2000, 3000], values: [10, 30, 50] },
    { run_id: 13, seed: 2, status: 'queued', variant: null, steps: [], values: [] },
  ],
  aggregate: {
    steps: [1000, 2000, 3000],
    mean: [11, 25, 50],
    min: [10, 20, null],
    max: [12, 30, null],
    n: [2, 2, 1],
    center: [11, 25, 50],
    lower: [10, 20, null],
    upper: [12, 30, null],
  },
};

describe('buildCurveTraces', () => {
  const fig = buildCurveTraces(curves);

  it('draws the band (max, then min filling to it), the seeds in seed order, then the mean', () => {
    expect(fig.traces.map((t) => t.name)).toEqual(['max', 'min', 'seed 0', 'seed 1', 'mean']);
    const [max, min] = fig.traces;
    expect(max?.fill).toBeUndefined();
    expect(min?.fill).toBe('tonexty');
    expect(fig.seedLines).toBe(2);
    expect(fig.band).toBe(true);
  });

  it('keeps nulls in the band and mean', () => {
    const byUid = Object.fromEntries(fig.traces.map((t) => [t.uid, t]));
    expect(byUid['band-max']?.y).toEqual([12, 30, null]);
    expect(byUid['band-min']?.y).toEqual([10, 20, null]);
    expect(byUid['band-min']?.x).toEqual([1000, 2000, 3000]);
    expect(byUid['mean']?.y).toEqual([11, 25, 50]);
    expect(fig.traces.every((t) => t.connectgaps === false)).toBe(true);
  });

  it('gives per-seed traces their own series, thin, and the mean a thick line', () => {
    const seed0 = fig.traces.find((t) => t.name === 'seed 0');
    expect(seed0).toMatchObject({ x: [1000, 2000, 3000], y: [10, 30, 50], uid: 'run-11' });
    const mean = fig.traces.find((t) => t.uid === 'mean');
    expect(mean!.line.width).toBeGreaterThan(seed0!.line.width * 2);
  });

  it('has no band and no mean when the aggregate is empty', () => {
    const empty = buildCurveTraces({
      key: 'return_mean',
      x: 'step',
      agg: 'mean',
      band: 'minmax',
      runs: [{ run_id: 1, seed: 0, status: 'queued', variant: null, steps: [], values: [] }],
      aggregate: { steps: [], mean: [], min: [], max: [], n: [], center: [], lower: [], upper: [] },
    });
    expect(empty).toEqual({ traces: [], seedLines: 0, band: false });
  });

  it('has no band while min/max are all null, and pads short aggregate arrays with nulls', () => {
    const fig2 = buildCurveTraces({
      key: 'loss',
      x: 'step',
      agg: 'mean',
      band: 'minmax',
      runs: [],
      aggregate: {
        steps: [1, 2], mean: [0.5], min: [null, null], max: [null, null], n: [1, 0],
        center: [0.5], lower: [null, null], upper: [null, null],
      },
    });
    expect(fig2.band).toBe(false);
    expect(fig2.traces.map((t) => t.uid)).toEqual(['mean']);
    expect(fig2.traces[0]?.y).toEqual([0.5, null]);
  });
});
