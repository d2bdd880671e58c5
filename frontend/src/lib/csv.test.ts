import { describe, expect, it } from 'vitest';
import type { Curves } from '../api/types';
import { csvCell, curvesCsv, toCsv } from './csv';

describe('csv', () => {
  it('quotes only what needs it', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell(null)).toBe('');
    expect(toCsv(['a', 'b'], [[1, null]])).toBe('a,b\r\n1,\r\n');
  });

  it('writes one row per experiment and grid point', () => {
    const curves: Curves = {
      key: 'return_mean', x: 'step', agg: 'iqm', band: 'ci', runs: [],
      aggregate: { steps: [10, 20], mean: [1, 2], min: [1, 2], max: [1, 2], n: [3, 2], center: [1, 2], lower: [0.5, null], upper: [1.5, null] },
    };
    expect(curvesCsv([{ id: 4, name: 'ppo, tuned', curves }])).toBe(
      'experiment_id,name,key,agg,band,step,center,lower,upper,n_seeds\r\n' +
        '4,"ppo, tuned",return_mean,iqm,ci,10,1,0.5,1.5,3\r\n' +
        '4,"ppo, tuned",return_mean,iqm,ci,20,2,,,2\r\n',
    );
  });
});
