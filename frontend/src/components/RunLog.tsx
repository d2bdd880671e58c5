/** The tail of one run's log (the engine's stdout and stderr), re-read while the run is active. */
import { useEffect, useRef } from 'react';
import { usePoll } from '../hooks/usePoll';
import { logTail } from '../lib/logTail';
import { getRunLogTail } from '../requests';
import { ErrorBox } from './ErrorBox';

const TAIL_BYTES = 16 * 1024;
const POLL_MS = 2000;

export function RunLog({ runId, active }: { runId: number; active: boolean }) {
  // `active` in the deps: the log is read once more when the run finishes, for its last lines
  const { data, error, polling, refresh } = usePoll((signal) => getRunLogTail(runId, TAIL_BYTES, signal), [runId, active], {
    intervalMs: POLL_MS,
    keepPolling: () => active,
  });
  const pre = useRef<HTMLPreElement>(null);
  const tail = data && logTail(data);

  // follow the end like `tail -f`
  useEffect(() => {
    if (pre.current) pre.current.scrollTop = pre.current.scrollHeight;
  }, [tail?.text]);

  return (
    <div className="run-log" data-testid="run-log">
      <div className="run-log-head small muted">
        <span>
          {data === undefined
            ? 'Loading the log…'
            : data.size === 0
              ? 'The log is empty (the run has not started yet).'
              : `Last ${(data.size - (tail?.skippedBytes ?? 0)).toLocaleString()} of ${data.size.toLocaleString()} bytes`}
        </span>
        {polling && <span>● following</span>}
      </div>
      {error && (
        <ErrorBox testId="run-log-error" onRetry={refresh}>
          {error.message}
        </ErrorBox>
      )}
      {tail && tail.text && (
        <pre ref={pre} className="run-log-text mono" data-testid="run-log-text">
          {tail.text}
        </pre>
      )}
    </div>
  );
}
