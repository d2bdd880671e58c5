/** Summaries of a run's evaluations (returns of the episodes played with the last checkpoint). */

export interface ReturnStats {
  mean: number;
  std: number;
  min: number;
  max: number;
  n: number;
}

/** Mean, population std, min and max of the episode returns; undefined without any. */
export function returnStats(returns: readonly number[] | null | undefined): ReturnStats | undefined {
  if (!returns || returns.length === 0) return undefined;
  const n = returns.length;
  const mean = returns.reduce((s, r) => s + r, 0) / n;
  const std = Math.sqrt(returns.reduce((s, r) => s + (r - mean) ** 2, 0) / n);
  return { mean, std, min: Math.min(...returns), max: Math.max(...returns), n };
}

/** Whether an evaluation is still to finish, so the list keeps polling. */
export function anyPending(evals: readonly { status: string }[]): boolean {
  return evals.some((e) => e.status === 'queued' || e.status === 'running');
}
