import { formatCount, fraction } from '../lib/status';

/** A bar for steps done / total with the numbers beside it. */
export function ProgressBar({ done, total, status }: { done: number; total: number; status?: string }) {
  const f = fraction(done, total);
  const pct = Math.round(f * 1000) / 10;
  return (
    <span className="progress-cell" title={`${done.toLocaleString()} / ${total.toLocaleString()} steps (${pct}%)`}>
      <span
        className={`progress${status ? ` progress-${status}` : ''}`}
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={pct}
      >
        <span className="progress-fill" style={{ width: `${pct}%` }} />
      </span>
      <span className="progress-text">
        {formatCount(done)} / {formatCount(total)}
      </span>
    </span>
  );
}
