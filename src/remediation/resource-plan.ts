/**
 * The plan of a stored resource: its ACTIVE findings (suppressed ones are decided already),
 * planned by {@link planRemediation}, with base-image advice for container images.
 */
import type { Db } from '../db/connect.js';
import type { ResourcesTable } from '../db/schema.js';
import type { AccountScope } from '../findings/scope.js';
import { scopeSql } from '../findings/scope.js';
import type { Finding } from '../matching/types.js';
import { baseImageAdvice } from './base-image.js';
import { planRemediation, type FindingOrigin, type NewerReleaseLookup, type PlanFinding, type RemediationAction, type RemediationPlan, type UnfixableEntry } from './plan.js';
import type { RemediationDocument } from './render.js';

/** The ACTIVE package findings of a resource as the plan reads them (an open port has no upgrade). */
export async function activePlanFindings(db: Db, resourceId: string): Promise<PlanFinding[]> {
  const rows = await db.kysely.selectFrom('findings').select(['id', 'detail', 'origin']).where('resource_id', '=', resourceId).where('status', '=', 'ACTIVE').where('type', '=', 'PACKAGE_VULNERABILITY').execute();
  return rows.map((r) => {
    const f = JSON.parse(r.detail) as Finding;
    return { ...f, findingId: r.id, ...(r.origin ? { origin: r.origin as FindingOrigin } : {}) };
  });
}

/** The resource row in scope, or undefined. */
export async function resourceInScope(db: Db, scope: AccountScope, id: string): Promise<ResourcesTable | undefined> {
  return db.kysely.selectFrom('resources').selectAll().where('id', '=', id).where(scopeSql(scope, 'resources.account_id')).executeTakeFirst();
}

/** Options of {@link resourcePlan}. */
export interface ResourcePlanOptions {
  /** False skips the base-image advice. */
  baseImage?: boolean;
  /**
   * Where a later release of the distribution fixes what the resource's has not (from the
   * advisory index, `newerReleaseLookup`); without it such findings stay NO_FIX_PUBLISHED.
   */
  newerRelease?: NewerReleaseLookup;
}

/** The plan document of a resource (undefined when it is not in scope). */
export async function resourcePlan(db: Db, scope: AccountScope, id: string, opts: ResourcePlanOptions = {}): Promise<(RemediationDocument & { resourceId: string }) | undefined> {
  const row = await resourceInScope(db, scope, id);
  if (!row) return undefined;
  const findings = await activePlanFindings(db, id);
  const baseImage = opts.baseImage === false ? undefined : await baseImageAdvice(db, row, findings);
  return {
    schemaVersion: 1,
    resourceId: row.id,
    target: { type: row.type, name: row.name, ...(row.image_digest ? { digest: row.image_digest } : {}) },
    ...planRemediation(findings, opts.newerRelease ? { newerRelease: opts.newerRelease } : {}),
    ...(baseImage ? { baseImage } : {}),
  };
}

/** The remediation of one finding as the finding detail shows it: the plan's action that closes it, or why none does. */
export interface FindingRemediation {
  summary: string;
  command?: string;
  hint?: string;
  targetVersion?: string;
  /** How many findings of the resource the same action closes. */
  closes?: number;
  reason?: UnfixableEntry['reason'];
}

/** Says what the plan does for the finding `findingId`. */
export function findingRemediation(plan: RemediationPlan, findingId: string): FindingRemediation | undefined {
  const match = (r: { findingId?: string }) => r.findingId === findingId;
  const action: RemediationAction | undefined = plan.actions.find((a) => a.findings.some(match));
  if (action) {
    const others = action.findings.length - 1;
    return {
      summary: `${action.summary}${others > 0 ? `: also closes ${others} other finding${others === 1 ? '' : 's'} of this resource` : ''}.`,
      ...(action.command ? { command: action.command } : {}),
      ...(action.hint ? { hint: action.hint } : {}),
      targetVersion: action.targetVersion,
      closes: action.findings.length,
    };
  }
  const entry = plan.unfixable.find((u) => u.findings.some(match));
  if (!entry) return undefined;
  const advice = entry.reason === 'FIX_IN_NEWER_RELEASE' ? 'upgrade the distribution release, or rebuild on a newer base image' : 'consider a suppression rule with a justification, or a mitigation';
  return { summary: `Cannot be fixed by an upgrade yet: ${entry.detail}; ${advice}.`, reason: entry.reason };
}
