/** CSV text (RFC 4180) for the compare page's downloads. */
import type { Curves } from '../api/types';

type Cell = string | number | null | undefined;

export function csvCell(v: Cell): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/** One row per experiment and grid point: the aggregate and its band as drawn (unsmoothed). */
export function curvesCsv(series: readonly { id: number; name: string; curves: Curves }[]): string {
  const rows: Cell[][] = [];
  for (const { id, name, curves } of series) {
    const a = curves.aggregate;
    a.steps.forEach((x, i) => {
      rows.push([id, name, curves.key, curves.agg, curves.band, x, a.center[i], a.lower[i], a.upper[i], a.n[i]]);
    });
  }
  const xName = series[0]?.curves.x ?? 'step';
  return toCsv(['experiment_id', 'name', 'key', 'agg', 'band', xName, 'center', 'lower', 'upper', 'n_seeds'], rows);
}

/** Saves text as a file through a temporary link. */
export function downloadText(filename: string, text: string, type = 'text/csv'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
