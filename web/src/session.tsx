/**
 * The signed-in session: the API key (kept in sessionStorage, so it dies with the tab), the
 * principal it belongs to, the account the delegated administrator narrowed to, and the
 * live event stream that tells pages to refresh.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState } from 'react';
import type { ReactNode } from 'react';
import { createParser } from 'eventsource-parser';
import type { ApiContext, Principal } from './api.js';
import { eventStreamPath, whoami } from './api.js';

const KEY_STORE = 'vigil.apiKey';
const PRINCIPAL_STORE = 'vigil.principal';
const ACCOUNT_STORE = 'vigil.account';

/** One event from the server's stream. */
export interface LiveEvent {
  type: string;
  id?: string;
  time?: string;
  subject?: string;
}

/** What every page reads from the session. */
export interface Session {
  principal: Principal;
  /** Call context for the API client: key plus account narrowing. */
  ctx: ApiContext;
  account?: string;
  setAccount(account: string | undefined): void;
  signOut(): void;
  /** Grows when the event stream reports a change; pages refetch when it moves. */
  liveTick: number;
  live: 'connecting' | 'live' | 'offline';
  lastEvent?: LiveEvent;
}

const SessionContext = createContext<Session | null>(null);

/** The session, inside a signed-in tree. */
export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}

/** Stored key of this browser tab, if any. */
export function storedKey(): string | null {
  return sessionStorage.getItem(KEY_STORE);
}

/**
 * The key and the principal it was verified as, when this tab signed in before: a reload
 * shows the dashboard at once and checks the key again in the background.
 */
export function storedSession(): { key: string; principal: Principal } | null {
  const key = sessionStorage.getItem(KEY_STORE);
  const principal = sessionStorage.getItem(PRINCIPAL_STORE);
  if (!key || !principal) return null;
  try {
    return { key, principal: JSON.parse(principal) as Principal };
  } catch {
    return null;
  }
}

/** Checks a key against the server and keeps it, with its principal, for this tab. */
export async function signIn(key: string): Promise<Principal> {
  const principal = await whoami({ key });
  sessionStorage.setItem(KEY_STORE, key);
  sessionStorage.setItem(PRINCIPAL_STORE, JSON.stringify(principal));
  return principal;
}

/** The account the delegated administrator narrowed this tab to (no one else narrows). */
export function initialAccount(principal: Principal): string | undefined {
  return principal.delegatedAdmin ? (sessionStorage.getItem(ACCOUNT_STORE) ?? undefined) : undefined;
}

/** Forgets this tab's session. */
export function forgetSession(): void {
  for (const k of [KEY_STORE, PRINCIPAL_STORE, ACCOUNT_STORE]) sessionStorage.removeItem(k);
}

/** Provides the session for a verified key. */
export function SessionProvider(props: { apiKey: string; principal: Principal; onSignOut(): void; children: ReactNode }): ReactNode {
  const { apiKey, principal, onSignOut } = props;
  const [account, setAccountState] = useState<string | undefined>(() => initialAccount(principal));
  const [liveTick, setLiveTick] = useState(0);
  const [live, setLive] = useState<Session['live']>('connecting');
  const [lastEvent, setLastEvent] = useState<LiveEvent>();
  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);

  const setAccount = useCallback((a: string | undefined) => {
    if (a) sessionStorage.setItem(ACCOUNT_STORE, a);
    else sessionStorage.removeItem(ACCOUNT_STORE);
    setAccountState(a);
  }, []);

  const signOut = useCallback(() => {
    forgetSession();
    onSignOut();
  }, [onSignOut]);

  // The stream is read with fetch so the key goes in the Authorization header (EventSource
  // cannot set headers, and a key in a URL ends up in logs). Bursts of events (a scan
  // creating hundreds of findings) coalesce into one refresh per second.
  useEffect(() => {
    const abort = new AbortController();
    let retry: ReturnType<typeof setTimeout> | undefined;
    const bump = (): void => {
      if (pending.current) return;
      pending.current = setTimeout(() => {
        pending.current = null;
        setLiveTick((t) => t + 1);
      }, 1000);
    };
    async function connect(delay: number): Promise<void> {
      try {
        const res = await fetch(eventStreamPath, { headers: { authorization: `Bearer ${apiKey}`, accept: 'text/event-stream' }, signal: abort.signal });
        if (!res.ok || !res.body) throw new Error(`event stream: HTTP ${res.status}`);
        setLive('live');
        const parser = createParser({
          onEvent(ev) {
            let type = ev.event ?? 'message';
            let info: LiveEvent = { type, id: ev.id };
            try {
              const data = JSON.parse(ev.data) as { type?: string; id?: string; time?: string; subject?: string };
              type = data.type ?? type;
              info = { type, id: data.id ?? ev.id, time: data.time, subject: data.subject };
            } catch {
              // A comment or keep-alive without JSON: still a sign of life, nothing to refresh.
              return;
            }
            setLastEvent(info);
            bump();
          },
        });
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        while (true) {
          const { value, done } = await reader.read();
          if (done) break;
          parser.feed(value);
        }
        throw new Error('event stream ended');
      } catch {
        if (abort.signal.aborted) return;
        setLive('offline');
        retry = setTimeout(() => void connect(Math.min(delay * 2, 30_000)), delay);
      }
    }
    void connect(1000);
    return () => {
      abort.abort();
      if (retry) clearTimeout(retry);
      if (pending.current) clearTimeout(pending.current);
      pending.current = null;
    };
  }, [apiKey]);

  const ctx = useMemo<ApiContext>(() => ({ key: apiKey, account }), [apiKey, account]);
  const value = useMemo<Session>(
    () => ({ principal, ctx, account, setAccount, signOut, liveTick, live, lastEvent }),
    [principal, ctx, account, setAccount, signOut, liveTick, live, lastEvent],
  );
  return <SessionContext.Provider value={value}>{props.children}</SessionContext.Provider>;
}
