/**
 * Compare experiments: their aggregate curves with bands overlaid, the statistics table (IQM
 * with its 95% CI, final mean ± std, seeds, a warning under 5 seeds), the probability of
 * improvement for every pair, CSV/PNG export and the HTML report. The whole view (ids or tag,
 * metric, aggregate, band, smoothing, x) lives in the URL.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { getExperiment } from '../api/client';
import type { Curves, ExperimentSummary } from '../api/types';
import { loadPlotly } from '../components/PlotlyChart';
import { CurveChart } from '../components/CurveChart';
import { CurveControls, metricOptions } from '../components/CurveControls';
import { ErrorBox } from '../components/ErrorBox';
import { useMetricKeys } from '../hooks/useMetricKeys';
import { useUrlState } from '../hooks/useUrlState';
import { curvesCsv, downloadText, toCsv } from '../lib/csv';
import {
  aggregateLabel,
  formatInterval,
  formatMeanStd,
  formatProbability,
  formatStat,
  probabilityTone,
  X_LABELS,
} from '../lib/display';
import { buildCompareTraces, COMPARE_PALETTE, type CompareSeries } from '../lib/traces';
import { readCompareView, writeCompareView, type CompareView } from '../lib/view';
import { compareExperiments, getCurves, listExperiments, reportUrl, type Comparison } from '../requests';
import { Link } from '../router';

const MAX_POINTS = 500;
const MAX_COMPARED = 20;
/** A run's final score: the mean of its last K points (the API's default). */
const LAST_K = 5;

interface Loaded {
  series: CompareSeries[];
  comparison: Comparison | undefined;
  statsError: string | undefined;
}

/** Experiments chosen by id, or all experiments with the view's tag. */
function useComparedIds(view: CompareView): { ids: number[]; error: string | undefined } {
  const [tagIds, setTagIds] = useState<{ tag: string; ids: number[]; error?: string }>({ tag: '', ids: [] });
  useEffect(() => {
    if (view.ids.length > 0 || !view.tag) return;
    const controller = new AbortController();
    listExperiments({ tag: view.tag, limit: MAX_COMPARED, offset: 0 }, controller.signal)
      .then((list) => setTagIds({ tag: view.tag, ids: list.items.map((e) => e.id).reverse() }))
      .catch((err: unknown) => {
        if (!controller.signal.aborted) setTagIds({ tag: view.tag, ids: [], error: String(err instanceof Error ? err.message : err) });
      });
    return () => controller.abort();
  }, [view.ids.length, view.tag]);
  if (view.ids.length > 0) return { ids: view.ids, error: undefined };
  return tagIds.tag === view.tag ? { ids: tagIds.ids, error: tagIds.error } : { ids: [], error: undefined };
}

export function ComparePage() {
  const [view, setView] = useUrlState(readCompareView, writeCompareView);
  const { ids, error: tagError } = useComparedIds(view);
  const loggedKeys = useMetricKeys(ids);
  const [loaded, setLoaded] = useState<Loaded>();
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string>();
  const [nonce, setNonce] = useState(0);
  const plotRef = useRef<HTMLDivElement | null>(null);

  useEffect(() => {
    document.title = 'Compare · rlboard';
  }, []);

  const idsKey = ids.join(',');
  useEffect(() => {
    if (ids.length === 0) {
      setLoaded(undefined);
      return;
    }
    const controller = new AbortController();
    const signal = controller.signal;
    setLoading(true);
    setError(undefined);
    const query = { key: view.key, agg: view.agg, band: view.band, x: view.x, max_points: MAX_POINTS };
    const seriesP = Promise.all(
      ids.map(async (id) => {
        const [detail, curves] = await Promise.all([getExperiment(String(id), signal), getCurves(id, query, signal)]);
        return { id, name: detail.name, curves: curves as Curves };
      }),
    );
    const statsP: Promise<{ comparison?: Comparison; statsError?: string }> =
      ids.length >= 2
        ? compareExperiments({ experiment_ids: ids, key: view.key, last_k: LAST_K, max_points: 50 }, signal).then(
            (comparison) => ({ comparison }),
            (err: unknown) => ({ statsError: err instanceof Error ? err.message : String(err) }),
          )
        : Promise.resolve({});
    Promise.all([seriesP, statsP])
      .then(([series, stats]) => {
        setLoaded({ series, comparison: stats.comparison, statsError: stats.statsError });
        setLoading(false);
      })
      .catch((err: unknown) => {
        if (signal.aborted) return;
        setError(err instanceof Error ? err.message : String(err));
        setLoading(false);
      });
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [idsKey, view.key, view.agg, view.band, view.x, nonce]);

  const figure = useMemo(() => (loaded ? buildCompareTraces(loaded.series, view.smooth) : undefined), [loaded, view.smooth]);
  const names = new Map((loaded?.series ?? []).map((s) => [s.id, s.name]));

  function setIds(next: number[]) {
    setView({ ids: next.slice(0, MAX_COMPARED), tag: '' });
  }

  async function downloadPng() {
    const el = plotRef.current;
    if (!el) return;
    const Plotly = await loadPlotly();
    await Plotly.downloadImage(el, { format: 'png', filename: `rlboard-compare-${ids.join('-')}`, width: 1200, height: 600 });
  }

  function downloadStats() {
    const c = loaded?.comparison;
    if (!c) return;
    const rows = c.experiments.map((e) => [e.experiment_id, e.name, e.env_id, e.key, e.n, e.iqm, e.iqm_lower, e.iqm_upper, e.mean, e.std, e.warning]);
    downloadText(
      `rlboard-compare-${ids.join('-')}-stats.csv`,
      toCsv(['experiment_id', 'name', 'env_id', 'key', 'n_seeds', 'iqm', 'iqm_lower', 'iqm_upper', 'mean', 'std', 'warning'], rows),
    );
  }

  return (
    <section>
      <div className="page-head">
        <h1>Compare</h1>
        <span className="spacer" />
        <button type="button" className="btn" onClick={() => setNonce((n) => n + 1)} disabled={loading || ids.length === 0}>
          Refresh
        </button>
      </div>

      <ExperimentPicker ids={ids} tag={view.tag} names={names} onIds={setIds} onTag={(tag) => setView({ tag, ids: [] })} />
      {tagError && <ErrorBox>Could not list the experiments tagged {view.tag}: {tagError}</ErrorBox>}
      {error && <ErrorBox onRetry={() => setNonce((n) => n + 1)}>Could not load the comparison: {error}</ErrorBox>}

      {ids.length > 0 && (
        <div className="card">
          <div className="card-head">
            <h2>Curves</h2>
            <span className="muted small">{aggregateLabel(view.agg, view.band)}</span>
            <span className="spacer" />
            <CurveControls view={view} onChange={setView} keys={metricOptions(view.key, loggedKeys)} />
          </div>
          <CurveChart
            testId="compare-chart"
            traces={figure?.traces}
            xTitle={X_LABELS[view.x]}
            yTitle={view.key}
            revision={`${view.key}:${view.x}`}
            plotRef={plotRef}
            attrs={{
              lines: String(figure?.lines ?? 0),
              bands: String(figure?.bands ?? 0),
              ids: (loaded?.series ?? []).map((s) => s.id).join(','),
              key: loaded?.series[0]?.curves.key ?? '',
              agg: loaded?.series[0]?.curves.agg ?? '',
              band: loaded?.series[0]?.curves.band ?? '',
              smooth: String(view.smooth),
            }}
            emptyText={loading ? 'Loading…' : `No ${view.key} points in these experiments.`}
          />
          <div className="toolbar">
            <button type="button" className="btn btn-small" disabled={!loaded} onClick={() => loaded && downloadText(`rlboard-compare-${ids.join('-')}.csv`, curvesCsv(loaded.series))} data-testid="export-csv">
              Curves CSV
            </button>
            <button type="button" className="btn btn-small" disabled={!loaded?.comparison} onClick={downloadStats}>
              Statistics CSV
            </button>
            <button type="button" className="btn btn-small" disabled={!figure?.lines} onClick={() => void downloadPng()} data-testid="export-png">
              PNG
            </button>
            {ids.length >= 2 && (
              <a className="btn btn-small" href={reportUrl(ids, view.key)} data-testid="report-link">
                HTML report
              </a>
            )}
          </div>
        </div>
      )}

      {ids.length === 1 && <p className="muted">Add a second experiment for the statistics.</p>}
      {loaded?.statsError && <ErrorBox>Could not compute the statistics: {loaded.statsError}</ErrorBox>}
      {loaded?.comparison && <StatsTable comparison={loaded.comparison} order={ids} />}
      {loaded?.comparison && <ImprovementMatrix comparison={loaded.comparison} order={ids} />}
    </section>
  );
}

function ExperimentPicker({
  ids,
  tag,
  names,
  onIds,
  onTag,
}: {
  ids: number[];
  tag: string;
  names: Map<number, string>;
  onIds: (ids: number[]) => void;
  onTag: (tag: string) => void;
}) {
  const [q, setQ] = useState('');
  const [tagText, setTagText] = useState(tag);
  const [results, setResults] = useState<ExperimentSummary[]>([]);
  useEffect(() => {
    const controller = new AbortController();
    const t = setTimeout(() => {
      listExperiments({ q: q.trim() || undefined, limit: 10, offset: 0 }, controller.signal)
        .then((list) => setResults(list.items))
        .catch(() => undefined);
    }, 200);
    return () => {
      clearTimeout(t);
      controller.abort();
    };
  }, [q]);

  return (
    <div className="card picker">
      <div className="picker-chosen" data-testid="compare-chosen">
        <span className="muted">Comparing:</span>
        {ids.length === 0 && <span className="muted">nothing yet. Add experiments below, or all with a tag.</span>}
        {ids.map((id, i) => (
          <span key={id} className="chosen" style={{ borderColor: COMPARE_PALETTE[i % COMPARE_PALETTE.length] }}>
            <span className="swatch" style={{ background: COMPARE_PALETTE[i % COMPARE_PALETTE.length] }} />#{id} {names.get(id) ?? ''}
            <button type="button" className="link-btn" aria-label={`Remove experiment ${id}`} onClick={() => onIds(ids.filter((x) => x !== id))}>
              ×
            </button>
          </span>
        ))}
      </div>
      <div className="picker-row">
        <label>
          Find
          <input type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder="name, env, algorithm, tag" data-testid="compare-search" />
        </label>
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            onTag(tagText.trim());
          }}
        >
          <label>
            or every experiment tagged
            <input type="text" value={tagText} onChange={(e) => setTagText(e.target.value)} data-testid="compare-tag" />
          </label>
          <button type="submit" className="btn btn-small">
            Use tag
          </button>
        </form>
      </div>
      <ul className="picker-results">
        {results.map((e) => {
          const chosen = ids.includes(e.id);
          return (
            <li key={e.id}>
              <label>
                <input
                  type="checkbox"
                  checked={chosen}
                  onChange={() => onIds(chosen ? ids.filter((x) => x !== e.id) : [...ids, e.id])}
                  data-testid="compare-pick"
                  data-experiment-id={e.id}
                />
                <span className="mono">#{e.id}</span> {e.name} <span className="muted small">{e.env_id} · {e.algo}</span>
              </label>
            </li>
          );
        })}
      </ul>
    </div>
  );
}

function StatsTable({ comparison, order }: { comparison: Comparison; order: number[] }) {
  const rows = [...comparison.experiments].sort((a, b) => order.indexOf(a.experiment_id) - order.indexOf(b.experiment_id));
  return (
    <div className="card">
      <div className="card-head">
        <h2>Final scores</h2>
        <span className="muted small">
          a run’s score is the mean of its last {comparison.last_k} points; intervals: 95% stratified bootstrap, {comparison.reps} replicates
        </span>
      </div>
      <div className="table-wrap">
        <table className="table" data-testid="stats-table">
          <thead>
            <tr>
              <th>Experiment</th>
              <th>Environment</th>
              <th>Metric</th>
              <th className="num">Seeds</th>
              <th className="num">IQM</th>
              <th className="num">IQM 95% CI</th>
              <th className="num">Mean ± std</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((e) => (
              <tr key={e.experiment_id} data-testid="stats-row" data-experiment-id={e.experiment_id}>
                <td>
                  <Link to={`/experiments/${e.experiment_id}`}>#{e.experiment_id} {e.name}</Link>
                </td>
                <td className="mono">{e.env_id}</td>
                <td className="mono small">{e.key}</td>
                <td className="num" data-testid="stats-n">
                  {e.n}
                  {e.warning && (
                    <span className="warn" title={e.warning} data-testid="stats-warning">
                      {' '}⚠ <span className="small">{e.warning}</span>
                    </span>
                  )}
                </td>
                <td className="num strong" data-testid="stats-iqm">{formatStat(e.iqm)}</td>
                <td className="num" data-testid="stats-ci">{formatInterval(e.iqm_lower, e.iqm_upper)}</td>
                <td className="num" data-testid="stats-mean">{formatMeanStd(e.mean, e.std)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

function ImprovementMatrix({ comparison, order }: { comparison: Comparison; order: number[] }) {
  const ids = order.filter((id) => comparison.experiments.some((e) => e.experiment_id === id));
  const name = (id: number) => `#${id}`;
  const cell = new Map(comparison.improvements.map((imp) => [`${imp.x}:${imp.y}`, imp]));
  return (
    <div className="card">
      <div className="card-head">
        <h2>Probability of improvement</h2>
        <span className="muted small">P(row &gt; column) for a random seed of each, 95% CI on hover</span>
      </div>
      <div className="table-wrap">
        <table className="table matrix" data-testid="poi-matrix">
          <thead>
            <tr>
              <th scope="col">row \ column</th>
              {ids.map((id) => (
                <th key={id} scope="col" className="num">
                  {name(id)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {ids.map((x) => (
              <tr key={x}>
                <th scope="row">{name(x)}</th>
                {ids.map((y) => {
                  if (x === y) return <td key={y} className="num muted">—</td>;
                  const imp = cell.get(`${x}:${y}`);
                  return (
                    <td
                      key={y}
                      className={`num poi poi-${probabilityTone(imp?.probability)}`}
                      title={imp ? `95% CI ${formatInterval(imp.lower, imp.upper)}` : ''}
                      data-testid="poi-cell"
                      data-x={x}
                      data-y={y}
                    >
                      {formatProbability(imp?.probability)}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
