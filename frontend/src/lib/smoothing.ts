/**
 * Exponential moving average as TensorBoard's smoothing slider does it: `s_t = w s_{t-1} +
 * (1 - w) x_t`, divided by `1 - w^t` so the first points are not pulled towards zero. Nulls
 * (gaps) stay null and do not move the average.
 */
export const MAX_SMOOTHING = 0.99;

export function emaSmooth(values: readonly (number | null)[], weight: number): (number | null)[] {
  const w = Math.min(Math.max(weight, 0), MAX_SMOOTHING);
  if (w === 0) return values.slice();
  let last = 0;
  let debias = 1;
  return values.map((v) => {
    if (v === null || !Number.isFinite(v)) return null;
    last = w * last + (1 - w) * v;
    debias *= w;
    return last / (1 - debias);
  });
}
