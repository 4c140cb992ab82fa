/**
 * The application shell: sign-in gate, navigation, account switch for the delegated
 * administrator, theme, live status, and the page for the current path.
 */
import { useCallback, useEffect, useState } from 'react';
import type { FormEvent, ReactNode } from 'react';
import type { Principal } from './api.js';
import { ApiError, listAccounts } from './api.js';
import { PAGES, navigate, pageAt, useLocation } from './router.js';
import type { PagePath } from './router.js';
import { SessionProvider, forgetSession, signIn, storedKey, storedSession, useSession } from './session.js';
import { useTheme } from './theme.js';
import type { Theme } from './theme.js';
import { useApi } from './use-api.js';
import { ErrorNotice, Link, Loading } from './components/ui.js';
import { usePage } from './pages/index.js';
import { RemediationPlanRoute, remediationPlanPath } from './pages/remediation-route.js';

/** The whole dashboard. */
export function App(): ReactNode {
  const [theme, toggleTheme] = useTheme();
  const [auth, setAuth] = useState<{ key: string; principal: Principal } | null>(storedSession);
  // A key stored without its principal (or not at all) must be checked before anything shows.
  const [checking, setChecking] = useState(() => auth === null && storedKey() !== null);

  // A reload keeps the session: check the stored key once. A restored session is already
  // on screen; it ends only when the server refuses the key, not when the server is down.
  useEffect(() => {
    const key = storedKey();
    if (!key) return;
    signIn(key)
      .then((principal) => setAuth((cur) => (cur?.key === key && JSON.stringify(cur.principal) === JSON.stringify(principal) ? cur : { key, principal })))
      .catch((err: unknown) => {
        if (!(err instanceof ApiError) || (err.status !== 401 && err.status !== 403)) return;
        forgetSession();
        setAuth(null);
      })
      .finally(() => setChecking(false));
  }, []);

  const onSignOut = useCallback(() => setAuth(null), []);
  if (checking) return <div className="boot">Signing in…</div>;
  if (!auth) return <SignIn theme={theme} toggleTheme={toggleTheme} onSignedIn={(key, principal) => setAuth({ key, principal })} />;
  return (
    <SessionProvider apiKey={auth.key} principal={auth.principal} onSignOut={onSignOut}>
      <Shell theme={theme} toggleTheme={toggleTheme} />
    </SessionProvider>
  );
}

function SignIn(props: { theme: Theme; toggleTheme(): void; onSignedIn(key: string, p: Principal): void }): ReactNode {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  async function submit(e: FormEvent): Promise<void> {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const p = await signIn(key.trim());
      props.onSignedIn(key.trim(), p);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <main className="signin">
      <form onSubmit={(e) => void submit(e)} className="signin-card" aria-labelledby="signin-h">
        <div className="brand big">
          <span className="logo" aria-hidden="true" /> Vigil
        </div>
        <h1 id="signin-h">Sign in</h1>
        <p className="muted">Paste an API key. It is kept for this browser tab only and sent to this server only.</p>
        <label htmlFor="api-key">API key</label>
        <input id="api-key" name="api-key" type="password" autoComplete="off" autoFocus value={key} onChange={(e) => setKey(e.target.value)} required />
        {error ? (
          <div className="notice error" role="alert">
            {error}
          </div>
        ) : null}
        <button type="submit" className="primary" disabled={busy || !key.trim()}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
        <p className="muted small">
          No key? <code>vigil admin create-key --account ACCOUNT --role viewer</code>
        </p>
        <button type="button" className="link small" onClick={props.toggleTheme}>
          {props.theme === 'dark' ? 'Light theme' : 'Dark theme'}
        </button>
      </form>
    </main>
  );
}

function Shell(props: { theme: Theme; toggleTheme(): void }): ReactNode {
  const { path } = useLocation();
  const session = useSession();
  const page = pageAt(path);
  const planOf = remediationPlanPath(path);

  useEffect(() => {
    if (!page) navigate('/overview', undefined, { replace: true });
  }, [page]);
  useEffect(() => {
    document.title = page ? `${page.label} · Vigil` : 'Vigil';
  }, [page]);
  useShortcuts();
  // At phone width the navigation is a drawer; it closes on every page change.
  const [navOpen, setNavOpen] = useState(false);
  useEffect(() => setNavOpen(false), [path]);

  return (
    <div className={navOpen ? 'shell nav-open' : 'shell'}>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <div className="nav-scrim" aria-hidden="true" onClick={() => setNavOpen(false)} />
      <nav className="side" id="main-nav" aria-label="Main">
        <div className="brand">
          <span className="logo" aria-hidden="true" /> Vigil
        </div>
        <ul>
          {PAGES.map((p, i) => (
            <li key={p.path}>
              <Link href={p.path} aria-current={page?.path === p.path ? 'page' : undefined} title={`${p.label} (g ${SHORTCUTS[i]})`}>
                <span className={`nav-ico ico-${p.path.slice(1)}`} aria-hidden="true" />
                {p.label}
              </Link>
            </li>
          ))}
        </ul>
        <div className="side-foot muted small">
          Keys: <kbd>g</kbd> then <kbd>{SHORTCUTS.join('')}</kbd> switch pages · <kbd>/</kbd> filter · <kbd>Esc</kbd> close
        </div>
      </nav>
      <div className="main-col">
        <header className="top">
          <button type="button" className="menu-button" aria-label="Menu" aria-controls="main-nav" aria-expanded={navOpen} onClick={() => setNavOpen((o) => !o)} data-testid="menu-button">
            ☰ Menu
          </button>
          <AccountSwitch />
          <div className="top-right">
            <LiveStatus />
            <span className="who" title={session.principal.keyId ?? ''}>
              {session.principal.accountName ?? session.principal.accountId} · {session.principal.role}
              {session.principal.delegatedAdmin ? ' · delegated admin' : ''}
            </span>
            <button type="button" onClick={props.toggleTheme} aria-label={`Switch to ${props.theme === 'dark' ? 'light' : 'dark'} theme`}>
              {props.theme === 'dark' ? '☀ Light' : '☾ Dark'}
            </button>
            <button type="button" onClick={session.signOut}>
              Sign out
            </button>
          </div>
        </header>
        <main id="main" tabIndex={-1}>
          {planOf !== undefined ? <RemediationPlanRoute resourceId={planOf} /> : page ? <PageView path={page.path} /> : null}
        </main>
      </div>
    </div>
  );
}

/** The page at `path`, once its code has arrived. */
function PageView(props: { path: PagePath }): ReactNode {
  const { component: Page, error } = usePage(props.path);
  if (error) return <ErrorNotice error={error} what="This page's code (reload to fetch the current version)" />;
  return Page ? <Page /> : <Loading />;
}

const SHORTCUTS = ['o', 'f', 's', 'r', 'a', 'i', 'c'];

/** `g` then a letter switches page; `/` focuses the first filter box. */
function useShortcuts(): void {
  useEffect(() => {
    let armed = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    function onKey(e: KeyboardEvent): void {
      const t = e.target as HTMLElement;
      if (t.closest('input,textarea,select,[contenteditable]') || e.metaKey || e.ctrlKey || e.altKey) return;
      if (armed) {
        armed = false;
        const i = SHORTCUTS.indexOf(e.key);
        if (i >= 0) {
          navigate(PAGES[i].path);
          e.preventDefault();
        }
        return;
      }
      if (e.key === 'g') {
        armed = true;
        clearTimeout(timer);
        timer = setTimeout(() => (armed = false), 1500);
      } else if (e.key === '/') {
        const box = document.querySelector<HTMLElement>('[data-filter-focus]');
        if (box) {
          box.focus();
          e.preventDefault();
        }
      }
    }
    window.addEventListener('keydown', onKey);
    return () => {
      window.removeEventListener('keydown', onKey);
      clearTimeout(timer);
    };
  }, []);
}

function AccountSwitch(): ReactNode {
  const session = useSession();
  const accounts = useApi((ctx) => listAccounts({ ...ctx, account: undefined }), 'accounts', { enabled: session.principal.delegatedAdmin });
  if (!session.principal.delegatedAdmin) return <div className="acct muted">Account {session.principal.accountName ?? session.principal.accountId}</div>;
  return (
    <div className="acct">
      <label htmlFor="acct-switch">Account</label>
      <select id="acct-switch" value={session.account ?? ''} onChange={(e) => session.setAccount(e.target.value || undefined)}>
        <option value="">All accounts (organization)</option>
        {(accounts.data ?? []).map((a) => (
          <option key={a.id} value={a.id}>
            {a.name === a.id ? a.id : `${a.name} (${a.id})`}
          </option>
        ))}
      </select>
    </div>
  );
}

function LiveStatus(): ReactNode {
  const { live, lastEvent } = useSession();
  const label = live === 'live' ? 'Live' : live === 'connecting' ? 'Connecting' : 'Offline';
  return (
    <span className={`live live-${live}`} role="status" aria-live="polite" title={lastEvent ? `Last event: ${lastEvent.type}` : 'Event stream'}>
      <span className="dot" aria-hidden="true" />
      {label}
      {lastEvent ? <span className="muted small"> · {lastEvent.type.replace(/^vigil\./, '')}</span> : null}
    </span>
  );
}
