/**
 * Loads data from the API for a component, again whenever its inputs change and, for
 * live views, whenever the event stream reports a change.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ApiContext } from './api.js';
import { useSession } from './session.js';

/** State of one load. */
export interface Loaded<T> {
  data?: T;
  error?: Error;
  loading: boolean;
  reload(): void;
}

/**
 * Runs `load` with the session's API context. `key` lists what the result depends on (as a
 * string, so callers need not memoise objects); `live` refetches on stream events.
 */
export function useApi<T>(load: (ctx: ApiContext) => Promise<T>, key: string, opts: { live?: boolean; enabled?: boolean } = {}): Loaded<T> {
  const { ctx, liveTick } = useSession();
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({ loading: true });
  const [n, setN] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const tick = opts.live ? liveTick : 0;
  const enabled = opts.enabled ?? true;

  useEffect(() => {
    if (!enabled) return;
    const abort = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    loadRef
      .current({ ...ctx, signal: abort.signal })
      .then((data) => {
        if (!abort.signal.aborted) setState({ data, loading: false });
      })
      .catch((error: unknown) => {
        if (abort.signal.aborted) return;
        setState((s) => ({ data: s.data, error: error instanceof Error ? error : new Error(String(error)), loading: false }));
      });
    return () => abort.abort();
  }, [ctx, key, tick, n, enabled]);

  const reload = useCallback(() => setN((x) => x + 1), []);
  return { ...state, reload };
}
