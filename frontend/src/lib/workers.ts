/** How the workers page orders and describes the registered workers. */

interface WorkerLike {
  name: string;
  alive: boolean;
  stopped_at: string | null;
}

/** Alive workers first, then by name (a stopped worker stays listed until the server forgets it). */
export function sortWorkers<T extends WorkerLike>(workers: readonly T[]): T[] {
  return [...workers].sort((a, b) => Number(b.alive) - Number(a.alive) || a.name.localeCompare(b.name));
}

/** "alive", "stopped" (it said goodbye) or "lost" (its heartbeat stopped without a goodbye). */
export function workerState(w: WorkerLike): 'alive' | 'stopped' | 'lost' {
  if (w.alive) return 'alive';
  return w.stopped_at ? 'stopped' : 'lost';
}

/** Every run id the workers execute now, once each, in order. */
export function currentRunIds(workers: readonly { run_ids: readonly number[] }[]): number[] {
  return [...new Set(workers.flatMap((w) => w.run_ids))].sort((a, b) => a - b);
}
