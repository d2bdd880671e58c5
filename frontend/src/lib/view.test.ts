import { describe, expect, it } from 'vitest';
import {
  DEFAULT_COMPARE,
  DEFAULT_VIEW,
  parseIds,
  parseSmoothing,
  readCompareView,
  readCurveView,
  writeCompareView,
  writeCurveView,
  type CompareView,
} from './view';

describe('curve view in the URL', () => {
  it('leaves every default out of the URL', () => {
    expect(writeCurveView(DEFAULT_VIEW)).toBe('');
    expect(readCurveView('')).toEqual(DEFAULT_VIEW);
  });

  it('round-trips a full view', () => {
    const view = { key: 'eval_return_mean', agg: 'iqm', band: 'std', smooth: 0.6, x: 'wall_time' } as const;
    const search = writeCurveView(view);
    expect(search).toBe('?key=eval_return_mean&agg=iqm&band=std&smooth=0.6&x=wall_time');
    expect(readCurveView(search)).toEqual(view);
  });

  it('falls back to defaults for unknown values and clamps smoothing', () => {
    expect(readCurveView('?agg=mode&band=iqr&x=time&smooth=abc')).toEqual(DEFAULT_VIEW);
    expect(parseSmoothing('5')).toBe(0.99);
    expect(parseSmoothing('-1')).toBe(0);
    expect(parseSmoothing('0.333')).toBe(0.33);
  });
});

describe('compare view in the URL', () => {
  it('parses ids in order, dropping junk and duplicates', () => {
    expect(parseIds('3,1,x,3,,0,-2,7')).toEqual([3, 1, 7]);
    expect(parseIds(null)).toEqual([]);
  });

  it('round-trips ids, tag and the curve settings, with readable commas', () => {
    const view: CompareView = { ...DEFAULT_COMPARE, ids: [4, 2], tag: 'ablation', band: 'minmax', smooth: 0.9 };
    const search = writeCompareView(view);
    expect(search).toBe('?ids=4,2&tag=ablation&band=minmax&smooth=0.9');
    expect(readCompareView(search)).toEqual(view);
  });

  it('defaults to the IQM with its 95% CI, which the statistics table also reports', () => {
    expect(readCompareView('?ids=1,2')).toEqual({ ...DEFAULT_VIEW, agg: 'iqm', ids: [1, 2], tag: '' });
    expect(writeCompareView({ ...DEFAULT_COMPARE, ids: [1, 2], agg: 'mean' })).toBe('?ids=1,2&agg=mean');
  });
});
