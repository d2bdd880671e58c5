/** Per-run numbers of the seed table: throughput, final and best value of a series. */
import { parseTimestamp } from './status';

/** Environment steps per second over the run's time so far (until now while it runs). */
export function stepsPerSecond(
  stepsDone: number,
  startedAt: string | null | undefined,
  finishedAt: string | null | undefined,
  nowMs: number,
): number | undefined {
  if (!startedAt || stepsDone <= 0) return undefined;
  const start = parseTimestamp(startedAt);
  const end = finishedAt ? parseTimestamp(finishedAt) : nowMs;
  const seconds = (end - start) / 1000;
  return Number.isFinite(seconds) && seconds > 0 ? stepsDone / seconds : undefined;
}

/** The last and the largest value of a series; undefined for an empty one. */
export function finalAndBest(values: readonly number[]): { final: number; best: number } | undefined {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return undefined;
  return { final: finite[finite.length - 1] as number, best: Math.max(...finite) };
}

/** "learning_rate=0.001, batch_B=8" for a sweep variant; "" outside a sweep. */
export function variantLabel(variant: Record<string, unknown> | null | undefined): string {
  if (!variant) return '';
  return Object.entries(variant)
    .map(([k, v]) => `${k.split('.').pop()}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(', ');
}
