/**
 * The finding lifecycle: a scan result for a resource opens new findings, refreshes the
 * ones seen again, closes the ones absent from it (fixed) and reopens closed ones that come
 * back, keeping a timeline of every change. Suppression rules in force then claim the
 * resource's ACTIVE findings.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Db } from '../db/connect.js';
import type { FindingsTable, ResourcesTable } from '../db/schema.js';
import type { Inventory } from '../inventory/types.js';
import type { Finding, ScanResult } from '../matching/types.js';
import { storeInventory } from './inventories.js';
import { severityRank } from './model.js';
import { getSettings } from './settings.js';
import { upsertResource, type ResourceInput } from './resources.js';
import { applyRulesToResource } from './suppression.js';

/** Key of a finding within its resource: ecosystem, package, version and vulnerability. */
export function findingKey(f: Finding): string {
  return createHash('sha256')
    .update([f.package.ecosystem, f.package.name, f.package.version, f.id].join('\u0000'))
    .digest('hex')
    .slice(0, 32);
}

/** Merges findings with the same key (one package found at several paths). */
function dedupe(findings: readonly Finding[]): Map<string, Finding> {
  const out = new Map<string, Finding>();
  for (const f of findings) {
    const key = findingKey(f);
    const prior = out.get(key);
    if (!prior) {
      out.set(key, f);
      continue;
    }
    const keep = f.score > prior.score ? f : prior;
    const locations = [...new Set([...prior.package.locations, ...f.package.locations])];
    out.set(key, { ...keep, package: { ...keep.package, locations } });
  }
  return out;
}

/** The denormalised columns of a finding, from the scan's finding and its resource. */
function columnsOf(f: Finding, resource: ResourcesTable) {
  return {
    resource_type: resource.type,
    resource_name: resource.name,
    vulnerability_id: f.id,
    title: f.title,
    package_name: f.package.name,
    package_ecosystem: f.package.ecosystem,
    package_version: f.package.version,
    fixed_version: f.fixedVersion ?? null,
    fix_available: f.fixAvailable,
    layer: f.package.layer ?? null,
    image_registry: resource.image_registry,
    image_repository: resource.image_repository,
    image_digest: resource.image_digest,
    severity: f.severity,
    severity_rank: severityRank(f.severity),
    score: f.score,
    epss: f.epss?.score ?? null,
    epss_rank: f.epss?.score ?? -1,
    exploited: f.kev ? 1 : 0,
    detail: JSON.stringify(f),
  };
}

/** True when every column a scan writes already holds the same value. */
function sameColumns(stored: object, cols: ReturnType<typeof columnsOf>): boolean {
  const row = stored as Record<string, unknown>;
  return Object.entries(cols).every(([column, value]) => row[column] === value);
}

/** Fields whose change is worth a timeline entry. */
const NOTABLE = ['severity', 'score', 'fix_available', 'fixed_version', 'exploited'] as const;

/** Counts of what one scan did to a resource's findings. */
export interface LifecycleSummary {
  created: number;
  reopened: number;
  closed: number;
  updated: number;
  unchanged: number;
  suppressed: number;
}

interface EventRow {
  finding_id: string;
  account_id: string;
  at: number;
  event: string;
  detail: string;
}

/**
 * Applies a scan's findings to the resource's stored findings. Run inside a transaction
 * (see {@link recordScan}).
 */
export async function applyFindings(db: Db, resource: ResourcesTable, findings: readonly Finding[], at: number, scanId: string): Promise<LifecycleSummary> {
  const incoming = dedupe(findings);
  const existing = await db.kysely
    .selectFrom('findings')
    .selectAll()
    .where('resource_id', '=', resource.id)
    .execute();
  const byKey = new Map(existing.map((e) => [e.finding_key, e]));
  const summary: LifecycleSummary = { created: 0, reopened: 0, closed: 0, updated: 0, unchanged: 0, suppressed: 0 };
  const events: EventRow[] = [];
  const inserts: FindingsTable[] = [];
  const unchanged: string[] = [];
  const scanRef = JSON.stringify({ scanId });

  for (const [key, f] of incoming) {
    const cols = columnsOf(f, resource);
    const prior = byKey.get(key);
    if (!prior) {
      const id = randomUUID();
      inserts.push({
        id,
        account_id: resource.account_id,
        resource_id: resource.id,
        finding_key: key,
        type: 'PACKAGE_VULNERABILITY',
        status: 'ACTIVE',
        suppressed_by: null,
        ...cols,
        first_observed_at: at,
        last_observed_at: at,
        updated_at: at,
        closed_at: null,
      });
      events.push({ finding_id: id, account_id: resource.account_id, at, event: 'CREATED', detail: scanRef });
      summary.created++;
      continue;
    }
    const changes: Record<string, { from: unknown; to: unknown }> = {};
    for (const field of NOTABLE) {
      if (prior[field] !== cols[field]) changes[field] = { from: prior[field], to: cols[field] };
    }
    const reopen = prior.status === 'CLOSED';
    const changed = Object.keys(changes).length > 0;
    // Most findings of a rescan or re-evaluation are exactly as stored: those only need their
    // last observation bumped, in one statement per batch rather than one per finding.
    if (!reopen && sameColumns(prior, cols)) {
      unchanged.push(prior.id);
      summary.unchanged++;
      continue;
    }
    await db.kysely
      .updateTable('findings')
      .set({
        ...cols,
        last_observed_at: at,
        ...(reopen ? { status: 'ACTIVE', closed_at: null, suppressed_by: null } : {}),
        ...(reopen || changed ? { updated_at: at } : {}),
      })
      .where('id', '=', prior.id)
      .execute();
    if (reopen) {
      events.push({ finding_id: prior.id, account_id: resource.account_id, at, event: 'REOPENED', detail: scanRef });
      summary.reopened++;
    } else if (changed) {
      events.push({ finding_id: prior.id, account_id: resource.account_id, at, event: 'UPDATED', detail: JSON.stringify({ scanId, changes }) });
      summary.updated++;
    } else {
      summary.unchanged++;
    }
  }

  for (let i = 0; i < unchanged.length; i += 500) {
    await db.kysely.updateTable('findings').set({ last_observed_at: at }).where('id', 'in', unchanged.slice(i, i + 500)).execute();
  }

  const toClose = existing.filter((e) => e.status !== 'CLOSED' && !incoming.has(e.finding_key));
  for (let i = 0; i < toClose.length; i += 500) {
    const batch = toClose.slice(i, i + 500);
    await db.kysely
      .updateTable('findings')
      .set({ status: 'CLOSED', closed_at: at, updated_at: at, suppressed_by: null })
      .where('id', 'in', batch.map((b) => b.id))
      .execute();
  }
  for (const c of toClose) events.push({ finding_id: c.id, account_id: resource.account_id, at, event: 'CLOSED', detail: JSON.stringify({ scanId, reason: 'absent from newer scan' }) });
  summary.closed = toClose.length;

  // Row count per insert stays under SQLite's bound-parameter limit.
  for (let i = 0; i < inserts.length; i += 200) await db.kysely.insertInto('findings').values(inserts.slice(i, i + 200)).execute();
  for (let i = 0; i < events.length; i += 500) await db.kysely.insertInto('finding_events').values(events.slice(i, i + 500)).execute();
  summary.suppressed = await applyRulesToResource(db, resource, at);
  return summary;
}

/** How a scan reached the server. */
export type ScanTrigger = 'SUBMITTED' | 'PULLED' | 'REEVALUATION';

/** What {@link recordScan} stores. */
export interface ScanRecordInput {
  accountId: string;
  /** The resource, by identity (found or created) or by id (must exist in the account). */
  resource: ResourceInput | { id: string };
  /** The inventory scanned; stored as a new version unless the trigger is REEVALUATION. */
  inventory: Inventory;
  result: ScanResult;
  trigger: ScanTrigger;
  at?: number;
}

/** What {@link recordScan} did. */
export interface ScanRecord {
  scanId: string;
  resource: ResourcesTable;
  inventoryVersion: number;
  status: string;
  billing: string;
  summary: LifecycleSummary;
}

/** Coverage reason code for a completed scan. */
export function scanStatusOf(inventory: Inventory): 'SUCCESSFUL' | 'NO_INVENTORY' | 'UNSUPPORTED_OS' {
  if (inventory.packages.length === 0) {
    return inventory.os && !inventory.os.ecosystem ? 'UNSUPPORTED_OS' : 'NO_INVENTORY';
  }
  if (inventory.os && !inventory.os.ecosystem && inventory.packages.every((p) => !p.ecosystem)) return 'UNSUPPORTED_OS';
  return 'SUCCESSFUL';
}

/**
 * Records that a host was seen (scanned, or an agent heartbeat): extends its coverage
 * period, or opens a new one when the last sighting is older than `gapMs` (the
 * organization's host staleness window).
 */
export async function recordHostSeen(db: Db, resource: { id: string; account_id: string }, at: number, gapMs?: number): Promise<void> {
  const gap = gapMs ?? (await getSettings(db)).hostStaleHours * 3600_000;
  const last = await db.kysely
    .selectFrom('host_coverage')
    .selectAll()
    .where('resource_id', '=', resource.id)
    .orderBy('last_seen_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (last && at - last.last_seen_at <= gap) {
    if (at > last.last_seen_at) await db.kysely.updateTable('host_coverage').set({ last_seen_at: at }).where('id', '=', last.id).execute();
    return;
  }
  await db.kysely.insertInto('host_coverage').values({ resource_id: resource.id, account_id: resource.account_id, started_at: at, last_seen_at: at }).execute();
}

async function resolveResource(db: Db, accountId: string, ref: ScanRecordInput['resource'], at: number): Promise<ResourcesTable> {
  if ('id' in ref) {
    const row = await db.kysely.selectFrom('resources').selectAll().where('id', '=', ref.id).where('account_id', '=', accountId).executeTakeFirst();
    if (!row) throw new Error(`resource ${ref.id} not found in account ${accountId}`);
    return row;
  }
  return upsertResource(db, accountId, ref, at);
}

/**
 * Stores one scan: resource (found or created), inventory version, scan row, findings
 * lifecycle, suppression, coverage and usage, in one transaction. Used by `POST /scans`
 * and by re-evaluation after advisory updates (trigger REEVALUATION, stored inventory).
 */
export async function recordScan(db: Db, input: ScanRecordInput): Promise<ScanRecord> {
  const at = input.at ?? Date.now();
  return db.kysely.transaction().execute(async (trx) => {
    const tdb: Db = { ...db, kysely: trx };
    const resource = await resolveResource(tdb, input.accountId, input.resource, at);
    const inventoryVersion = input.trigger === 'REEVALUATION' ? resource.inventory_version : await storeInventory(tdb, resource, input.inventory, at);
    const status = scanStatusOf(input.inventory);
    let billing = 'NONE';
    if (resource.type === 'CONTAINER_IMAGE') {
      const prior = await trx.selectFrom('scans').select('id').where('resource_id', '=', resource.id).where('status', '<>', 'SCAN_FAILED').limit(1).executeTakeFirst();
      billing = prior ? 'IMAGE_RESCAN' : 'IMAGE_SCAN';
    }
    const scanId = randomUUID();
    await trx
      .insertInto('scans')
      .values({
        id: scanId,
        account_id: resource.account_id,
        resource_id: resource.id,
        trigger: input.trigger,
        billing,
        status,
        inventory_version: inventoryVersion,
        package_count: input.inventory.packages.length,
        finding_count: input.result.findings.length,
        created_at: at,
        error: null,
        warnings: JSON.stringify(input.result.warnings ?? []),
      })
      .execute();
    const fresh = { ...resource, inventory_version: inventoryVersion };
    const summary = await applyFindings(tdb, fresh, input.result.findings, at, scanId);
    const os = input.inventory.os ? input.inventory.os.ecosystem ?? input.inventory.os.prettyName ?? input.inventory.os.id : resource.os;
    await trx
      .updateTable('resources')
      .set({ last_scan_at: at, last_scan_status: status, last_scan_error: null, os: os ?? null, updated_at: at })
      .where('id', '=', resource.id)
      .execute();
    if (resource.type === 'HOST') await recordHostSeen(tdb, resource, at);
    return { scanId, resource: { ...fresh, last_scan_at: at, last_scan_status: status, os: os ?? null }, inventoryVersion, status, billing, summary };
  });
}

/** Records a scan that failed (image pull error, unreadable inventory) for coverage. */
export async function recordFailedScan(db: Db, input: { accountId: string; resource: ResourceInput; trigger: ScanTrigger; error: string; at?: number }): Promise<{ scanId: string; resource: ResourcesTable }> {
  const at = input.at ?? Date.now();
  return db.kysely.transaction().execute(async (trx) => {
    const tdb: Db = { ...db, kysely: trx };
    const resource = await upsertResource(tdb, input.accountId, input.resource, at);
    const scanId = randomUUID();
    await trx
      .insertInto('scans')
      .values({ id: scanId, account_id: resource.account_id, resource_id: resource.id, trigger: input.trigger, billing: 'NONE', status: 'SCAN_FAILED', inventory_version: null, package_count: 0, finding_count: 0, created_at: at, error: input.error, warnings: '[]' })
      .execute();
    await trx.updateTable('resources').set({ last_scan_at: at, last_scan_status: 'SCAN_FAILED', last_scan_error: input.error, updated_at: at }).where('id', '=', resource.id).execute();
    return { scanId, resource };
  });
}

/**
 * Deletes findings closed longer ago than the retention (30 days by default), with their
 * timelines. Returns how many were deleted. The jobs queue schedules it.
 */
export async function sweepClosedFindings(db: Db, opts: { retentionDays?: number; now?: number } = {}): Promise<number> {
  const cutoff = (opts.now ?? Date.now()) - (opts.retentionDays ?? 30) * 86_400_000;
  let total = 0;
  for (;;) {
    const batch = await db.kysely.selectFrom('findings').select('id').where('status', '=', 'CLOSED').where('closed_at', '<', cutoff).limit(1000).execute();
    if (batch.length === 0) return total;
    const ids = batch.map((b) => b.id);
    await db.kysely.transaction().execute(async (trx) => {
      await trx.deleteFrom('finding_events').where('finding_id', 'in', ids).execute();
      await trx.deleteFrom('findings').where('id', 'in', ids).execute();
    });
    total += ids.length;
  }
}
