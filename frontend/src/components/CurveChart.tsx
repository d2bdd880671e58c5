/**
 * A learning-curve chart: the traces of `lib/traces` drawn with Plotly.react (updated in place,
 * zoom and legend toggles kept through `uirevision`). Test and benchmark hooks on the wrapper:
 * `data-drawn` counts the draws that had at least one trace, `data-traces` is the number of
 * traces drawn, plus whatever `attrs` the page adds; the first such draw also sets the
 * performance mark `rlboard:chart-drawn`.
 */
import { useCallback, useMemo, useState, type MutableRefObject } from 'react';
import type { Config, Data, Layout } from 'plotly.js-dist-min';
import { usePrefersDark } from '../hooks/usePoll';
import type { LineTrace } from '../lib/traces';
import { PlotlyChart } from './PlotlyChart';

// plotly.js 4 shows a "Share chart" button (upload to Plotly Cloud) by default: never here.
const CONFIG: Partial<Config> = { responsive: true, displaylogo: false, showSendToCloud: false };

export const CHART_DRAWN_MARK = 'rlboard:chart-drawn';

interface Props {
  traces: LineTrace[] | undefined;
  xTitle: string;
  yTitle: string;
  /** Changing it resets zoom (a new metric or axis); keep it while only data changes. */
  revision: string;
  /** data-* attributes describing what was drawn, applied once Plotly has drawn it. */
  attrs?: Record<string, string>;
  emptyText?: string;
  testId?: string;
  plotRef?: MutableRefObject<HTMLDivElement | null>;
  height?: number;
}

export function CurveChart({ traces, xTitle, yTitle, revision, attrs, emptyText, testId = 'curve-chart', plotRef, height = 420 }: Props) {
  const dark = usePrefersDark();
  const [drawn, setDrawn] = useState<{ count: number; traces: number; attrs: Record<string, string> }>({
    count: 0,
    traces: 0,
    attrs: {},
  });
  const data = useMemo<Data[]>(() => (traces ?? []) as Data[], [traces]);
  const attrsKey = JSON.stringify(attrs ?? {});
  const onRendered = useCallback(() => {
    const n = traces?.length ?? 0;
    if (n > 0 && performance.getEntriesByName(CHART_DRAWN_MARK).length === 0) performance.mark(CHART_DRAWN_MARK);
    setDrawn((d) => ({ count: d.count + (n > 0 ? 1 : 0), traces: n, attrs: JSON.parse(attrsKey) as Record<string, string> }));
  }, [traces, attrsKey]);

  const layout = useMemo<Partial<Layout>>(() => {
    const fg = dark ? '#d7dce4' : '#1d2430';
    const grid = dark ? 'rgba(255,255,255,0.09)' : 'rgba(0,0,0,0.08)';
    return {
      uirevision: revision,
      autosize: true,
      height,
      margin: { l: 60, r: 20, t: 10, b: 50 },
      paper_bgcolor: 'rgba(0,0,0,0)',
      plot_bgcolor: 'rgba(0,0,0,0)',
      font: { color: fg, size: 12 },
      hovermode: 'x unified',
      legend: { orientation: 'h', traceorder: 'normal', y: 1.02, yanchor: 'bottom', x: 0, xanchor: 'left' },
      xaxis: { title: { text: xTitle }, gridcolor: grid, zerolinecolor: grid },
      yaxis: { title: { text: yTitle }, gridcolor: grid, zerolinecolor: grid },
    };
  }, [dark, revision, xTitle, yTitle, height]);

  const empty = traces !== undefined && traces.length === 0;
  const dataAttrs = Object.fromEntries(Object.entries(drawn.attrs).map(([k, v]) => [`data-${k}`, v]));

  return (
    <div
      className="curve-chart"
      data-testid={testId}
      data-drawn={String(drawn.count)}
      data-traces={String(drawn.traces)}
      {...dataAttrs}
      style={{ minHeight: height }}
    >
      {empty && <div className="chart-empty muted">{emptyText ?? 'No points yet.'}</div>}
      <PlotlyChart
        data={data}
        layout={layout}
        config={CONFIG}
        onRendered={onRendered}
        className="chart-host"
        ariaLabel={`${yTitle} against ${xTitle}`}
        plotRef={plotRef}
      />
    </div>
  );
}
