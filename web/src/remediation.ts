/**
 * Remediation as the dashboard shows it. The logic lives once, server-side
 * (src/remediation/): the finding detail carries its plan action as `remediation`, and the
 * plan page reads GET /api/v1/resources/{id}/remediation. Nothing here decides versions or
 * commands.
 */
import type { ApiContext } from './api.js';
import { getJson } from './api.js';
import type { FindingRemediation } from '../../src/remediation/resource-plan.js';
import type { RemediationDocument } from '../../src/remediation/render.js';

export type { FindingRemediation };
export type { RemediationAction, UnfixableEntry, PlanFindingRef } from '../../src/remediation/plan.js';

/** The plan of a resource as the API returns it. */
export type ResourcePlan = RemediationDocument & { resourceId: string };

/** A remediation line as the finding panel shows it. */
export interface RemediationLine {
  summary: string;
  command?: string;
  hint?: string;
}

/** The panel's line: the server's plan action for the finding, or what the finding itself says when it has none (closed or suppressed findings are not planned). */
export function remediationLine(f: { remediation?: FindingRemediation; fixedVersion?: string; package: { name: string } }): RemediationLine {
  if (f.remediation) return f.remediation;
  return { summary: f.fixedVersion ? `Upgrade ${f.package.name} to ${f.fixedVersion} or later.` : `No fixed version of ${f.package.name} is published yet.` };
}

/** The remediation plan of resource `id`. */
export function getRemediationPlan(ctx: ApiContext, id: string): Promise<ResourcePlan> {
  return getJson(ctx, `/resources/${encodeURIComponent(id)}/remediation`);
}
