import { describe, expect, it } from 'vitest';
import { metricOptions } from './CurveControls';

describe('metricOptions', () => {
  it('offers the logged keys and the shown one, sorted, once each', () => {
    expect(metricOptions('return_mean', ['loss', 'entropy', 'loss', 'return_mean'])).toEqual(['entropy', 'loss', 'return_mean']);
  });
  it('keeps a shown key nothing has logged yet', () => {
    expect(metricOptions('q_loss', ['loss'])).toEqual(['loss', 'q_loss']);
    expect(metricOptions('return_mean')).toEqual(['return_mean']);
  });
});
