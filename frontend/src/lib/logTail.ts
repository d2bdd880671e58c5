/** The tail of a run's log as the runs table shows it. */

export interface LogTail {
  /** Whole lines only: a tail that starts inside the log loses its cut first line. */
  text: string;
  /** Bytes of the log before `text`. */
  skippedBytes: number;
}

export function logTail(chunk: { offset: number; text: string }): LogTail {
  if (chunk.offset === 0) return { text: chunk.text, skippedBytes: 0 };
  const nl = chunk.text.indexOf('\n');
  if (nl < 0) return { text: chunk.text, skippedBytes: chunk.offset };
  const cut = chunk.text.slice(0, nl + 1);
  return { text: chunk.text.slice(nl + 1), skippedBytes: chunk.offset + new TextEncoder().encode(cut).length };
}
