/**
 * A minimal typed Plotly wrapper. Plotly's basic bundle (scatter, bar, pie; ~1 MB, a quarter of
 * the full bundle's evaluation time) is imported lazily on first use, so it never delays the
 * first paint; every later change goes through `Plotly.react`, which
 * diffs against the current figure (no flicker, zoom kept through `layout.uirevision`).
 */
import { useEffect, useRef, useState, type MutableRefObject } from 'react';
import type { Config, Data, Layout } from 'plotly.js-dist-min';

type PlotlyApi = (typeof import('plotly.js-basic-dist-min'))['default'];

let plotlyPromise: Promise<PlotlyApi> | undefined;

export function loadPlotly(): Promise<PlotlyApi> {
  plotlyPromise ??= import('plotly.js-basic-dist-min').then((mod) => {
    // a CommonJS/UMD bundle: the API is the default export (or the namespace itself)
    const api = (mod as { default?: PlotlyApi }).default ?? (mod as unknown as PlotlyApi);
    return api;
  });
  plotlyPromise.catch(() => {
    plotlyPromise = undefined; // let a later mount try again
  });
  return plotlyPromise;
}

export interface PlotlyChartProps {
  data: Data[];
  layout: Partial<Layout>;
  config?: Partial<Config>;
  /** Called after Plotly has drawn this `data` (memoize it together with `data`). */
  onRendered?: () => void;
  className?: string;
  ariaLabel?: string;
  /** Receives the element Plotly draws into (for image export). */
  plotRef?: MutableRefObject<HTMLDivElement | null>;
}

const DEFAULT_CONFIG: Partial<Config> = { responsive: true, displaylogo: false, showSendToCloud: false };

export function PlotlyChart({ data, layout, config, onRendered, className, ariaLabel, plotRef }: PlotlyChartProps) {
  const ownRef = useRef<HTMLDivElement>(null);
  const ref = plotRef ?? ownRef;
  const [failed, setFailed] = useState<string>();
  const [ready, setReady] = useState(false);

  useEffect(() => {
    let cancelled = false;
    loadPlotly()
      .then(async (Plotly) => {
        const el = ref.current;
        if (cancelled || !el) return;
        await Plotly.react(el, data, layout, { ...DEFAULT_CONFIG, ...config });
        if (cancelled) return;
        setReady(true);
        setFailed(undefined);
        onRendered?.();
      })
      .catch((err: unknown) => {
        if (!cancelled) setFailed(err instanceof Error ? err.message : String(err));
      });
    return () => {
      cancelled = true;
    };
  }, [data, layout, config, onRendered]);

  useEffect(() => {
    const el = ref.current;
    return () => {
      if (el && plotlyPromise) void plotlyPromise.then((Plotly) => Plotly.purge(el)).catch(() => undefined);
    };
  }, []);

  return (
    <div className={className} aria-label={ariaLabel}>
      {!ready && !failed && <div className="chart-placeholder">Loading chart…</div>}
      {failed && <div className="error-box">Could not draw the chart: {failed}</div>}
      <div ref={ref} className="plotly-host" />
    </div>
  );
}
