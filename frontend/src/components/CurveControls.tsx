/** The controls of a curve view: metric, aggregate, band, EMA smoothing and x axis. */
import { useId } from 'react';
import { AGG_LABELS, BAND_LABELS, X_LABELS } from '../lib/display';
import { MAX_SMOOTHING } from '../lib/smoothing';
import { AGGS, BANDS, X_AXES, type CurveView } from '../lib/view';

/** The keys the selector offers: those logged (or seen live) and the one shown, sorted. */
export function metricOptions(current: string, logged: readonly string[] = []): string[] {
  return [...new Set([...logged, current].filter(Boolean))].sort();
}

interface Props {
  view: CurveView;
  onChange: (patch: Partial<CurveView>) => void;
  keys: readonly string[];
}

export function CurveControls({ view, onChange, keys }: Props) {
  const id = useId();
  return (
    <div className="curve-controls" role="group" aria-label="Curve view">
      <label>
        metric
        <select value={view.key} onChange={(e) => onChange({ key: e.target.value })} data-testid="curve-key">
          {keys.map((k) => (
            <option key={k} value={k}>
              {k}
            </option>
          ))}
        </select>
      </label>
      <label>
        aggregate
        <select value={view.agg} onChange={(e) => onChange({ agg: e.target.value as CurveView['agg'] })} data-testid="curve-agg">
          {AGGS.map((a) => (
            <option key={a} value={a}>
              {AGG_LABELS[a]}
            </option>
          ))}
        </select>
      </label>
      <label>
        band
        <select value={view.band} onChange={(e) => onChange({ band: e.target.value as CurveView['band'] })} data-testid="curve-band">
          {BANDS.map((b) => (
            <option key={b} value={b}>
              {BAND_LABELS[b]}
            </option>
          ))}
        </select>
      </label>
      <label htmlFor={`${id}-smooth`}>
        smoothing
        <input
          id={`${id}-smooth`}
          type="range"
          min={0}
          max={MAX_SMOOTHING}
          step={0.01}
          value={view.smooth}
          onChange={(e) => onChange({ smooth: Number(e.target.value) })}
          data-testid="curve-smooth"
          aria-valuetext={view.smooth === 0 ? 'off' : String(view.smooth)}
        />
        <span className="mono smooth-value">{view.smooth.toFixed(2)}</span>
      </label>
      <label>
        x axis
        <select value={view.x} onChange={(e) => onChange({ x: e.target.value as CurveView['x'] })} data-testid="curve-x">
          {X_AXES.map((x) => (
            <option key={x} value={x}>
              {X_LABELS[x]}
            </option>
          ))}
        </select>
      </label>
    </div>
  );
}
