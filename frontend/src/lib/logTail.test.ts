import { describe, expect, it } from 'vitest';
import { logTail } from './logTail';

describe('log tail', () => {
  it('keeps a whole log as it is', () => {
    expect(logTail({ offset: 0, text: 'a\nb\n' })).toEqual({ text: 'a\nb\n', skippedBytes: 0 });
  });

  it('drops the cut first line of a tail and counts its bytes', () => {
    expect(logTail({ offset: 10, text: 'ié cut\nwhole\n' })).toEqual({ text: 'whole\n', skippedBytes: 10 + 8 });
  });

  it('keeps a tail without any line break', () => {
    expect(logTail({ offset: 5, text: 'progress' })).toEqual({ text: 'progress', skippedBytes: 5 });
  });
});
