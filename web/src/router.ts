/**
 * URL state: the page is the path, everything else on the page (filters, grouping, sort,
 * the selected finding) lives in the query string, so any view can be shared or reloaded.
 */
import { useSyncExternalStore } from 'react';

/** Top-level pages and their paths. */
export const PAGES = [
  { path: '/overview', label: 'Overview' },
  { path: '/findings', label: 'Findings' },
  { path: '/suppression-rules', label: 'Suppression rules' },
  { path: '/resources', label: 'Resources & coverage' },
  { path: '/accounts', label: 'Accounts & usage' },
  { path: '/integrations', label: 'Integrations' },
  { path: '/compliance', label: 'Compliance' },
] as const;

/** One of the page paths. */
export type PagePath = (typeof PAGES)[number]['path'];

/** The page a path belongs to (itself or one below it), if any. */
export function pageAt(pathname: string): (typeof PAGES)[number] | undefined {
  return PAGES.find((p) => pathname === p.path || pathname.startsWith(`${p.path}/`));
}

const NAV_EVENT = 'vigil:navigate';

function subscribe(cb: () => void): () => void {
  window.addEventListener('popstate', cb);
  window.addEventListener(NAV_EVENT, cb);
  return () => {
    window.removeEventListener('popstate', cb);
    window.removeEventListener(NAV_EVENT, cb);
  };
}

function snapshot(): string {
  return window.location.pathname + window.location.search;
}

/** The current path and query, re-rendering on every navigation. */
export function useLocation(): { path: string; params: URLSearchParams } {
  const href = useSyncExternalStore(subscribe, snapshot);
  const u = new URL(href, window.location.origin);
  return { path: u.pathname, params: u.searchParams };
}

/** Goes to `path` with `params`; `replace` keeps typing in a filter box out of the history. */
export function navigate(path: string, params?: URLSearchParams | Record<string, string>, opts: { replace?: boolean } = {}): void {
  const q = params instanceof URLSearchParams ? params : new URLSearchParams(params ?? {});
  const s = q.toString();
  const href = path + (s ? `?${s}` : '');
  if (href === snapshot()) return;
  if (opts.replace) window.history.replaceState(null, '', href);
  else window.history.pushState(null, '', href);
  window.dispatchEvent(new Event(NAV_EVENT));
}

/** Changes some query parameters of the current page (an empty value removes one). */
export function setParams(changes: Record<string, string | undefined>, opts: { replace?: boolean } = {}): void {
  const u = new URL(window.location.href);
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined || v === '') u.searchParams.delete(k);
    else u.searchParams.set(k, v);
  }
  navigate(u.pathname, u.searchParams, opts);
}

/** Builds an in-app link target. */
export function href(path: string, params?: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params ?? {})) if (v !== undefined && v !== '') q.set(k, v);
  const s = q.toString();
  return path + (s ? `?${s}` : '');
}
