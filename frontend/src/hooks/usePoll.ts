/**
 * Loads a resource and reloads it every `intervalMs` while `keepPolling(data)` holds. Requests
 * never overlap (the next one is scheduled when the last one has finished), a pending request is
 * aborted on unmount or when `deps` change, polling waits while the tab is hidden, and a failed
 * request keeps the last data and is retried after a pause.
 */
import { useCallback, useEffect, useRef, useState, type DependencyList } from 'react';

export interface PollState<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  /** True while another load is scheduled. */
  polling: boolean;
  /** Load again now (and resume polling if it applies). */
  refresh: () => void;
}

export interface PollOptions<T> {
  intervalMs: number;
  keepPolling: (data: T) => boolean;
  /** Pause after a failed request before the next try. */
  retryMs?: number;
}

export function usePoll<T>(
  load: (signal: AbortSignal) => Promise<T>,
  deps: DependencyList,
  { intervalMs, keepPolling, retryMs = 5000 }: PollOptions<T>,
): PollState<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<Error>();
  const [loading, setLoading] = useState(true);
  const [polling, setPolling] = useState(false);
  const [nonce, setNonce] = useState(0);

  const loadRef = useRef(load);
  const keepRef = useRef(keepPolling);
  loadRef.current = load;
  keepRef.current = keepPolling;

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let controller: AbortController | undefined;
    let lastKeep = true;

    const onVisible = () => {
      if (!document.hidden) {
        document.removeEventListener('visibilitychange', onVisible);
        void run();
      }
    };
    const schedule = (ms: number) => {
      setPolling(true);
      timer = setTimeout(() => {
        if (stopped) return;
        if (document.hidden) document.addEventListener('visibilitychange', onVisible);
        else void run();
      }, ms);
    };

    async function run() {
      controller = new AbortController();
      setLoading(true);
      try {
        const result = await loadRef.current(controller.signal);
        if (stopped) return;
        setData(result);
        setError(undefined);
        setLoading(false);
        lastKeep = keepRef.current(result);
        if (lastKeep) schedule(intervalMs);
        else setPolling(false);
      } catch (err) {
        if (stopped || (err instanceof DOMException && err.name === 'AbortError')) return;
        setError(err instanceof Error ? err : new Error(String(err)));
        setLoading(false);
        if (lastKeep) schedule(Math.max(retryMs, intervalMs));
        else setPolling(false);
      }
    }

    void run();
    return () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      controller?.abort();
      document.removeEventListener('visibilitychange', onVisible);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, nonce, intervalMs, retryMs]);

  const refresh = useCallback(() => setNonce((n) => n + 1), []);
  return { data, error, loading, polling, refresh };
}

/** The current time, re-read every `everyMs` (for "3 min ago" labels). */
export function useNow(everyMs = 15000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}

/** True while the user's system asks for a dark color scheme. */
export function usePrefersDark(): boolean {
  const query = '(prefers-color-scheme: dark)';
  const [dark, setDark] = useState(() => typeof window !== 'undefined' && window.matchMedia?.(query).matches === true);
  useEffect(() => {
    const mq = window.matchMedia?.(query);
    if (!mq) return;
    const on = () => setDark(mq.matches);
    mq.addEventListener('change', on);
    return () => mq.removeEventListener('change', on);
  }, []);
  return dark;
}
