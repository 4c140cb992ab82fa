/**
 * Loads data from the API for a component, again whenever its inputs change and, for
 * live views, whenever the event stream reports a change.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ApiContext } from './api.js';
import { useSession } from './session.js';

/** How long a load started ahead of its component is good for. */
const EARLY_TTL_MS = 10_000;
const early = new Map<string, { result: Promise<unknown>; at: number }>();
const earlyId = (key: string, ctx: ApiContext) => `${key}\u0000${ctx.key}\u0000${ctx.account ?? ''}`;

/**
 * Starts a load before the component that shows it exists (a page's data while the page's
 * code arrives); that component's first {@link useApi} call with the same key and context
 * takes it over instead of asking again.
 */
export function prefetch<T>(load: (ctx: ApiContext) => Promise<T>, key: string, ctx: ApiContext): void {
  const result = load(ctx);
  result.catch(() => undefined);
  early.set(earlyId(key, ctx), { result, at: Date.now() });
}

function takeEarly(key: string, ctx: ApiContext): Promise<unknown> | undefined {
  const id = earlyId(key, ctx);
  const e = early.get(id);
  early.delete(id);
  return e && Date.now() - e.at < EARLY_TTL_MS ? e.result : undefined;
}

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
    const result = (takeEarly(key, ctx) as Promise<T> | undefined) ?? loadRef.current({ ...ctx, signal: abort.signal });
    result
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
