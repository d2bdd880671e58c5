/**
 * The registered workers: host, alive or not, queues, GPUs, concurrency and the runs each one
 * executes now (linked to their experiment), refreshed every few seconds. The API gives no
 * queue lengths, so none are shown.
 */
import { useEffect } from 'react';
import { getRun } from '../api/client';
import type { Run } from '../api/types';
import { ErrorBox } from '../components/ErrorBox';
import { StatusChip } from '../components/StatusChips';
import { useNow, usePoll } from '../hooks/usePoll';
import { currentRunIds, sortWorkers, workerState } from '../lib/workers';
import { formatAge } from '../lib/status';
import { listWorkers, type WorkerInfo } from '../requests';
import { Link } from '../router';

const POLL_MS = 3000;

interface WorkersView {
  workers: WorkerInfo[];
  runs: Map<number, Run>;
}

/** The workers and the runs they execute (a run that vanished meanwhile is left out). */
async function loadWorkers(signal: AbortSignal): Promise<WorkersView> {
  const workers = sortWorkers(await listWorkers(signal));
  const runs = await Promise.all(
    currentRunIds(workers).map((id) => getRun(String(id), signal).catch(() => undefined)),
  );
  return { workers, runs: new Map(runs.filter((r): r is Run => r !== undefined).map((r) => [r.id, r])) };
}

export function WorkersPage() {
  const now = useNow(5000);
  const { data, error, loading, polling, refresh } = usePoll(loadWorkers, [], {
    intervalMs: POLL_MS,
    keepPolling: () => true,
  });

  useEffect(() => {
    document.title = 'Workers · rlboard';
  }, []);

  const workers = data?.workers ?? [];
  const alive = workers.filter((w) => w.alive).length;
  return (
    <section>
      <div className="page-head">
        <h1>Workers</h1>
        <span className="muted" data-testid="workers-alive">
          {data ? `${alive} of ${workers.length} alive` : ''}
        </span>
        <span className="muted live-note">{polling ? `● live, refreshing every ${POLL_MS / 1000} s` : ''}</span>
        <span className="spacer" />
        <button type="button" className="btn" onClick={refresh} disabled={loading}>
          Refresh
        </button>
      </div>
      {error && (
        <ErrorBox testId="workers-error" onRetry={refresh}>
          {error.message}
        </ErrorBox>
      )}
      {data && workers.length === 0 ? (
        <div className="card empty muted" data-testid="workers-empty">
          No worker has registered yet. Start one with <span className="mono">rlboard worker</span>.
        </div>
      ) : (
        <div className="table-wrap card">
          <table className="table" data-testid="workers-table">
            <thead>
              <tr>
                <th>Worker</th>
                <th>Host</th>
                <th>State</th>
                <th>Queues</th>
                <th>GPUs</th>
                <th className="num">Concurrency</th>
                <th>Current runs</th>
                <th>Heartbeat</th>
              </tr>
            </thead>
            <tbody>
              {workers.map((w) => (
                <WorkerRow key={w.name} worker={w} runs={data?.runs} now={now} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function WorkerRow({ worker: w, runs, now }: { worker: WorkerInfo; runs: Map<number, Run> | undefined; now: number }) {
  const state = workerState(w);
  return (
    <tr data-testid="worker-row" data-name={w.name} data-alive={String(w.alive)}>
      <td className="mono">{w.name}</td>
      <td className="mono small">
        {w.host} <span className="muted">pid {w.pid}</span>
      </td>
      <td>
        <StatusChip status={state} />
      </td>
      <td>
        {w.queues.map((q) => (
          <span key={q} className="tag">
            {q}
          </span>
        ))}
      </td>
      <td className="mono small">{w.gpus.length > 0 ? w.gpus.join(', ') : <span className="muted">none</span>}</td>
      <td className="num">{w.concurrency}</td>
      <td data-testid="worker-runs">
        {w.run_ids.length === 0 ? (
          <span className="muted">idle</span>
        ) : (
          <span className="chips">
            {w.run_ids.map((id) => {
              const run = runs?.get(id);
              return run ? (
                <Link key={id} to={`/experiments/${run.experiment_id}`} className="mono small" title={`seed ${run.seed}`}>
                  run {id}
                </Link>
              ) : (
                <span key={id} className="mono small">
                  run {id}
                </span>
              );
            })}
          </span>
        )}
      </td>
      <td className="small" title={w.heartbeat_at}>
        {formatAge(w.heartbeat_at, now)}
      </td>
    </tr>
  );
}
