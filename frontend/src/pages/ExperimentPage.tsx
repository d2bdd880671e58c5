import { useEffect, useMemo, useState } from 'react';
import { ApiError } from '../api/client';
import { CurveChart } from '../components/CurveChart';
import { CurveControls, metricOptions } from '../components/CurveControls';
import { loadPlotly } from '../components/PlotlyChart';
import { ErrorBox } from '../components/ErrorBox';
import { ProgressBar } from '../components/ProgressBar';
import { RunsTable } from '../components/RunsTable';
import { SpecView } from '../components/SpecView';
import { StatusChips } from '../components/StatusChips';
import { useExperimentLive, type LiveMode } from '../hooks/useExperimentLive';
import { useMetricKeys } from '../hooks/useMetricKeys';
import { useNow, usePrefersDark } from '../hooks/usePoll';
import { useUrlState } from '../hooks/useUrlState';
import { X_LABELS } from '../lib/display';
import { anyActive, countsFromRuns, formatAge } from '../lib/status';
import { buildCurveTraces, DARK_COLORS, DEFAULT_COLORS } from '../lib/traces';
import { readCurveView, writeCurveView } from '../lib/view';
import { cancelExperiment, exportUrl } from '../requests';
import { Link } from '../router';

const readView = (search: string) => readCurveView(search);
const writeView = writeCurveView;

const LIVE_TEXT: Record<LiveMode, string> = {
  connecting: 'connecting…',
  sse: '● live',
  polling: '● live, refreshing every 2 s',
  done: 'all runs finished',
};

export function ExperimentPage({ id }: { id: string }) {
  const [view, setView] = useUrlState(readView, writeView);
  const now = useNow(5000);
  const dark = usePrefersDark();
  const live = useExperimentLive(id, view);
  const { detail, curves, error, curvesError, mode, refresh } = live;
  const loggedKeys = useMetricKeys([id]);
  const [cancelError, setCancelError] = useState<string>();

  // fetch Plotly while the data loads, not after it
  useEffect(() => {
    void loadPlotly().catch(() => undefined); // the chart reports a failure itself
  }, []);

  useEffect(() => {
    document.title = `${detail?.name ?? `Experiment ${id}`} · rlboard`;
  }, [detail?.name, id]);

  // the curves of the view being shown (a stale response of another metric is not drawn)
  const figure = useMemo(
    () => (curves ? buildCurveTraces(curves, dark ? DARK_COLORS : DEFAULT_COLORS, view.smooth) : undefined),
    [curves, dark, view.smooth],
  );

  if (!detail) {
    if (error instanceof ApiError && error.status === 404) {
      return (
        <section>
          <h1>Experiment not found</h1>
          <p>
            There is no experiment <span className="mono">{id}</span>. <Link to="/">Back to experiments</Link>
          </p>
        </section>
      );
    }
    return (
      <section>
        {error ? <ErrorBox onRetry={refresh}>Could not load the experiment: {error.message}</ErrorBox> : <p className="muted">Loading…</p>}
      </section>
    );
  }

  const counts = countsFromRuns(detail.runs);
  const active = anyActive(counts);

  async function cancelAll() {
    setCancelError(undefined);
    try {
      await cancelExperiment(id);
      refresh();
    } catch (err) {
      setCancelError(err instanceof Error ? err.message : String(err));
    }
  }

  return (
    <section>
      <div className="page-head exp-head">
        <div>
          <div className="crumbs muted">
            <Link to="/">Experiments</Link> / {String(detail.id)}
          </div>
          <h1>{detail.name}</h1>
          <div className="exp-meta">
            <span className="mono">{detail.env_id}</span>
            <span className="dot">·</span>
            <span>{detail.algo}</span>
            <span className="dot">·</span>
            <span title={detail.created_at}>created {formatAge(detail.created_at, now)}</span>
            {detail.tags.map((t) => (
              <span key={t} className="tag">
                {t}
              </span>
            ))}
          </div>
        </div>
        <span className="spacer" />
        <div className="exp-status">
          <span data-testid="status-summary" data-running={active ? '1' : '0'} className="status-summary">
            <StatusChips counts={counts} />
          </span>
          <ProgressBar done={detail.steps_done} total={detail.steps_total} status={overallStatus(counts)} />
          <span className="muted live-note" data-testid="live-mode" data-mode={mode}>
            {LIVE_TEXT[mode]}
          </span>
        </div>
      </div>

      <div className="toolbar">
        <Link to={`/compare?ids=${detail.id}`} className="btn btn-small">
          Compare with…
        </Link>
        <a className="btn btn-small" href={exportUrl(detail.id, 'csv', 'raw')} download>
          Export CSV
        </a>
        <a className="btn btn-small" href={exportUrl(detail.id, 'json', 'raw')} download>
          Export JSON
        </a>
        <span className="spacer" />
        {active && (
          <button type="button" className="btn btn-small btn-danger" onClick={() => void cancelAll()} data-testid="cancel-experiment">
            Cancel all runs
          </button>
        )}
      </div>

      {cancelError && <ErrorBox>Cancel failed: {cancelError}</ErrorBox>}
      {error && <ErrorBox onRetry={refresh}>Refresh failed: {error.message}</ErrorBox>}

      <div className="card">
        <div className="card-head">
          <h2>Learning curves</h2>
          <span className="spacer" />
          <CurveControls view={view} onChange={setView} keys={metricOptions(view.key, [...loggedKeys, ...live.seenKeys])} />
        </div>
        {curvesError && <ErrorBox>Could not load the {view.key} curves: {curvesError}</ErrorBox>}
        <CurveChart
          traces={figure?.traces}
          xTitle={X_LABELS[view.x]}
          yTitle={view.key}
          revision={`${view.key}:${view.x}`}
          attrs={{
            'seed-lines': String(figure?.seedLines ?? 0),
            band: figure?.band ? '1' : '0',
            key: curves?.key ?? view.key,
            agg: curves?.agg ?? view.agg,
          }}
          emptyText={`No ${view.key} points yet.`}
        />
      </div>

      <div className="card">
        <div className="card-head">
          <h2>Runs</h2>
        </div>
        <RunsTable runs={detail.runs} curves={curves} now={now} onChanged={refresh} />
      </div>

      <SpecView spec={detail.spec} />
      {detail.sweep && <SpecView spec={detail.sweep} title="Sweep" />}
    </section>
  );
}

/** Colour of the header's progress bar: only set once nothing is running any more. */
function overallStatus(counts: Record<string, number>): string | undefined {
  if (anyActive(counts)) return undefined;
  if (counts['failed']) return 'failed';
  return counts['succeeded'] ? 'succeeded' : 'cancelled';
}
