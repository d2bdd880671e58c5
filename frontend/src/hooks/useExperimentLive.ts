/**
 * One experiment kept live: its detail and the curves of the current view. Updates come over
 * the experiment's server-sent events (`run` events patch a run's status and progress at once;
 * `run` and `metrics` events of the shown metric schedule a reload of detail and curves, at most
 * one a second), falling back to polling every 2 s when EventSource fails. Nothing is open once
 * every run has finished; `refresh()` (after retry or resume) starts over.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { getExperiment } from '../api/client';
import type { Curves, ExperimentDetail, Run } from '../api/types';
import { isActiveStatus } from '../lib/status';
import type { CurveView } from '../lib/view';
import { eventsUrl, getCurves, getRunMetrics } from '../requests';

export type LiveMode = 'connecting' | 'sse' | 'polling' | 'done';

export const POLL_MS = 2000;
/** Least time between two reloads triggered by events. */
export const RELOAD_MS = 1000;
/** Points per seed line: more than a chart's width in pixels gains nothing. */
export const MAX_POINTS = 500;

export interface LiveState {
  detail: ExperimentDetail | undefined;
  curves: Curves | undefined;
  /** The detail could not be loaded (the page keeps what it had). */
  error: Error | undefined;
  /** The curves could not be loaded (e.g. a metric the server does not know). */
  curvesError: string | undefined;
  mode: LiveMode;
  /** Metric keys seen in `metrics` events, for the metric selector. */
  seenKeys: readonly string[];
  refresh: () => void;
}

interface Loaded {
  detail?: ExperimentDetail;
  curves?: Curves;
  error?: Error;
  curvesError?: string;
}

const isAbort = (err: unknown) => err instanceof DOMException && err.name === 'AbortError';

/**
 * The seed lines alone, from each run's own series: much cheaper for the server than the
 * experiment's curves with their seed aggregate, so a large experiment's chart appears before
 * the aggregate is ready (step axis only: runs' series carry no wall times).
 */
async function seedLinesOnly(detail: ExperimentDetail, view: CurveView, signal: AbortSignal): Promise<Curves> {
  const runs = await Promise.all(
    detail.runs.map(async (run) => {
      const series = await getRunMetrics(run.id, { key: view.key, max_points: MAX_POINTS }, signal);
      return { run_id: run.id, seed: run.seed, status: run.status, variant: run.variant, steps: series.steps, values: series.values };
    }),
  );
  const aggregate = { steps: [], mean: [], min: [], max: [], n: [], center: [], lower: [], upper: [] };
  return { key: view.key, x: view.x, agg: view.agg, band: view.band, runs, aggregate };
}

const sameView = (a: CurveView, b: CurveView) => a.key === b.key && a.agg === b.agg && a.band === b.band && a.x === b.x;

/** The detail with one run replaced by a newer copy, and the roll-up recomputed. */
export function mergeRun(detail: ExperimentDetail, run: Run): ExperimentDetail {
  if (!detail.runs.some((r) => r.id === run.id)) return detail;
  const runs = detail.runs.map((r) => (r.id === run.id ? run : r));
  const counts: Record<string, number> = Object.fromEntries(Object.keys(detail.status_counts).map((k) => [k, 0]));
  for (const r of runs) counts[r.status] = (counts[r.status] ?? 0) + 1;
  const steps_done = runs.reduce((s, r) => s + Math.min(r.steps_done, r.steps_total), 0);
  return {
    ...detail,
    runs,
    status_counts: counts as ExperimentDetail['status_counts'],
    steps_done,
    progress: detail.steps_total > 0 ? Math.min(1, steps_done / detail.steps_total) : 0,
  };
}

export function useExperimentLive(id: string, view: CurveView): LiveState {
  const [loaded, setLoaded] = useState<Loaded>({});
  const [mode, setMode] = useState<LiveMode>('connecting');
  const [seenKeys, setSeenKeys] = useState<string[]>([]);
  const [nonce, setNonce] = useState(0);
  const viewRef = useRef(view);
  viewRef.current = view;
  const reloadRef = useRef<() => void>(() => undefined);

  useEffect(() => {
    let stopped = false;
    let inFlight = false;
    let again = false;
    let lastLoad = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let pollTimer: ReturnType<typeof setInterval> | undefined;
    let source: EventSource | undefined;
    let sseFailed = false;
    let controller: AbortController | undefined;
    /** The view whose full curves are shown; until then seed lines may be drawn first. */
    let shownView: CurveView | undefined;

    const closeSource = () => {
      source?.close();
      source = undefined;
    };
    const stopPolling = () => {
      if (pollTimer !== undefined) clearInterval(pollTimer);
      pollTimer = undefined;
    };
    const startPolling = () => {
      if (pollTimer !== undefined) return;
      setMode('polling');
      pollTimer = setInterval(() => void load(), POLL_MS);
    };
    const openSource = () => {
      const es = new EventSource(eventsUrl(id));
      source = es;
      es.onopen = () => setMode('sse');
      es.addEventListener('run', (e: MessageEvent<string>) => {
        const run = JSON.parse(e.data) as Run;
        setLoaded((s) => (s.detail ? { ...s, detail: mergeRun(s.detail, run) } : s));
        schedule();
      });
      es.addEventListener('metrics', (e: MessageEvent<string>) => {
        const { key } = JSON.parse(e.data) as { key: string };
        setSeenKeys((keys) => (keys.includes(key) ? keys : [...keys, key].sort()));
        if (key === viewRef.current.key) schedule();
      });
      es.onerror = () => {
        // CLOSED: the server refused the stream; CONNECTING: a retry is under way, but a
        // proxy that breaks streams would keep us there, so poll instead either way
        if (stopped) return;
        sseFailed = true;
        closeSource();
        startPolling();
      };
    };
    const updateTransport = (active: boolean) => {
      if (!active) {
        closeSource();
        stopPolling();
        setMode('done');
      } else if (!source && pollTimer === undefined) {
        if (typeof EventSource !== 'undefined' && !sseFailed) openSource();
        else startPolling();
      }
    };

    async function load() {
      if (inFlight) {
        again = true;
        return;
      }
      inFlight = true;
      lastLoad = Date.now();
      controller = new AbortController();
      const signal = controller.signal;
      const v = viewRef.current;
      try {
        // detail first, then curves: the curves are never older than the statuses shown
        const detail = await getExperiment(id, signal);
        if (!stopped) setLoaded((s) => ({ ...s, detail, error: undefined }));
        let curves: Curves | undefined;
        let curvesError: string | undefined;
        if (v.x === 'step' && !(shownView && sameView(shownView, v))) {
          // seed lines first, alone: the server computes them far faster than the aggregate,
          // and on a busy server the two requests would only slow each other down
          try {
            const partial = await seedLinesOnly(detail, v, signal);
            if (!stopped && sameView(viewRef.current, v)) setLoaded({ detail, curves: partial });
          } catch (err) {
            if (isAbort(err)) throw err; // otherwise the full curves below say what is wrong
          }
        }
        try {
          curves = await getCurves(id, { key: v.key, agg: v.agg, band: v.band, x: v.x, max_points: MAX_POINTS }, signal);
          shownView = v;
        } catch (err) {
          if (isAbort(err)) throw err;
          curvesError = err instanceof Error ? err.message : String(err);
        }
        if (stopped) return;
        const now = viewRef.current;
        if (!sameView(now, v)) {
          // the view changed while loading: keep the shown curves, load the new view next
          again = true;
          setLoaded((s) => ({ ...s, detail, error: undefined }));
        } else {
          setLoaded({ detail, curves, curvesError });
        }
        updateTransport(detail.runs.some((r) => isActiveStatus(r.status)));
      } catch (err) {
        if (stopped || isAbort(err)) return;
        setLoaded((s) => ({ ...s, error: err instanceof Error ? err : new Error(String(err)) }));
        if (!source) startPolling();
      } finally {
        inFlight = false;
        if (again && !stopped) {
          again = false;
          schedule();
        }
      }
    }

    function schedule() {
      if (timer !== undefined || stopped) return;
      timer = setTimeout(() => {
        timer = undefined;
        void load();
      }, Math.max(0, lastLoad + RELOAD_MS - Date.now()));
    }

    reloadRef.current = () => void load();
    void load();
    return () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      stopPolling();
      closeSource();
      controller?.abort();
    };
  }, [id, nonce]);

  // a new view reloads at once, without reopening the stream
  const { key, agg, band, x } = view;
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    reloadRef.current();
  }, [key, agg, band, x]);

  const refresh = useCallback(() => setNonce((n) => n + 1), []);
  return { detail: loaded.detail, curves: loaded.curves, error: loaded.error, curvesError: loaded.curvesError, mode, seenKeys, refresh };
}
