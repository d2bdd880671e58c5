import { useEffect, useState } from 'react';
import { ApiError, getCurves, getExperiment } from '../api/client';
import type { Curves, ExperimentDetail } from '../api/types';
import { CurveChart } from '../components/CurveChart';
import { ErrorBox } from '../components/ErrorBox';
import { ProgressBar } from '../components/ProgressBar';
import { StatusChip, StatusChips } from '../components/StatusChips';
import { useNow, usePoll } from '../hooks/usePoll';
import { anyActive, countsFromRuns, formatAge, formatDuration, isActiveStatus } from '../lib/status';
import { Link } from '../router';

const POLL_MS = 2000;
const MAX_POINTS = 500;

/** Metric keys the engine logs (ARCHITECTURE.md); the selector also keeps a key from the URL. */
export const METRIC_KEYS = [
  'return_mean',
  'eval_return_mean',
  'return_std',
  'return_min',
  'return_max',
  'episode_length_mean',
  'episodes',
  'steps_per_second',
  'updates_per_second',
  'loss',
  'policy_loss',
  'value_loss',
  'entropy',
  'grad_norm',
  'q_loss',
  'alpha',
] as const;

interface PageData {
  detail: ExperimentDetail;
  curves: Curves | undefined;
  curvesError: string | undefined;
}

const stillRunning = (d: PageData) => d.detail.runs.some((r) => isActiveStatus(r.status));

function keyFromUrl(): string {
  return new URLSearchParams(window.location.search).get('key') || 'return_mean';
}

export function ExperimentPage({ id }: { id: string }) {
  const [key, setKey] = useState(keyFromUrl);
  const now = useNow(5000);

  const { data, error, polling, refresh } = usePoll<PageData>(
    async (signal) => {
      // detail first, then curves: the curves are never older than the statuses shown
      const detail = await getExperiment(id, signal);
      try {
        const curves = await getCurves(id, { key, max_points: MAX_POINTS }, signal);
        return { detail, curves, curvesError: undefined };
      } catch (err) {
        if (err instanceof DOMException && err.name === 'AbortError') throw err;
        return { detail, curves: undefined, curvesError: err instanceof Error ? err.message : String(err) };
      }
    },
    [id, key],
    { intervalMs: POLL_MS, keepPolling: stillRunning },
  );

  useEffect(() => {
    document.title = `${data?.detail.name ?? `Experiment ${id}`} · rlboard`;
  }, [data?.detail.name, id]);

  function chooseKey(k: string) {
    setKey(k);
    const url = new URL(window.location.href);
    if (k === 'return_mean') url.searchParams.delete('key');
    else url.searchParams.set('key', k);
    window.history.replaceState(null, '', url);
  }

  if (!data) {
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
        {error ? (
          <ErrorBox onRetry={refresh}>Could not load the experiment: {error.message}</ErrorBox>
        ) : (
          <p className="muted">Loading…</p>
        )}
      </section>
    );
  }

  const { detail, curves, curvesError } = data;
  const counts = countsFromRuns(detail.runs);
  const keys: string[] = METRIC_KEYS.includes(key as (typeof METRIC_KEYS)[number])
    ? [...METRIC_KEYS]
    : [key, ...METRIC_KEYS];
  const runs = [...detail.runs].sort((a, b) => a.seed - b.seed);

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
          <span data-testid="status-summary" data-running={polling ? '1' : '0'} className="status-summary">
            <StatusChips counts={counts} />
          </span>
          <ProgressBar done={detail.steps_done} total={detail.steps_total} status={overallStatus(counts)} />
          <span className="muted live-note">
            {polling ? '● live, refreshing every 2 s' : 'all runs finished'}
          </span>
        </div>
      </div>

      {error && <ErrorBox onRetry={refresh}>Refresh failed: {error.message}</ErrorBox>}

      <div className="card">
        <div className="card-head">
          <h2>Learning curves</h2>
          <span className="spacer" />
          <label className="key-select">
            metric{' '}
            <select value={key} onChange={(e) => chooseKey(e.target.value)} data-testid="curve-key">
              {keys.map((k) => (
                <option key={k} value={k}>
                  {k}
                </option>
              ))}
            </select>
          </label>
        </div>
        {curvesError && <ErrorBox>Could not load the {key} curves: {curvesError}</ErrorBox>}
        <CurveChart curves={curves} />
      </div>

      <div className="card">
        <div className="card-head">
          <h2>Runs</h2>
        </div>
        <div className="table-wrap">
          <table className="table" data-testid="runs-table">
            <thead>
              <tr>
                <th>Seed</th>
                <th>Status</th>
                <th className="col-progress">Progress (steps)</th>
                <th>Worker</th>
                <th>Time</th>
                <th>Error</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((r) => (
                <tr key={r.id} data-testid="run-row" data-status={r.status} data-run-id={r.id}>
                  <td className="mono">{r.seed}</td>
                  <td>
                    <StatusChip status={r.status} />
                  </td>
                  <td className="col-progress">
                    <ProgressBar done={r.steps_done} total={r.steps_total} status={r.status} />
                  </td>
                  <td className="mono small">{r.worker ?? <span className="muted">—</span>}</td>
                  <td className="small" title={r.started_at ?? ''}>
                    {r.started_at ? formatDuration(r.started_at, r.finished_at, now) : <span className="muted">not started</span>}
                  </td>
                  <td className="error-cell">
                    {r.error ? (
                      <details>
                        <summary>{summaryLine(r.error)}</summary>
                        <pre>{r.error}</pre>
                      </details>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>

      <details className="card spec">
        <summary>Resolved spec</summary>
        <pre className="mono">{JSON.stringify(detail.spec, null, 2)}</pre>
      </details>
    </section>
  );
}

/** Colour of the header's progress bar: only set once nothing is running any more. */
function overallStatus(counts: Record<string, number>): string | undefined {
  if (anyActive(counts)) return undefined;
  if (counts['failed']) return 'failed';
  return counts['succeeded'] ? 'succeeded' : 'cancelled';
}

/** The last non-empty line (a traceback's exception), shortened. */
function summaryLine(text: string): string {
  const line = text.trim().split('\n').filter(Boolean).pop() ?? text;
  return line.length > 120 ? `${line.slice(0, 117)}…` : line;
}
