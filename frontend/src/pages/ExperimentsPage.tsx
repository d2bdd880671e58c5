import { useEffect, useState } from 'react';
import type { ExperimentList } from '../api/types';
import { ErrorBox } from '../components/ErrorBox';
import { ProgressBar } from '../components/ProgressBar';
import { StatusChips } from '../components/StatusChips';
import { useNow, usePoll } from '../hooks/usePoll';
import { useUrlState } from '../hooks/useUrlState';
import { anyActive, formatAge, STATUS_ORDER } from '../lib/status';
import { cancelExperiment, listExperiments, type ExperimentQuery } from '../requests';
import { Link, navigate } from '../router';

const PAGE_SIZE = 25;
const POLL_MS = 2000;

interface Filters {
  q: string;
  status: string;
  algo: string;
  env: string;
  tag: string;
  page: number;
}

const FILTER_KEYS = ['q', 'status', 'algo', 'env', 'tag'] as const;

function readFilters(search: string): Filters {
  const p = new URLSearchParams(search);
  const page = Number(p.get('page'));
  return {
    q: p.get('q') ?? '',
    status: p.get('status') ?? '',
    algo: p.get('algo') ?? '',
    env: p.get('env') ?? '',
    tag: p.get('tag') ?? '',
    page: Number.isInteger(page) && page > 1 ? page : 1,
  };
}

function writeFilters(f: Filters): string {
  const p = new URLSearchParams();
  for (const k of FILTER_KEYS) if (f[k]) p.set(k, f[k]);
  if (f.page > 1) p.set('page', String(f.page));
  const s = p.toString();
  return s ? `?${s}` : '';
}

const hasActiveRuns = (list: ExperimentList) => list.items.some((e) => anyActive(e.status_counts));

export function ExperimentsPage() {
  const [filters, setFilters] = useUrlState(readFilters, writeFilters);
  const [q, setQ] = useState(filters.q);
  const [selected, setSelected] = useState<ReadonlySet<number>>(new Set());
  const [bulkError, setBulkError] = useState<string>();
  const [bulkBusy, setBulkBusy] = useState(false);
  const now = useNow();
  const offset = (filters.page - 1) * PAGE_SIZE;
  const { data, error, loading, polling, refresh } = usePoll(
    (signal) =>
      listExperiments(
        { q: filters.q, status: (filters.status || undefined) as ExperimentQuery['status'], algo: filters.algo, env: filters.env, tag: filters.tag, limit: PAGE_SIZE, offset },
        signal,
      ),
    [filters.q, filters.status, filters.algo, filters.env, filters.tag, offset],
    { intervalMs: POLL_MS, keepPolling: hasActiveRuns },
  );

  useEffect(() => {
    document.title = 'Experiments · rlboard';
  }, []);

  // the search box applies a moment after typing stops
  useEffect(() => {
    if (q === filters.q) return;
    const t = setTimeout(() => setFilters({ q, page: 1 }), 300);
    return () => clearTimeout(t);
  }, [q, filters.q, setFilters]);

  const total = data?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const items = data?.items ?? [];
  const filtered = FILTER_KEYS.some((k) => filters[k]);
  const chosen = items.filter((e) => selected.has(e.id));
  const cancellable = chosen.filter((e) => anyActive(e.status_counts));

  function toggle(id: number) {
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  }

  async function cancelChosen() {
    setBulkBusy(true);
    setBulkError(undefined);
    const results = await Promise.allSettled(cancellable.map((e) => cancelExperiment(e.id)));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length > 0) setBulkError(`${failed.length} could not be cancelled: ${String(failed[0]?.reason)}`);
    setBulkBusy(false);
    refresh();
  }

  // algorithms and environments to filter by: those of the loaded page plus the active filter
  const algos = [...new Set([filters.algo, ...items.map((e) => e.algo)].filter(Boolean))].sort();

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

      <div className="filters card" role="search">
        <label>
          Search
          <input type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder="name, env, algorithm, tag, notes" data-testid="filter-q" />
        </label>
        <label>
          Status
          <select value={filters.status} onChange={(e) => setFilters({ status: e.target.value, page: 1 })} data-testid="filter-status">
            <option value="">any</option>
            {STATUS_ORDER.map((s) => (
              <option key={s} value={s}>
                has {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Algorithm
          <select value={filters.algo} onChange={(e) => setFilters({ algo: e.target.value, page: 1 })} data-testid="filter-algo">
            <option value="">any</option>
            {algos.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </label>
        <label>
          Environment
          <input type="text" defaultValue={filters.env} onBlur={(e) => setFilters({ env: e.target.value.trim(), page: 1 })} onKeyDown={(e) => e.key === 'Enter' && setFilters({ env: e.currentTarget.value.trim(), page: 1 })} placeholder="CartPole-v1" data-testid="filter-env" />
        </label>
        <label>
          Tag
          <input type="text" defaultValue={filters.tag} onBlur={(e) => setFilters({ tag: e.target.value.trim(), page: 1 })} onKeyDown={(e) => e.key === 'Enter' && setFilters({ tag: e.currentTarget.value.trim(), page: 1 })} data-testid="filter-tag" />
        </label>
        {filtered && (
          <button
            type="button"
            className="btn btn-small"
            onClick={() => {
              setQ('');
              setFilters({ q: '', status: '', algo: '', env: '', tag: '', page: 1 });
            }}
          >
            Clear filters
          </button>
        )}
      </div>

      {chosen.length > 0 && (
        <div className="toolbar bulk" data-testid="bulk-bar">
          <span>{chosen.length} selected</span>
          <button type="button" className="btn btn-small" disabled={chosen.length < 2} onClick={() => navigate(`/compare?ids=${chosen.map((e) => e.id).join(',')}`)} data-testid="bulk-compare">
            Compare
          </button>
          <button type="button" className="btn btn-small btn-danger" disabled={cancellable.length === 0 || bulkBusy} onClick={() => void cancelChosen()} data-testid="bulk-cancel">
            Cancel {cancellable.length > 0 ? `${cancellable.length} ` : ''}unfinished
          </button>
          <button type="button" className="btn btn-small" onClick={() => setSelected(new Set())}>
            Clear selection
          </button>
        </div>
      )}
      {bulkError && <ErrorBox>{bulkError}</ErrorBox>}
      {error && <ErrorBox onRetry={refresh}>Could not load experiments: {error.message}</ErrorBox>}
      {!data && loading && <p className="muted">Loading…</p>}

      {data && items.length === 0 && !filtered && filters.page === 1 && (
        <div className="empty card">
          <p>No experiments yet.</p>
          <Link to="/launch" className="btn btn-primary">
            Launch the first one
          </Link>
        </div>
      )}
      {data && items.length === 0 && filtered && <p className="muted">No experiment matches these filters.</p>}

      {items.length > 0 && (
        <div className="table-wrap card">
          <table className="table" data-testid="experiments-table">
            <thead>
              <tr>
                <th className="col-check">
                  <input
                    type="checkbox"
                    aria-label="Select all on this page"
                    checked={chosen.length === items.length}
                    onChange={() => setSelected(chosen.length === items.length ? new Set() : new Set(items.map((e) => e.id)))}
                  />
                </th>
                <th>Name</th>
                <th>Environment</th>
                <th>Algorithm</th>
                <th>Runs</th>
                <th className="col-progress">Progress (steps)</th>
                <th>Created</th>
              </tr>
            </thead>
            <tbody>
              {items.map((e) => (
                <tr key={e.id} data-testid="experiment-row" data-experiment-id={e.id}>
                  <td className="col-check">
                    <input type="checkbox" aria-label={`Select ${e.name}`} checked={selected.has(e.id)} onChange={() => toggle(e.id)} data-testid="experiment-select" />
                  </td>
                  <td>
                    <Link to={`/experiments/${encodeURIComponent(String(e.id))}`} className="strong">
                      {e.name}
                    </Link>
                    {e.tags.length > 0 && (
                      <span className="tags">
                        {e.tags.map((t) => (
                          <button key={t} type="button" className="tag tag-btn" onClick={() => setFilters({ tag: t, page: 1 })} title={`Only experiments tagged ${t}`}>
                            {t}
                          </button>
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
        <nav className="pager" aria-label="Pages">
          <button type="button" className="btn" disabled={filters.page <= 1} onClick={() => setFilters({ page: filters.page - 1 })}>
            ← Newer
          </button>
          <span className="muted">
            {offset + 1}–{Math.min(offset + PAGE_SIZE, total)} of {total} (page {filters.page} of {pages})
          </span>
          <button type="button" className="btn" disabled={filters.page >= pages} onClick={() => setFilters({ page: filters.page + 1 })} data-testid="page-next">
            Older →
          </button>
        </nav>
      )}
    </section>
  );
}
