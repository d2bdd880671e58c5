/**
 * A run's evaluations: the "Evaluate" button queues episodes of its last checkpoint on a worker
 * (with a video of the first), the list shows their returns and the video once recorded.
 */
import { useState } from 'react';
import { usePoll } from '../hooks/usePoll';
import { formatMeanStd, formatStat } from '../lib/display';
import { anyPending, returnStats } from '../lib/evaluations';
import { formatAge } from '../lib/status';
import { artifactUrl, createEvaluation, listEvaluations, type Evaluation } from '../requests';
import { ErrorBox } from './ErrorBox';
import { StatusChip } from './StatusChips';

const POLL_MS = 2000;

export function RunEvaluations({ runId, now }: { runId: number; now: number }) {
  const [episodes, setEpisodes] = useState(5);
  const [video, setVideo] = useState(true);
  const [busy, setBusy] = useState(false);
  const [postError, setPostError] = useState<string>();
  const { data, error, refresh } = usePoll((signal) => listEvaluations(runId, signal), [runId], {
    intervalMs: POLL_MS,
    keepPolling: anyPending,
  });

  async function evaluate() {
    setBusy(true);
    setPostError(undefined);
    try {
      await createEvaluation(runId, { episodes, video });
      refresh();
    } catch (err) {
      setPostError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="run-evals" data-testid="run-evals">
      <div className="run-evals-form">
        <label className="small">
          Episodes{' '}
          <input
            type="number"
            min={1}
            max={1000}
            value={episodes}
            onChange={(e) => setEpisodes(Math.max(1, Math.min(1000, Math.round(Number(e.target.value)) || 1)))}
            data-testid="eval-episodes"
          />
        </label>
        <label className="small">
          <input type="checkbox" checked={video} onChange={(e) => setVideo(e.target.checked)} data-testid="eval-video" /> record a
          video
        </label>
        <button type="button" className="btn btn-small btn-primary" disabled={busy} onClick={() => void evaluate()} data-testid="eval-submit">
          Evaluate
        </button>
      </div>
      {postError && (
        <ErrorBox testId="eval-error">
          Evaluate: {postError}
        </ErrorBox>
      )}
      {error && (
        <ErrorBox testId="evals-error" onRetry={refresh}>
          {error.message}
        </ErrorBox>
      )}
      {data && data.length === 0 && <p className="small muted">No evaluations yet.</p>}
      {data && data.length > 0 && (
        <table className="table evals-table" data-testid="evals-table">
          <thead>
            <tr>
              <th>#</th>
              <th>Status</th>
              <th className="num">Episodes</th>
              <th className="num">Return (mean ± std)</th>
              <th className="num">Min – max</th>
              <th>Worker</th>
              <th>Requested</th>
              <th>Video</th>
            </tr>
          </thead>
          <tbody>
            {data.map((e) => (
              <EvaluationRow key={e.id} evaluation={e} now={now} />
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function EvaluationRow({ evaluation: e, now }: { evaluation: Evaluation; now: number }) {
  const stats = returnStats(e.returns);
  return (
    <tr data-testid="eval-row" data-status={e.status}>
      <td className="mono">{e.id}</td>
      <td>
        <StatusChip status={e.status} />
        {e.error && (
          <details className="error-cell">
            <summary>error</summary>
            <pre>{e.error}</pre>
          </details>
        )}
      </td>
      <td className="num">{e.episodes}</td>
      <td className="num" data-testid="eval-return">{formatMeanStd(stats?.mean, stats?.std)}</td>
      <td className="num">{stats ? `${formatStat(stats.min)} – ${formatStat(stats.max)}` : '—'}</td>
      <td className="mono small">{e.worker ?? <span className="muted">—</span>}</td>
      <td className="small" title={e.created_at}>
        {formatAge(e.created_at, now)}
      </td>
      <td>
        {e.video_name ? (
          <a href={artifactUrl(e.run_id, e.video_name)} data-testid="eval-video-link">
            {e.video_name}
          </a>
        ) : (
          <span className="muted">{e.video && e.status !== 'failed' && e.status !== 'succeeded' ? 'pending' : '—'}</span>
        )}
      </td>
    </tr>
  );
}
