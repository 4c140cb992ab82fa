/**
 * Coverage: is each resource being scanned, and if not, why. ACTIVE with reason
 * SUCCESSFUL, or INACTIVE with PENDING_INITIAL_SCAN, UNSUPPORTED_OS, NO_INVENTORY,
 * STALE_INVENTORY, SCAN_FAILED, EXCLUDED_BY_TAG or SCAN_ELIGIBILITY_EXPIRED.
 */
import type { Db } from '../db/connect.js';
import type { ResourcesTable } from '../db/schema.js';
import { iso, type ResourceType } from './model.js';
import { scopeSql, type AccountScope } from './scope.js';
import type { Settings } from './settings.js';

/** Why a resource is (not) covered. */
export type CoverageReason =
  | 'SUCCESSFUL'
  | 'PENDING_INITIAL_SCAN'
  | 'UNSUPPORTED_OS'
  | 'NO_INVENTORY'
  | 'STALE_INVENTORY'
  | 'SCAN_FAILED'
  | 'EXCLUDED_BY_TAG'
  | 'SCAN_ELIGIBILITY_EXPIRED';

/** Coverage of one resource. */
export interface Coverage {
  resourceId: string;
  accountId: string;
  resourceType: ResourceType;
  name: string;
  status: 'ACTIVE' | 'INACTIVE';
  reason: CoverageReason;
  /**
   * What the last scan could not judge, one line per ecosystem (a release or language without
   * advisory data, an unknown OS, end of life), or why it failed (SCAN_FAILED).
   */
  detail?: string;
  lastScanAt?: string;
}

type CoverageRow = Pick<ResourcesTable, 'id' | 'account_id' | 'type' | 'name' | 'tags' | 'last_scan_at' | 'last_scan_status'> &
  Partial<Pick<ResourcesTable, 'last_scan_error' | 'coverage_detail'>>;

/** Coverage of one resource now, under the settings' thresholds. */
export function coverageOf(r: CoverageRow, settings: Settings, now = Date.now()): Coverage {
  const tags = JSON.parse(r.tags) as Record<string, string>;
  let reason: CoverageReason;
  if (tags[settings.excludeTag] === 'true') reason = 'EXCLUDED_BY_TAG';
  else if (r.last_scan_at === null || r.last_scan_status === null) reason = 'PENDING_INITIAL_SCAN';
  else if (r.last_scan_status !== 'SUCCESSFUL') reason = r.last_scan_status as CoverageReason;
  else if (r.type === 'HOST' && now - r.last_scan_at > settings.hostStaleHours * 3600_000) reason = 'STALE_INVENTORY';
  else if (r.type === 'CONTAINER_IMAGE' && now - r.last_scan_at > settings.imageEligibilityDays * 86_400_000) reason = 'SCAN_ELIGIBILITY_EXPIRED';
  else reason = 'SUCCESSFUL';
  const detail = reason === 'SCAN_FAILED' ? r.last_scan_error : reason === 'EXCLUDED_BY_TAG' || reason === 'PENDING_INITIAL_SCAN' ? null : r.coverage_detail;
  return {
    resourceId: r.id,
    accountId: r.account_id,
    resourceType: r.type as ResourceType,
    name: r.name,
    status: reason === 'SUCCESSFUL' ? 'ACTIVE' : 'INACTIVE',
    reason,
    ...(detail ? { detail } : {}),
    lastScanAt: iso(r.last_scan_at),
  };
}

/** Filters of a coverage listing. */
export interface CoverageQuery {
  resourceType?: string;
  accountId?: string;
  status?: 'ACTIVE' | 'INACTIVE';
  reason?: string;
}

/** Coverage of every resource in the scope matching the query, by resource id. */
export async function listCoverage(db: Db, scope: AccountScope, settings: Settings, query: CoverageQuery = {}, now = Date.now()): Promise<Coverage[]> {
  let q = db.kysely
    .selectFrom('resources')
    .select(['id', 'account_id', 'type', 'name', 'tags', 'last_scan_at', 'last_scan_status', 'last_scan_error', 'coverage_detail'])
    .where(scopeSql(scope, 'resources.account_id'));
  if (query.resourceType) q = q.where('type', '=', query.resourceType);
  if (query.accountId) q = q.where('account_id', '=', query.accountId);
  const rows = await q.orderBy('id').execute();
  return rows
    .map((r) => coverageOf(r, settings, now))
    .filter((c) => (!query.status || c.status === query.status) && (!query.reason || c.reason === query.reason));
}

/** Coverage counts grouped by resource type, account and reason. */
export interface CoverageStatistics {
  total: number;
  byStatus: Record<string, number>;
  groups: { resourceType: string; accountId: string; status: string; reason: string; count: number }[];
}

/** Statistics of coverage in the scope. */
export async function coverageStatistics(db: Db, scope: AccountScope, settings: Settings, query: CoverageQuery = {}, now = Date.now()): Promise<CoverageStatistics> {
  const all = await listCoverage(db, scope, settings, query, now);
  const groups = new Map<string, CoverageStatistics['groups'][number]>();
  const byStatus: Record<string, number> = { ACTIVE: 0, INACTIVE: 0 };
  for (const c of all) {
    byStatus[c.status]++;
    const key = `${c.resourceType}\u0000${c.accountId}\u0000${c.reason}`;
    const g = groups.get(key) ?? { resourceType: c.resourceType, accountId: c.accountId, status: c.status, reason: c.reason, count: 0 };
    g.count++;
    groups.set(key, g);
  }
  const sorted = [...groups.values()].sort((a, b) => a.resourceType.localeCompare(b.resourceType) || a.accountId.localeCompare(b.accountId) || a.reason.localeCompare(b.reason));
  return { total: all.length, byStatus, groups: sorted };
}
