/** How aggregates, bands and statistics are written on the pages (chart legends, tables). */
import type { Agg, Band, XAxis } from './view';

export const AGG_LABELS: Record<Agg, string> = { mean: 'mean', median: 'median', iqm: 'IQM' };
export const BAND_LABELS: Record<Band, string> = { ci: '95% CI', std: '± std', minmax: 'min–max' };
export const X_LABELS: Record<XAxis, string> = { step: 'environment steps', wall_time: 'wall time (s)' };

/** "IQM, 95% CI": the legend entry of an aggregate with its band. */
export function aggregateLabel(agg: Agg, band: Band): string {
  return `${AGG_LABELS[agg]}, ${BAND_LABELS[band]}`;
}

/** Four significant digits, no exponent for ordinary returns; "—" for a missing value. */
export function formatStat(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  const abs = Math.abs(v);
  if (abs !== 0 && (abs >= 1e6 || abs < 1e-3)) return v.toExponential(2);
  return String(Number(v.toPrecision(4)));
}

/** "[412.3, 498.1]" or "—" when either end is missing. */
export function formatInterval(lower: number | null | undefined, upper: number | null | undefined): string {
  if (lower === null || lower === undefined || upper === null || upper === undefined) return '—';
  return `[${formatStat(lower)}, ${formatStat(upper)}]`;
}

/** "412.3 ± 20.1". */
export function formatMeanStd(mean: number | null | undefined, std: number | null | undefined): string {
  if (mean === null || mean === undefined) return '—';
  return std === null || std === undefined ? formatStat(mean) : `${formatStat(mean)} ± ${formatStat(std)}`;
}

/** A probability as "0.73"; "—" when there is none. */
export function formatProbability(p: number | null | undefined): string {
  return p === null || p === undefined || !Number.isFinite(p) ? '—' : p.toFixed(2);
}

/** Background of a probability-of-improvement cell: green above 0.5, red below, clear at 0.5. */
export function probabilityTone(p: number | null | undefined): 'better' | 'worse' | 'even' | 'none' {
  if (p === null || p === undefined || !Number.isFinite(p)) return 'none';
  if (p > 0.5) return 'better';
  if (p < 0.5) return 'worse';
  return 'even';
}

/** Seconds as "42 s", "3.5 min", "1.2 h" (the wall-time axis and the runs table). */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '—';
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Number((s / 60).toFixed(1))} min`;
  return `${Number((s / 3600).toFixed(1))} h`;
}
