/**
 * The pages, each its own chunk: the overview loads Observable Plot and its own code, not
 * the explorer's table library or the other pages. The current page's chunk is requested
 * as the app starts ({@link preloadPage}), with its data when the tab is signed in, so the
 * round trips overlap instead of following each other.
 *
 * Not React.lazy: a lazy component suspends on its first render even when its chunk has
 * arrived, and React holds a suspended boundary's content back for 300 ms.
 */
import { useEffect, useReducer } from 'react';
import type { ComponentType } from 'react';
import type { ApiContext } from '../api.js';
import { pageAt, type PagePath } from '../router.js';
import { prefetch } from '../use-api.js';
import { overviewQueries } from './overview-queries.js';

const loaders: Record<PagePath, () => Promise<ComponentType>> = {
  '/overview': () => import('./overview.js').then((m) => m.OverviewPage),
  '/findings': () => import('./findings.js').then((m) => m.FindingsPage),
  '/suppression-rules': () => import('./suppression-rules.js').then((m) => m.SuppressionRulesPage),
  '/resources': () => import('./resources.js').then((m) => m.ResourcesPage),
  '/accounts': () => import('./accounts.js').then((m) => m.AccountsPage),
  '/integrations': () => import('./integrations.js').then((m) => m.IntegrationsPage),
  '/compliance': () => import('./compliance.js').then((m) => m.CompliancePage),
};

type PageState = { component: ComponentType } | { error: Error } | { loading: Promise<void> };
const pages = new Map<PagePath, PageState>();

/** Starts loading a page's chunk, once. */
function load(path: PagePath): PageState {
  const cur = pages.get(path);
  if (cur) return cur;
  const loading = loaders[path]().then(
    (component) => void pages.set(path, { component }),
    (err: unknown) => void pages.set(path, { error: err instanceof Error ? err : new Error(String(err)) }),
  );
  const state = { loading };
  pages.set(path, state);
  return state;
}

/** The page's component once its chunk has arrived (re-rendering when it does), or the load error. */
export function usePage(path: PagePath): { component?: ComponentType; error?: Error } {
  const [, arrived] = useReducer((n: number) => n + 1, 0);
  const state = pages.get(path) ?? load(path);
  const loading = 'loading' in state ? state.loading : undefined;
  useEffect(() => {
    let live = true;
    void loading?.then(() => live && arrived());
    return () => {
      live = false;
    };
  }, [loading]);
  return 'component' in state ? { component: state.component } : 'error' in state ? { error: state.error } : {};
}

/** Pages whose data is worth asking for before their code has arrived. */
const prefetchers: Partial<Record<PagePath, (ctx: ApiContext) => void>> = {
  '/overview': (ctx) => {
    for (const [key, query] of Object.entries(overviewQueries)) prefetch(query as (ctx: ApiContext) => Promise<unknown>, key, ctx);
  },
};

/**
 * Starts loading the chunk of the page at `pathname` (the overview when it names none) and,
 * for a tab already signed in, the page's data.
 */
export function preloadPage(pathname: string, ctx?: ApiContext): void {
  const path = pageAt(pathname)?.path ?? '/overview';
  load(path);
  if (ctx) prefetchers[path]?.(ctx);
}
