/**
 * Curves -> Plotly traces. One experiment: a thin line per seed, the seed aggregate (`center`:
 * mean, median or IQM) as a thick line over its shaded band (upper without fill, then lower with
 * `fill: 'tonexty'`, which fills to the trace just before it). Several experiments (compare): one
 * band and one aggregate line each. Nulls are kept, so Plotly leaves gaps where no seed had a
 * value; EMA smoothing applies to every line and band edge alike. Every trace has a stable `uid`
 * so `Plotly.react` updates traces in place.
 */
import type { Curves } from '../api/types';
import { aggregateLabel, AGG_LABELS } from './display';
import { emaSmooth } from './smoothing';

export interface LineTrace {
  type: 'scatter';
  mode: 'lines';
  uid: string;
  name: string;
  x: number[];
  y: (number | null)[];
  line: { width: number; color: string };
  fill?: 'tonexty';
  fillcolor?: string;
  showlegend: boolean;
  /** The band and its aggregate share a legend group: hiding one hides both. */
  legendgroup?: string;
  connectgaps: boolean;
  hovertemplate?: string;
}

export interface CurveFigure {
  traces: LineTrace[];
  /** Per-seed traces with at least one point. */
  seedLines: number;
  /** True when the band has at least one point. */
  band: boolean;
}

export interface CurveColors {
  seeds: readonly string[];
  mean: string;
  bandFill: string;
}

export const DEFAULT_COLORS: CurveColors = {
  seeds: ['#4c78a8', '#f58518', '#54a24b', '#b279a2', '#e45756', '#72b7b2', '#eeca3b', '#9d755d'],
  mean: '#1f3b73',
  bandFill: 'rgba(76, 120, 168, 0.22)',
};

export const DARK_COLORS: CurveColors = {
  seeds: ['#7aa6d8', '#ffa94d', '#7bc96f', '#d19ad0', '#ff8080', '#8fd3ce', '#f5d76e', '#c8a38a'],
  mean: '#e8eefc',
  bandFill: 'rgba(122, 166, 216, 0.25)',
};

/** One colour per experiment on the compare page (Tableau 10), readable on light and dark. */
export const COMPARE_PALETTE = [
  '#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2', '#eeca3b', '#9d755d', '#ff9da6', '#bab0ac',
] as const;

const hasValue = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

/** `#rrggbb` -> `rgba(r, g, b, alpha)` for band fills. */
export function withAlpha(hex: string, alpha: number): string {
  const m = /^#([0-9a-f]{6})$/i.exec(hex);
  if (!m?.[1]) return hex;
  const n = parseInt(m[1], 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

function line(uid: string, name: string, x: number[], y: (number | null)[], width: number, color: string): LineTrace {
  return { type: 'scatter', mode: 'lines', uid, name, x, y, line: { width, color }, showlegend: true, connectgaps: false };
}

/** The band (upper, then lower filling to it) and the aggregate line of one curves response. */
function aggregateTraces(
  curves: Curves,
  prefix: string,
  name: string,
  color: string,
  fill: string,
  smooth: number,
): { traces: LineTrace[]; band: boolean } {
  const agg = curves.aggregate;
  const n = agg.steps.length;
  const x = agg.steps.slice(0, n);
  const lower = emaSmooth(padTo(agg.lower, n), smooth);
  const upper = emaSmooth(padTo(agg.upper, n), smooth);
  const center = emaSmooth(padTo(agg.center, n), smooth);
  const traces: LineTrace[] = [];
  const band = x.some((_, i) => hasValue(lower[i]) && hasValue(upper[i]));
  const group = `${prefix}aggregate`;
  if (band) {
    traces.push({
      ...line(`${prefix}band-upper`, `${name} upper`, x, upper, 0, fill),
      showlegend: false,
      legendgroup: group,
      hovertemplate: `${name} upper %{y:.4g}<extra></extra>`,
    });
    traces.push({
      ...line(`${prefix}band-lower`, `${name} lower`, x, lower, 0, fill),
      fill: 'tonexty',
      fillcolor: fill,
      showlegend: false,
      legendgroup: group,
      hovertemplate: `${name} lower %{y:.4g}<extra></extra>`,
    });
  }
  if (center.some(hasValue)) {
    traces.push({
      ...line(`${prefix}center`, name, x, center, 3, color),
      legendgroup: group,
      hovertemplate: `${name} %{y:.4g}<extra></extra>`,
    });
  }
  return { traces, band };
}

/** One experiment's figure: the band, the seeds in seed order, then the aggregate on top. */
export function buildCurveTraces(
  curves: Curves,
  colors: CurveColors = DEFAULT_COLORS,
  smooth = 0,
): CurveFigure {
  const label = aggregateLabel(curves.agg, curves.band);
  const aggregate = aggregateTraces(curves, '', label, colors.mean, colors.bandFill, smooth);
  const bandTraces = aggregate.traces.filter((t) => t.uid.startsWith('band-'));
  const centerTraces = aggregate.traces.filter((t) => !t.uid.startsWith('band-'));

  const runs = [...curves.runs].sort((a, b) => a.seed - b.seed || a.run_id - b.run_id);
  const seedTraces: LineTrace[] = [];
  runs.forEach((run, i) => {
    const xs = curves.x === 'wall_time' && run.wall_times ? run.wall_times : run.steps;
    const len = Math.min(xs.length, run.values.length);
    if (len === 0) return;
    seedTraces.push({
      ...line(`run-${run.run_id}`, `seed ${run.seed}`, xs.slice(0, len), emaSmooth(run.values.slice(0, len), smooth), 1.2,
        colors.seeds[i % colors.seeds.length] ?? colors.mean),
      hovertemplate: `seed ${run.seed}: %{y:.4g}<extra></extra>`,
    });
  });

  return { traces: [...bandTraces, ...seedTraces, ...centerTraces], seedLines: seedTraces.length, band: aggregate.band };
}

export interface CompareSeries {
  id: number;
  name: string;
  curves: Curves;
}

export interface CompareFigure {
  traces: LineTrace[];
  /** Experiments with an aggregate line drawn. */
  lines: number;
  /** Experiments with a band drawn. */
  bands: number;
}

/** Compare: per experiment its band and its aggregate line, in the experiment's colour. */
export function buildCompareTraces(series: readonly CompareSeries[], smooth = 0): CompareFigure {
  const traces: LineTrace[] = [];
  let lines = 0;
  let bands = 0;
  series.forEach((s, i) => {
    const color = COMPARE_PALETTE[i % COMPARE_PALETTE.length] ?? '#4c78a8';
    const name = `#${s.id} ${s.name} (${AGG_LABELS[s.curves.agg]})`;
    const fig = aggregateTraces(s.curves, `exp-${s.id}-`, name, color, withAlpha(color, 0.2), smooth);
    traces.push(...fig.traces);
    if (fig.band) bands += 1;
    if (fig.traces.some((t) => t.uid.endsWith('center'))) lines += 1;
  });
  return { traces, lines, bands };
}

/** `values` cut or padded with nulls to length n (nulls are kept as nulls). */
function padTo(values: readonly (number | null)[], n: number): (number | null)[] {
  const out = values.slice(0, n).map((v) => (hasValue(v) ? v : null));
  while (out.length < n) out.push(null);
  return out;
}
