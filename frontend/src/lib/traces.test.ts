import { describe, expect, it } from 'vitest';
import type { Curves } from '../api/types';
import { buildCompareTraces, buildCurveTraces, withAlpha } from './traces';

const curves: Curves = {
  key: 'return_mean',
  x: 'step',
  agg: 'iqm',
  band: 'ci',
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
    center: [11, 24, 50],
    lower: [10.5, 21, null],
    upper: [11.5, 29, null],
  },
};

describe('buildCurveTraces', () => {
  const fig = buildCurveTraces(curves);

  it('draws the band (upper, then lower filling to it), the seeds in seed order, then the aggregate', () => {
    expect(fig.traces.map((t) => t.uid)).toEqual(['band-upper', 'band-lower', 'run-11', 'run-12', 'center']);
    const [upper, lower] = fig.traces;
    expect(upper?.fill).toBeUndefined();
    expect(lower?.fill).toBe('tonexty');
    expect(fig.seedLines).toBe(2);
    expect(fig.band).toBe(true);
  });

  it('names the aggregate by what it is: "IQM, 95% CI"', () => {
    expect(fig.traces.find((t) => t.uid === 'center')?.name).toBe('IQM, 95% CI');
  });

  it('draws the chosen center and band edges, keeping nulls', () => {
    const byUid = Object.fromEntries(fig.traces.map((t) => [t.uid, t]));
    expect(byUid['band-upper']?.y).toEqual([11.5, 29, null]);
    expect(byUid['band-lower']?.y).toEqual([10.5, 21, null]);
    expect(byUid['band-lower']?.x).toEqual([1000, 2000, 3000]);
    expect(byUid['center']?.y).toEqual([11, 24, 50]);
    expect(fig.traces.every((t) => t.connectgaps === false)).toBe(true);
  });

  it('gives per-seed traces their own series, thin, and the aggregate a thick line', () => {
    const seed0 = fig.traces.find((t) => t.name === 'seed 0');
    expect(seed0).toMatchObject({ x: [1000, 2000, 3000], y: [10, 30, 50], uid: 'run-11' });
    const center = fig.traces.find((t) => t.uid === 'center');
    expect(center!.line.width).toBeGreaterThan(seed0!.line.width * 2);
  });

  it('smooths seeds, band and aggregate with the same EMA', () => {
    const smooth = buildCurveTraces(curves, undefined, 0.5);
    const seed0 = smooth.traces.find((t) => t.uid === 'run-11');
    expect(seed0?.y[0]).toBe(10);
    expect(seed0?.y[1]).toBeCloseTo((0.25 * 10 + 0.5 * 30) / 0.75, 10);
    expect(smooth.traces.find((t) => t.uid === 'center')?.y[1]).toBeCloseTo((0.25 * 11 + 0.5 * 24) / 0.75, 10);
    expect(smooth.traces.find((t) => t.uid === 'band-upper')?.y[2]).toBeNull();
  });

  it('puts seeds on their wall times with x=wall_time', () => {
    const wall = buildCurveTraces({
      ...curves,
      x: 'wall_time',
      runs: [{ run_id: 11, seed: 0, status: 'running', variant: null, steps: [1000, 2000], values: [1, 2], wall_times: [0.5, 1.5] }],
    });
    expect(wall.traces.find((t) => t.uid === 'run-11')?.x).toEqual([0.5, 1.5]);
  });

  it('has no band and no aggregate when the aggregate is empty', () => {
    const empty = buildCurveTraces({
      ...curves,
      runs: [{ run_id: 1, seed: 0, status: 'queued', variant: null, steps: [], values: [] }],
      aggregate: { steps: [], mean: [], min: [], max: [], n: [], center: [], lower: [], upper: [] },
    });
    expect(empty).toEqual({ traces: [], seedLines: 0, band: false });
  });

  it('has no band while its edges are all null, and pads short arrays with nulls', () => {
    const fig2 = buildCurveTraces({
      ...curves,
      agg: 'mean',
      band: 'std',
      runs: [],
      aggregate: {
        steps: [1, 2], mean: [0.5], min: [null, null], max: [null, null], n: [1, 0],
        center: [0.5], lower: [null, null], upper: [null, null],
      },
    });
    expect(fig2.band).toBe(false);
    expect(fig2.traces.map((t) => [t.uid, t.name])).toEqual([['center', 'mean, ± std']]);
    expect(fig2.traces[0]?.y).toEqual([0.5, null]);
  });
});

describe('buildCompareTraces', () => {
  it('draws one band and one aggregate per experiment, in its own colour, with unique uids', () => {
    const fig = buildCompareTraces([
      { id: 3, name: 'ppo', curves },
      { id: 5, name: 'a2c', curves: { ...curves, aggregate: { ...curves.aggregate, lower: [null, null, null], upper: [null, null, null] } } },
    ]);
    expect(fig.traces.map((t) => t.uid)).toEqual([
      'exp-3-band-upper', 'exp-3-band-lower', 'exp-3-center', 'exp-5-center',
    ]);
    expect(fig).toMatchObject({ lines: 2, bands: 1 });
    const [upper, lower, c3, c5] = fig.traces;
    expect(c3?.name).toBe('#3 ppo (IQM)');
    expect(c3?.line.color).not.toBe(c5?.line.color);
    expect(lower?.fillcolor).toBe(withAlpha(c3!.line.color, 0.2));
    expect(upper?.legendgroup).toBe(c3?.legendgroup);
  });
});

describe('withAlpha', () => {
  it('turns a hex colour into rgba', () => {
    expect(withAlpha('#4c78a8', 0.2)).toBe('rgba(76, 120, 168, 0.2)');
    expect(withAlpha('red', 0.2)).toBe('red');
  });
});
