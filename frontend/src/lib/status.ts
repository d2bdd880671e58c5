/** Run states, their display order, and small formatting helpers shared by the pages. */

export const STATUS_ORDER = ['running', 'queued', 'cancelling', 'succeeded', 'failed', 'cancelled'] as const;
/** States in which a run can still change: pages keep polling while any run is in one. */
export const ACTIVE_STATUSES: ReadonlySet<string> = new Set(['queued', 'running', 'cancelling']);

export const isActiveStatus = (status: string): boolean => ACTIVE_STATUSES.has(status);

export type StatusCounts = Readonly<Record<string, number | null | undefined>>;

/** [status, count] pairs with count > 0, known states first in STATUS_ORDER, then the others. */
export function statusEntries(counts: StatusCounts): [string, number][] {
  const known: readonly string[] = STATUS_ORDER;
  const entries = Object.entries(counts).filter(
    (e): e is [string, number] => typeof e[1] === 'number' && e[1] > 0,
  );
  const rank = (s: string) => (known.includes(s) ? known.indexOf(s) : known.length);
  return entries.sort((a, b) => rank(a[0]) - rank(b[0]) || a[0].localeCompare(b[0]));
}

export function anyActive(counts: StatusCounts): boolean {
  return statusEntries(counts).some(([s]) => isActiveStatus(s));
}

export function countsFromRuns(runs: readonly { status: string }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of runs) counts[r.status] = (counts[r.status] ?? 0) + 1;
  return counts;
}

/** Fraction in [0, 1]; 0 when the total is unknown. */
export function fraction(done: number, total: number): number {
  if (!(total > 0) || !Number.isFinite(done)) return 0;
  return Math.min(1, Math.max(0, done / total));
}

/** 1234567 -> "1.23M", 100000 -> "100k", 950 -> "950". */
export function formatCount(n: number): string {
  const abs = Math.abs(n);
  const fmt = (v: number, suffix: string) => `${Number(v.toPrecision(3))}${suffix}`;
  if (abs >= 1e9) return fmt(n / 1e9, 'G');
  if (abs >= 1e6) return fmt(n / 1e6, 'M');
  if (abs >= 1e3) return fmt(n / 1e3, 'k');
  return String(n);
}

/** "just now", "5 s ago", "3 min ago", "2 h ago", "4 d ago" from an ISO timestamp. */
export function formatAge(iso: string | null | undefined, nowMs: number = Date.now()): string {
  if (!iso) return '—';
  const t = parseTimestamp(iso);
  if (Number.isNaN(t)) return '—';
  const s = Math.max(0, Math.round((nowMs - t) / 1000));
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ago`;
  return `${Math.floor(h / 24)} d ago`;
}

/** Parses ISO 8601; a timestamp without zone (naive UTC from the server) is read as UTC. */
export function parseTimestamp(iso: string): number {
  const hasZone = /(Z|[+-]\d\d:?\d\d)$/i.test(iso);
  return Date.parse(hasZone || !iso.includes('T') ? iso : `${iso}Z`);
}

/** "1 min 05 s" style duration between two timestamps (or until now). */
export function formatDuration(startIso: string | null | undefined, endIso?: string | null, nowMs = Date.now()): string {
  if (!startIso) return '—';
  const start = parseTimestamp(startIso);
  const end = endIso ? parseTimestamp(endIso) : nowMs;
  if (Number.isNaN(start) || Number.isNaN(end)) return '—';
  const s = Math.max(0, Math.round((end - start) / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}
