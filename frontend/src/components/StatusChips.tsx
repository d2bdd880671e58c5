import { statusEntries, type StatusCounts } from '../lib/status';

export function StatusChip({ status, count }: { status: string; count?: number }) {
  return (
    <span className={`chip chip-${status}`} data-status={status}>
      {count !== undefined ? `${count} ${status}` : status}
    </span>
  );
}

/** One colored chip per status with a count > 0 (running first). */
export function StatusChips({ counts, testId }: { counts: StatusCounts; testId?: string }) {
  const entries = statusEntries(counts);
  const total = entries.reduce((s, [, n]) => s + n, 0);
  return (
    <span className="chips" data-testid={testId} data-total={total}>
      {entries.length === 0 ? (
        <span className="muted">no runs</span>
      ) : (
        entries.map(([status, n]) => <StatusChip key={status} status={status} count={n} />)
      )}
    </span>
  );
}
