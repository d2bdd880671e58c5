/**
 * State that lives in the URL's query string: read once on mount, written back with
 * `history.replaceState` on every change (no new history entry per slider step), so reloading
 * or sharing the link restores the view.
 */
import { useCallback, useState } from 'react';

export function useUrlState<T extends object>(
  read: (search: string) => T,
  write: (value: T) => string,
): [T, (patch: Partial<T>) => void] {
  const [value, setValue] = useState<T>(() => read(window.location.search));
  const update = useCallback(
    (patch: Partial<T>) => {
      setValue((v) => {
        const next = { ...v, ...patch };
        window.history.replaceState(window.history.state, '', `${window.location.pathname}${write(next)}`);
        return next;
      });
    },
    [write],
  );
  return [value, update];
}
