import { useEffect, useState } from 'react';
import { listExperiments } from '../api/client';
import type { ExperimentList } from '../api/types';
import { ErrorBox } from '../components/ErrorBox';
import { ProgressBar } from '../components/ProgressBar';
import { StatusChips } from '../components/StatusChips';
import { useNow, usePoll } from '../hooks/usePoll';
import { anyActive, formatAge } from '../lib/status';
import { Link } from '../router';

const PAGE_SIZE = 50;
const POLL_MS = 2000;

const hasActiveRuns = (list: ExperimentList) => list.items.some((e) => anyActive(e.status_counts));

export function ExperimentsPage() {
  const [offset, setOffset] = useState(0);
  const now = useNow();
  const { data, error, loading, polling, refresh } = usePoll(
    (signal) => listExperiments({ limit: PAGE_SIZE, offset }, signal),
    [offset],
    { intervalMs: POLL_MS, keepPolling: hasActiveRuns },
  );

  useEffect(() => {
    document.title = 'Experiments · rlboard';
  }, []);

  const total = data?.total ?? 0;
  return (
    <section>
      <div className="page-head">
        <h1>Experiments</h1>
        <span className="muted live-note">{polling ? '● live, refreshing every 2 s' : ''}</span>
        <span className="spacer" />
        <button type="button" className="btn" onClick={refresh} disabled={loading}>
          Refresh
        </button>
        <Link to="/launch" className="btn btn-primary" data-testid="new-experiment">
          New experiment
        </Link>
      </div>

      {error && (
        <ErrorBox onRetry={refresh}>Could not load experiments: {error.message}</ErrorBox>
      )}

      {!data && loading && <p className="muted">Loading…</p>}

      {data && data.items.length === 0 && offset === 0 && (
        <div className="empty card">
          <p>No experiments yet.</p>
          <Link to="/launch" className="btn btn-primary">
            Launch the first one
          </Link>
        </div>
      )}

      {data && data.items.length > 0 && (
        <div className="table-wrap card">
          <table className="table" data-testid="experiments-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Environment</th>
                <th>Algorithm</th>
                <th>Runs</th>
                <th className="col-progress">Progress (steps)</th>
                <th>Created</th>
              </tr>
            </thead>
            <tbody>
              {data.items.map((e) => (
                <tr key={e.id} data-testid="experiment-row" data-experiment-id={e.id}>
                  <td>
                    <Link to={`/experiments/${encodeURIComponent(String(e.id))}`} className="strong">
                      {e.name}
                    </Link>
                    {e.tags.length > 0 && (
                      <span className="tags">
                        {e.tags.map((t) => (
                          <span key={t} className="tag">
                            {t}
                          </span>
                        ))}
                      </span>
                    )}
                  </td>
                  <td className="mono">{e.env_id}</td>
                  <td>{e.algo}</td>
                  <td>
                    <StatusChips counts={e.status_counts} />
                  </td>
                  <td className="col-progress">
                    <ProgressBar done={e.steps_done} total={e.steps_total} />
                  </td>
                  <td title={e.created_at}>{formatAge(e.created_at, now)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      {data && total > PAGE_SIZE && (
        <div className="pager">
          <button
            type="button"
            className="btn"
            disabled={offset === 0}
            onClick={() => setOffset(Math.max(0, offset - PAGE_SIZE))}
          >
            ← Newer
          </button>
          <span className="muted">
            {offset + 1}–{Math.min(offset + PAGE_SIZE, total)} of {total}
          </span>
          <button
            type="button"
            className="btn"
            disabled={offset + PAGE_SIZE >= total}
            onClick={() => setOffset(offset + PAGE_SIZE)}
          >
            Older →
          </button>
        </div>
      )}
    </section>
  );
}
