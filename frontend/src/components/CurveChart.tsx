/** The learning-curve chart of one experiment: per-seed lines, mean and min/max band. */
import { useCallback, useMemo, useState } from 'react';
import type { Config, Data, Layout } from 'plotly.js-dist-min';
import type { Curves } from '../api/types';
import { usePrefersDark } from '../hooks/usePoll';
import { buildCurveTraces, DEFAULT_COLORS, type CurveColors } from '../lib/traces';
import { PlotlyChart } from './PlotlyChart';

const DARK_COLORS: CurveColors = {
  seeds: ['#7aa6d8', '#ffa94d', '#7bc96f', '#d19ad0', '#ff8080', '#8fd3ce', '#f5d76e', '#c8a38a'],
  mean: '#e8eefc',
  bandFill: 'rgba(122, 166, 216, 0.25)',
};

// plotly.js 4 shows a "Share chart" button (upload to Plotly Cloud) by default: never here.
const CONFIG: Partial<Config> = { responsive: true, displaylogo: false, showSendToCloud: false };

export function CurveChart({ curves }: { curves: Curves | undefined }) {
  const dark = usePrefersDark();
  const figure = useMemo(
    () => (curves ? buildCurveTraces(curves, dark ? DARK_COLORS : DEFAULT_COLORS) : undefined),
    [curves, dark],
  );
  // what Plotly has actually drawn, for the data-* test hooks
  const [drawn, setDrawn] = useState({ seedLines: 0, band: false });
  const onRendered = useCallback(() => {
    if (figure) setDrawn({ seedLines: figure.seedLines, band: figure.band });
  }, [figure]);

  const key = curves?.key ?? 'return_mean';
  const layout = useMemo<Partial<Layout>>(() => {
    const fg = dark ? '#d7dce4' : '#1d2430';
    const grid = dark ? 'rgba(255,255,255,0.09)' : 'rgba(0,0,0,0.08)';
    return {
      // same uirevision across updates: Plotly.react keeps the user's zoom and legend toggles
      uirevision: key,
      autosize: true,
      height: 420,
      margin: { l: 60, r: 20, t: 10, b: 50 },
      paper_bgcolor: 'rgba(0,0,0,0)',
      plot_bgcolor: 'rgba(0,0,0,0)',
      font: { color: fg, size: 12 },
      hovermode: 'x unified',
      legend: { orientation: 'h', traceorder: 'normal', y: 1.02, yanchor: 'bottom', x: 0, xanchor: 'left' },
      xaxis: { title: { text: 'environment steps' }, gridcolor: grid, zerolinecolor: grid },
      yaxis: { title: { text: key }, gridcolor: grid, zerolinecolor: grid },
    };
  }, [dark, key]);

  const data = useMemo<Data[]>(() => figure?.traces ?? [], [figure]);
  const empty = figure !== undefined && figure.traces.length === 0;

  return (
    <div
      className="curve-chart"
      data-testid="curve-chart"
      data-seed-lines={String(drawn.seedLines)}
      data-band={drawn.band ? '1' : '0'}
      data-key={key}
    >
      {empty && <div className="chart-empty muted">No {key} points yet.</div>}
      <PlotlyChart data={data} layout={layout} config={CONFIG} onRendered={onRendered} className="chart-host" />
    </div>
  );
}
