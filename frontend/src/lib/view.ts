/**
 * What a curve view shows (metric, aggregate, band, smoothing, x axis) and, for the compare
 * page, which experiments: read from and written to the URL's query string, so a link restores
 * the exact view. Defaults are left out of the URL; unknown values fall back to the defaults.
 */
import type { Curves } from '../api/types';
import { MAX_SMOOTHING } from './smoothing';

export type Agg = Curves['agg'];
export type Band = Curves['band'];
export type XAxis = Curves['x'];

export const AGGS: readonly Agg[] = ['mean', 'median', 'iqm'];
export const BANDS: readonly Band[] = ['ci', 'std', 'minmax'];
export const X_AXES: readonly XAxis[] = ['step', 'wall_time'];

export interface CurveView {
  key: string;
  agg: Agg;
  band: Band;
  /** EMA weight in [0, MAX_SMOOTHING]; 0 draws the raw points. */
  smooth: number;
  x: XAxis;
}

export interface CompareView extends CurveView {
  /** Experiment ids in the order chosen. */
  ids: number[];
  /** Compare every experiment with this tag (the ids are filled in from it). */
  tag: string;
}

export const DEFAULT_VIEW: CurveView = { key: 'return_mean', agg: 'mean', band: 'ci', smooth: 0, x: 'step' };
export const DEFAULT_COMPARE: CompareView = { ...DEFAULT_VIEW, agg: 'iqm', ids: [], tag: '' };

const pick = <T extends string>(raw: string | null, allowed: readonly T[], fallback: T): T =>
  raw !== null && (allowed as readonly string[]).includes(raw) ? (raw as T) : fallback;

/** Smoothing weight from text: clamped to [0, MAX_SMOOTHING], two decimals; 0 when unreadable. */
export function parseSmoothing(raw: string | null): number {
  const n = Number(raw);
  if (raw === null || raw.trim() === '' || !Number.isFinite(n)) return 0;
  return Math.round(Math.min(Math.max(n, 0), MAX_SMOOTHING) * 100) / 100;
}

export function readCurveView(search: string, defaults: CurveView = DEFAULT_VIEW): CurveView {
  const q = new URLSearchParams(search);
  return {
    key: q.get('key')?.trim() || defaults.key,
    agg: pick(q.get('agg'), AGGS, defaults.agg),
    band: pick(q.get('band'), BANDS, defaults.band),
    smooth: q.has('smooth') ? parseSmoothing(q.get('smooth')) : defaults.smooth,
    x: pick(q.get('x'), X_AXES, defaults.x),
  };
}

function setCurveParams(q: URLSearchParams, view: CurveView, defaults: CurveView): void {
  const entries: [keyof CurveView, string, string][] = [
    ['key', view.key, defaults.key],
    ['agg', view.agg, defaults.agg],
    ['band', view.band, defaults.band],
    ['smooth', String(parseSmoothing(String(view.smooth))), String(defaults.smooth)],
    ['x', view.x, defaults.x],
  ];
  for (const [name, value, fallback] of entries) {
    if (value === fallback) q.delete(name);
    else q.set(name, value);
  }
}

/** The query string (with "?", or "" when everything is a default) for a view. */
export function writeCurveView(view: CurveView, defaults: CurveView = DEFAULT_VIEW): string {
  const q = new URLSearchParams();
  setCurveParams(q, view, defaults);
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** `ids=3,1,7`: positive integers, duplicates dropped, order kept. */
export function parseIds(raw: string | null): number[] {
  if (!raw) return [];
  const out: number[] = [];
  for (const part of raw.split(',')) {
    const n = Number(part.trim());
    if (part.trim() !== '' && Number.isInteger(n) && n > 0 && !out.includes(n)) out.push(n);
  }
  return out;
}

export function readCompareView(search: string): CompareView {
  const q = new URLSearchParams(search);
  return {
    ...readCurveView(search, DEFAULT_COMPARE),
    ids: parseIds(q.get('ids')),
    tag: q.get('tag')?.trim() ?? '',
  };
}

export function writeCompareView(view: CompareView): string {
  const q = new URLSearchParams();
  if (view.ids.length > 0) q.set('ids', view.ids.join(','));
  if (view.tag) q.set('tag', view.tag);
  setCurveParams(q, view, DEFAULT_COMPARE);
  // commas in the id list read better unescaped, and URLSearchParams keeps them valid
  const s = q.toString().replace(/%2C/g, ',');
  return s ? `?${s}` : '';
}
