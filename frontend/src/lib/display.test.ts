import { describe, expect, it } from 'vitest';
import {
  aggregateLabel,
  formatInterval,
  formatMeanStd,
  formatProbability,
  formatSeconds,
  formatStat,
  probabilityTone,
} from './display';

describe('aggregation display', () => {
  it('names aggregate and band together', () => {
    expect(aggregateLabel('iqm', 'ci')).toBe('IQM, 95% CI');
    expect(aggregateLabel('mean', 'std')).toBe('mean, ± std');
    expect(aggregateLabel('median', 'minmax')).toBe('median, min–max');
  });

  it('writes statistics with four significant digits', () => {
    expect(formatStat(487.12345)).toBe('487.1');
    expect(formatStat(-0.5)).toBe('-0.5');
    expect(formatStat(0)).toBe('0');
    expect(formatStat(12345678)).toBe('1.23e+7');
    expect(formatStat(null)).toBe('—');
    expect(formatStat(Number.NaN)).toBe('—');
  });

  it('writes intervals, mean ± std and probabilities', () => {
    expect(formatInterval(412.34, 498.12)).toBe('[412.3, 498.1]');
    expect(formatInterval(null, 3)).toBe('—');
    expect(formatMeanStd(450, 20.04)).toBe('450 ± 20.04');
    expect(formatMeanStd(450, null)).toBe('450');
    expect(formatMeanStd(null, 1)).toBe('—');
    expect(formatProbability(0.7349)).toBe('0.73');
    expect(formatProbability(null)).toBe('—');
  });

  it('colours a probability of improvement by its side of 0.5', () => {
    expect([0.8, 0.2, 0.5, null].map(probabilityTone)).toEqual(['better', 'worse', 'even', 'none']);
  });

  it('writes seconds at a readable scale', () => {
    expect([42, 300, 7200].map(formatSeconds)).toEqual(['42 s', '5 min', '2 h']);
  });
});
