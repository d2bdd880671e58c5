/** The metric keys logged by any of some experiments (sorted, no repeats), loaded once per set
 * of ids; empty until they arrive or if the request fails (the selector still offers the key
 * in the URL and keys seen live). */
import { useEffect, useState } from 'react';
import { getMetricKeys } from '../requests';

export function useMetricKeys(ids: readonly (string | number)[]): string[] {
  const idsKey = ids.join(',');
  const [loaded, setLoaded] = useState<{ idsKey: string; keys: string[] }>({ idsKey: '', keys: [] });
  useEffect(() => {
    if (!idsKey) return;
    const controller = new AbortController();
    Promise.all(idsKey.split(',').map((id) => getMetricKeys(id, controller.signal)))
      .then((lists) => setLoaded({ idsKey, keys: [...new Set(lists.flat())].sort() }))
      .catch(() => undefined);
    return () => controller.abort();
  }, [idsKey]);
  return loaded.idsKey === idsKey ? loaded.keys : [];
}
