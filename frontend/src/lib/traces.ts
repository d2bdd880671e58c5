/**
 * Curves response -> Plotly traces: one thin line per seed, the seed aggregate as a shaded
 * min/max band (max without fill, then min with `fill: 'tonexty'`, which fills the area between
 * itself and the trace just before it) and the mean as a thick line on top. Nulls in the aggregate are kept,
 * so Plotly leaves a gap where no seed had a value.
 */
import type { Curves } from '../api/types';

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
  /** The band and the mean share a legend group: hiding the mean hides the band too. */
  legendgroup?: string;
  connectgaps: boolean;
  hovertemplate?: string;
}

export interface CurveFigure {
  traces: LineTrace[];
  /** Per-seed traces with at least one point. */
  seedLines: number;
  /** True when the min/max band has at least one point. */
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

const hasValue = (v: number | null | undefined): v is number =>
  typeof v === 'number' && Number.isFinite(v);

export function buildCurveTraces(curves: Curves, colors: CurveColors = DEFAULT_COLORS): CurveFigure {
  const traces: LineTrace[] = [];
  const agg = curves.aggregate;

  // the band: max first (no fill), then min filling to it
  const n = agg.steps.length;
  const x = agg.steps.slice(0, n);
  const max = padTo(agg.max, n);
  const min = padTo(agg.min, n);
  const mean = padTo(agg.mean, n);
  const band = x.some((_, i) => hasValue(max[i]) && hasValue(min[i]));
  if (band) {
    traces.push({
      type: 'scatter',
      mode: 'lines',
      uid: 'band-max',
      name: 'max',
      x,
      y: max,
      line: { width: 0, color: colors.bandFill },
      showlegend: false,
      legendgroup: 'aggregate',
      connectgaps: false,
      hovertemplate: `max %{y:.4g}<extra></extra>`,
    });
    traces.push({
      type: 'scatter',
      mode: 'lines',
      uid: 'band-min',
      name: 'min',
      x,
      y: min,
      line: { width: 0, color: colors.bandFill },
      fill: 'tonexty',
      fillcolor: colors.bandFill,
      showlegend: false,
      legendgroup: 'aggregate',
      connectgaps: false,
      hovertemplate: `min %{y:.4g}<extra></extra>`,
    });
  }

  const runs = [...curves.runs].sort((a, b) => a.seed - b.seed || String(a.run_id).localeCompare(String(b.run_id)));
  let seedLines = 0;
  runs.forEach((run, i) => {
    const len = Math.min(run.steps.length, run.values.length);
    if (len === 0) return;
    seedLines += 1;
    traces.push({
      type: 'scatter',
      mode: 'lines',
      uid: `run-${run.run_id}`,
      name: `seed ${run.seed}`,
      x: run.steps.slice(0, len),
      y: run.values.slice(0, len),
      line: { width: 1.2, color: colors.seeds[i % colors.seeds.length] ?? colors.mean },
      showlegend: true,
      connectgaps: false,
      hovertemplate: `seed ${run.seed}: %{y:.4g}<extra></extra>`,
    });
  });

  if (mean.some(hasValue)) {
    traces.push({
      type: 'scatter',
      mode: 'lines',
      uid: 'mean',
      name: 'mean',
      x,
      y: mean,
      line: { width: 3.5, color: colors.mean },
      showlegend: true,
      legendgroup: 'aggregate',
      connectgaps: false,
      hovertemplate: `mean %{y:.4g}<extra></extra>`,
    });
  }

  return { traces, seedLines, band };
}

/** `values` cut or padded with nulls to length n (nulls are kept as nulls). */
function padTo(values: readonly (number | null)[], n: number): (number | null)[] {
  const out = values.slice(0, n).map((v) => (hasValue(v) ? v : null));
  while (out.length < n) out.push(null);
  return out;
}
