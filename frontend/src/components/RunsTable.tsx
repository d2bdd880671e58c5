/**
 * The seed table of an experiment: status, progress, steps/s, final and best value of the shown
 * metric, worker, device, time, error, and the lifecycle buttons (cancel a queued or running
 * run; retry or resume a failed or cancelled one); "Log" and "Evaluations" open a panel below
 * the row with the tail of the run's log or its evaluations.
 */
import { Fragment, useState } from 'react';
import type { Curves, Run } from '../api/types';
import { formatStat } from '../lib/display';
import { finalAndBest, stepsPerSecond, variantLabel } from '../lib/runStats';
import { formatCount, formatDuration, isActiveStatus } from '../lib/status';
import { runAction, type RunAction } from '../requests';
import { ProgressBar } from './ProgressBar';
import { RunEvaluations } from './RunEvaluations';
import { RunLog } from './RunLog';
import { StatusChip } from './StatusChips';

const CAN: Record<RunAction, (status: string) => boolean> = {
  cancel: (s) => s === 'queued' || s === 'running',
  retry: (s) => s === 'failed' || s === 'cancelled',
  resume: (s) => s === 'failed' || s === 'cancelled',
};
const ACTION_LABELS: Record<RunAction, string> = { cancel: 'Cancel', retry: 'Retry', resume: 'Resume' };
type Panel = 'log' | 'evals';
const PANEL_LABELS: Record<Panel, string> = { log: 'Log', evals: 'Evaluations' };

interface Props {
  runs: readonly Run[];
  curves: Curves | undefined;
  now: number;
  /** Called after a lifecycle action succeeded. */
  onChanged: () => void;
}

export function RunsTable({ runs, curves, now, onChanged }: Props) {
  const [busy, setBusy] = useState<number>();
  const [actionError, setActionError] = useState<string>();
  /** Open panels as `${runId}:${panel}`. */
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const sweep = runs.some((r) => r.variant);
  const byRun = new Map(
    (curves?.runs ?? []).map((c) => {
      const stats = finalAndBest(c.values);
      // the curve may be downsampled; the server gives the run's last stored point too
      return [c.run_id, stats && { ...stats, final: c.last_value ?? stats.final }];
    }),
  );
  const key = curves?.key ?? 'return_mean';
  const sorted = [...runs].sort((a, b) => variantLabel(a.variant).localeCompare(variantLabel(b.variant)) || a.seed - b.seed);

  function toggle(runId: number, panel: Panel) {
    setOpen((s) => {
      const next = new Set(s);
      const k = `${runId}:${panel}`;
      if (!next.delete(k)) next.add(k);
      return next;
    });
  }
  const columns = sweep ? 12 : 11;

  async function act(run: Run, action: RunAction) {
    setBusy(run.id);
    setActionError(undefined);
    try {
      await runAction(run.id, action);
      onChanged();
    } catch (err) {
      setActionError(`${ACTION_LABELS[action]} seed ${run.seed}: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      setBusy(undefined);
    }
  }

  return (
    <>
      {actionError && (
        <div className="error-box" role="alert" data-testid="run-action-error">
          {actionError}
        </div>
      )}
      <div className="table-wrap">
        <table className="table runs-table" data-testid="runs-table">
          <thead>
            <tr>
              <th>Seed</th>
              {sweep && <th>Variant</th>}
              <th>Status</th>
              <th className="col-progress">Progress (steps)</th>
              <th className="num">Steps/s</th>
              <th className="num" title={`Last stored point of ${key}`}>Final {key}</th>
              <th className="num" title={`Largest point of ${key}`}>Best</th>
              <th>Worker</th>
              <th>Device</th>
              <th>Time</th>
              <th>Error</th>
              <th>
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {sorted.map((r) => {
              const stats = byRun.get(r.id);
              const sps = stepsPerSecond(r.steps_done, r.started_at, r.finished_at, now);
              const logOpen = open.has(`${r.id}:log`);
              const evalsOpen = open.has(`${r.id}:evals`);
              return (
                <Fragment key={r.id}>
                  <tr data-testid="run-row" data-status={r.status} data-run-id={r.id} data-seed={r.seed}>
                    <td className="mono">{r.seed}</td>
                    {sweep && <td className="mono small">{variantLabel(r.variant)}</td>}
                    <td>
                      <StatusChip status={r.status} />
                    </td>
                    <td className="col-progress">
                      <ProgressBar done={r.steps_done} total={r.steps_total} status={isActiveStatus(r.status) ? undefined : r.status} />
                    </td>
                    <td className="num">{sps === undefined ? <span className="muted">—</span> : formatCount(Math.round(sps))}</td>
                    <td className="num" data-testid="run-final">{formatStat(stats?.final)}</td>
                    <td className="num">{formatStat(stats?.best)}</td>
                    <td className="mono small">{r.worker ?? <span className="muted">—</span>}</td>
                    <td className="mono small" data-testid="run-device">{r.device || <span className="muted">—</span>}</td>
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
                    <td className="actions">
                      {(Object.keys(CAN) as RunAction[])
                        .filter((a) => CAN[a](r.status))
                        .map((a) => (
                          <button
                            key={a}
                            type="button"
                            className={`btn btn-small${a === 'cancel' ? ' btn-danger' : ''}`}
                            disabled={busy === r.id}
                            onClick={() => void act(r, a)}
                            data-testid={`run-${a}`}
                            aria-label={`${ACTION_LABELS[a]} seed ${r.seed}`}
                          >
                            {ACTION_LABELS[a]}
                          </button>
                        ))}
                      {(Object.keys(PANEL_LABELS) as Panel[]).map((p) => (
                        <button
                          key={p}
                          type="button"
                          className="btn btn-small"
                          aria-pressed={open.has(`${r.id}:${p}`)}
                          onClick={() => toggle(r.id, p)}
                          data-testid={`run-toggle-${p}`}
                          aria-label={`${PANEL_LABELS[p]} of seed ${r.seed}`}
                        >
                          {PANEL_LABELS[p]}
                        </button>
                      ))}
                    </td>
                  </tr>
                  {(logOpen || evalsOpen) && (
                    <tr className="run-panels" data-testid="run-panels" data-run-id={r.id}>
                      <td colSpan={columns}>
                        {logOpen && <RunLog runId={r.id} active={isActiveStatus(r.status)} />}
                        {evalsOpen && <RunEvaluations runId={r.id} now={now} />}
                      </td>
                    </tr>
                  )}
                </Fragment>
              );
            })}
          </tbody>
        </table>
      </div>
    </>
  );
}

/** The last non-empty line (a traceback's exception), shortened. */
function summaryLine(text: string): string {
  const line = text.trim().split('\n').filter(Boolean).pop() ?? text;
  return line.length > 120 ? `${line.slice(0, 117)}…` : line;
}
