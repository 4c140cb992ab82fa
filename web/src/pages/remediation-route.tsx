/**
 * The /resources/{id}/remediation route: loads the plan page's chunk on first use, like the
 * other pages (see pages/index.ts).
 */
import { useEffect, useState } from 'react';
import type { ComponentType, ReactNode } from 'react';
import { ErrorNotice, Loading } from '../components/ui.js';

/** The resource id of a plan path, if `path` is one. */
export function remediationPlanPath(path: string): string | undefined {
  const m = /^\/resources\/([^/]+)\/remediation\/?$/.exec(path);
  return m ? decodeURIComponent(m[1]) : undefined;
}

let chunk: Promise<ComponentType<{ resourceId: string }>> | undefined;

/** The plan page for `resourceId`, once its code has arrived. */
export function RemediationPlanRoute(props: { resourceId: string }): ReactNode {
  const [state, setState] = useState<{ page?: ComponentType<{ resourceId: string }>; error?: Error }>({});
  useEffect(() => {
    let live = true;
    chunk ??= import('./remediation-plan.js').then((m) => m.RemediationPlanPage);
    chunk.then(
      (page) => live && setState({ page }),
      (err: unknown) => live && setState({ error: err instanceof Error ? err : new Error(String(err)) }),
    );
    return () => {
      live = false;
    };
  }, []);
  if (state.error) return <ErrorNotice error={state.error} what="This page's code (reload to fetch the current version)" />;
  return state.page ? <state.page resourceId={props.resourceId} /> : <Loading />;
}
