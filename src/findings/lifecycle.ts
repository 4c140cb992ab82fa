/**
 * The finding lifecycle: a scan result for a resource opens new findings, refreshes the
 * ones seen again, closes the ones absent from it (fixed) and reopens closed ones that come
 * back, keeping a timeline of every change. Scans touch only PACKAGE_VULNERABILITY findings:
 * network findings have their own lifecycle (src/network/server/findings.ts). Suppression rules in force then claim the
 * resource's ACTIVE findings.
 */
import { hash, randomUUID } from 'node:crypto';
import { chunks, insertRows, rowsPerStatement } from '../db/batches.js';
import type { Db } from '../db/connect.js';
import type { FindingsTable, ResourcesTable, ScansTable } from '../db/schema.js';
import type { Inventory } from '../inventory/types.js';
import { osGaps, type ScanCoverage } from '../matching/data-coverage.js';
import type { Finding, ScanResult } from '../matching/types.js';
import { storeInventory } from './inventories.js';
import { severityRank } from './model.js';
import { getSettings } from './settings.js';
import { upsertResource, type ResourceInput } from './resources.js';
import { newFindingId } from './ids.js';
import { applyRulesToResource } from './suppression.js';
import { markSummary, summaryChanged } from './summary.js';
import { assignOrigins } from '../remediation/origin.js';

/** Key of a finding within its resource: ecosystem, package, version and vulnerability. */
export function findingKey(f: Finding): string {
  // One-shot hashing: a hash object per finding took 4× as long (≈ 0.4 s per 325,000 findings).
  return hash('sha256', [f.package.ecosystem, f.package.name, f.package.version, f.id].join('\u0000'), 'hex').slice(0, 32);
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
 * Key of the package a stored finding belongs to, as {@link FindingsUpdate.scope} names
 * packages: the finding's ecosystem and the package's name as the inventory spells it.
 */
export function findingPackageKey(ecosystem: string, name: string): string {
  return `${ecosystem}\u0000${name}`;
}

/** One resource's scan result to apply (see {@link applyFindingsBatch}). */
export interface FindingsUpdate {
  resource: ResourcesTable;
  findings: readonly Finding[];
  scanId: string;
  /**
   * The packages that were matched again ({@link findingPackageKey} keys). When set, only
   * the resource's findings in these packages are compared, refreshed, closed or reopened;
   * the others stay as stored (a re-evaluation after an advisory update that re-matches only
   * the changed packages). Absent: the findings are the whole resource's.
   */
  scope?: ReadonlySet<string>;
}

/** Columns a rewrite of an existing finding sets (everything but its identity and first observation). */
const REWRITTEN = [
  'resource_type',
  'resource_name',
  'vulnerability_id',
  'title',
  'package_name',
  'package_ecosystem',
  'package_version',
  'fixed_version',
  'fix_available',
  'layer',
  'image_registry',
  'image_repository',
  'image_digest',
  'severity',
  'severity_rank',
  'score',
  'epss',
  'epss_rank',
  'exploited',
  'detail',
  'status',
  'suppressed_by',
  'last_observed_at',
  'updated_at',
  'closed_at',
] as const satisfies readonly (keyof FindingsTable)[];

/** A resource's stored findings that the update covers: all of them, or those of its scope's packages. */
async function loadExisting(db: Db, updates: readonly FindingsUpdate[]): Promise<Map<string, FindingsTable[]>> {
  const out = new Map<string, FindingsTable[]>(updates.map((u) => [u.resource.id, []]));
  const whole = updates.filter((u) => !u.scope).map((u) => u.resource.id);
  for (const ids of chunks(whole, 500)) {
    for (const row of await db.kysely.selectFrom('findings').selectAll().where('resource_id', 'in', ids).where('type', '=', 'PACKAGE_VULNERABILITY').execute()) out.get(row.resource_id)!.push(row);
  }
  // Scoped updates read only their packages' rows (a re-evaluation touches a few packages of
  // hundreds), filtered by name in SQL and by exact package key here.
  for (const group of chunks(updates.filter((u) => u.scope), 200)) {
    const names = new Set<string>();
    for (const u of group) for (const key of u.scope!) names.add(key.slice(key.indexOf('\u0000') + 1));
    if (names.size === 0) continue;
    let q = db.kysely.selectFrom('findings').selectAll().where('resource_id', 'in', group.map((u) => u.resource.id)).where('type', '=', 'PACKAGE_VULNERABILITY');
    if (names.size <= 1000) q = q.where('package_name', 'in', [...names]);
    const scopes = new Map(group.map((u) => [u.resource.id, u.scope!]));
    for (const row of await q.execute()) {
      if (scopes.get(row.resource_id)!.has(findingPackageKey(row.package_ecosystem, row.package_name))) out.get(row.resource_id)!.push(row);
    }
  }
  return out;
}

/**
 * Applies scan results to several resources' stored findings with a bounded number of
 * statements whatever the count (multi-row inserts and rewrites, batched observation bumps
 * and closes): what a re-evaluation of thousands of resources needs. Run inside a
 * transaction (see {@link recordScan} and {@link recordReevaluations}). Returns one summary
 * per update, in order.
 */
export async function applyFindingsBatch(db: Db, updates: readonly FindingsUpdate[], at: number): Promise<LifecycleSummary[]> {
  const existingByResource = await loadExisting(db, updates);
  const summaries: LifecycleSummary[] = [];
  const events: EventRow[] = [];
  const inserts: FindingsTable[] = [];
  const rewrites: FindingsTable[] = [];
  const unchanged: string[] = [];
  const toClose: string[] = [];
  // The summaries' keys of ACTIVE findings this batch adds, changes or closes.
  const dirtyResources = new Set<string>();
  const dirtyVulns = new Set<string>();
  const dirty = (row: Pick<FindingsTable, 'resource_id' | 'vulnerability_id'>) => {
    dirtyResources.add(row.resource_id);
    dirtyVulns.add(row.vulnerability_id);
  };

  for (const { resource, findings, scanId } of updates) {
    const incoming = dedupe(findings);
    const existing = existingByResource.get(resource.id)!;
    const byKey = new Map(existing.map((e) => [e.finding_key, e]));
    const summary: LifecycleSummary = { created: 0, reopened: 0, closed: 0, updated: 0, unchanged: 0, suppressed: 0 };
    summaries.push(summary);
    const scanRef = JSON.stringify({ scanId });

    for (const [key, f] of incoming) {
      const cols = columnsOf(f, resource);
      const prior = byKey.get(key);
      if (!prior) {
        const id = newFindingId();
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
          network_protocol: null,
          port_begin: null,
          port_end: null,
        });
        dirty(inserts[inserts.length - 1]);
        events.push({ finding_id: id, account_id: resource.account_id, at, event: 'CREATED', detail: scanRef });
        summary.created++;
        continue;
      }
      const reopen = prior.status === 'CLOSED';
      // Most findings of a rescan or re-evaluation are exactly as stored: those only need their
      // last observation bumped, in one statement per batch rather than one per finding.
      if (!reopen && sameColumns(prior, cols)) {
        unchanged.push(prior.id);
        summary.unchanged++;
        continue;
      }
      const changes: Record<string, { from: unknown; to: unknown }> = {};
      for (const field of NOTABLE) {
        if (prior[field] !== cols[field]) changes[field] = { from: prior[field], to: cols[field] };
      }
      const changed = Object.keys(changes).length > 0;
      const rewrite: FindingsTable = {
        ...prior,
        ...cols,
        last_observed_at: at,
        ...(reopen ? { status: 'ACTIVE', closed_at: null, suppressed_by: null } : {}),
        ...(reopen || changed ? { updated_at: at } : {}),
      };
      rewrites.push(rewrite);
      if (summaryChanged(prior, rewrite)) {
        dirty(prior);
        dirty(rewrite);
      }
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

    const closing = existing.filter((e) => e.status !== 'CLOSED' && !incoming.has(e.finding_key));
    for (const c of closing) {
      toClose.push(c.id);
      if (c.status === 'ACTIVE') dirty(c);
      events.push({ finding_id: c.id, account_id: resource.account_id, at, event: 'CLOSED', detail: JSON.stringify({ scanId, reason: 'absent from newer scan' }) });
    }
    summary.closed = closing.length;
  }

  // Rewrites of changed or reopened findings: one multi-row upsert on the primary key per
  // slice, which both dialects run as an update of the existing rows.
  for (const slice of chunks(rewrites, rowsPerStatement(Object.keys(rewrites[0] ?? {}).length || 1))) {
    await db.kysely
      .insertInto('findings')
      .values(slice)
      .onConflict((oc) => oc.column('id').doUpdateSet((eb) => Object.fromEntries(REWRITTEN.map((c) => [c, eb.ref(`excluded.${c}`)])) as never))
      .execute();
  }
  for (const ids of chunks(unchanged, 1000)) await db.kysely.updateTable('findings').set({ last_observed_at: at }).where('id', 'in', ids).execute();
  for (const ids of chunks(toClose, 1000)) {
    await db.kysely.updateTable('findings').set({ status: 'CLOSED', closed_at: at, updated_at: at, suppressed_by: null }).where('id', 'in', ids).execute();
  }
  await insertRows(db, 'findings', inserts);
  await insertRows(db, 'finding_events', events);
  await markSummary(db.kysely, { resourceIds: dirtyResources, vulnerabilityIds: dirtyVulns });

  // Images whose base is known tell base-image findings from their own (migration 0012).
  await assignOrigins(db, updates.map((u) => u.resource));

  // Suppression rules in force claim the resources' ACTIVE findings; without any rule there
  // is nothing to ask per resource.
  const anyRule = await db.kysely.selectFrom('suppression_rules').select('id').limit(1).executeTakeFirst();
  if (anyRule) {
    for (let i = 0; i < updates.length; i++) summaries[i].suppressed = await applyRulesToResource(db, updates[i].resource, at);
  }
  return summaries;
}

/**
 * Applies a scan's findings to the resource's stored findings. Run inside a transaction
 * (see {@link recordScan}).
 */
export async function applyFindings(db: Db, resource: ResourcesTable, findings: readonly Finding[], at: number, scanId: string): Promise<LifecycleSummary> {
  const [summary] = await applyFindingsBatch(db, [{ resource, findings, scanId }], at);
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
  /** The scan's id (default: a new one); an accepted asynchronous submission keeps the id it was given. */
  scanId?: string;
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

/**
 * Coverage reason code for a completed scan: UNSUPPORTED_OS also when the data coverage shows
 * an OS release without advisory data, unknown, or at end of life.
 */
export function scanStatusOf(inventory: Inventory, coverage?: ScanCoverage): 'SUCCESSFUL' | 'NO_INVENTORY' | 'UNSUPPORTED_OS' {
  if (inventory.packages.length === 0) {
    return inventory.os && !inventory.os.ecosystem ? 'UNSUPPORTED_OS' : 'NO_INVENTORY';
  }
  if (inventory.os && !inventory.os.ecosystem && inventory.packages.every((p) => !p.ecosystem)) return 'UNSUPPORTED_OS';
  if (coverage && osGaps(coverage).length > 0) return 'UNSUPPORTED_OS';
  return 'SUCCESSFUL';
}

/**
 * What a scan could not judge, in words (one line per ecosystem): releases and ecosystems
 * without data, an unknown OS, end of life or standard support over. Null when nothing.
 */
export function coverageDetailOf(inventory: Inventory, coverage?: ScanCoverage): string | null {
  const lines = (coverage?.ecosystems ?? []).filter((e) => e.status !== 'covered' || e.endOfLife?.state === 'extended-only').map((e) => e.detail);
  if (lines.length === 0 && inventory.os && !inventory.os.ecosystem) {
    lines.push(`${inventory.os.prettyName ?? inventory.os.id}: no advisory ecosystem is known for this OS release`);
  }
  return lines.length > 0 ? lines.join('\n') : null;
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
    const scanId = input.scanId ?? randomUUID();
    const fresh = { ...resource, inventory_version: inventoryVersion };
    const summary = await applyFindings(tdb, fresh, input.result.findings, at, scanId);
    return completeScan(tdb, input, fresh, scanId, summary, at);
  });
}

/** Writes the scan row, the resource's last scan and (hosts) its coverage: the end of {@link recordScan}. Run inside its transaction. */
async function completeScan(tdb: Db, input: ScanRecordInput, resource: ResourcesTable, scanId: string, summary: LifecycleSummary, at: number): Promise<ScanRecord> {
  const status = scanStatusOf(input.inventory, input.result.coverage);
  const coverageDetail = coverageDetailOf(input.inventory, input.result.coverage);
  let billing = 'NONE';
  if (resource.type === 'CONTAINER_IMAGE') {
    const prior = await tdb.kysely.selectFrom('scans').select('id').where('resource_id', '=', resource.id).where('status', '<>', 'SCAN_FAILED').limit(1).executeTakeFirst();
    billing = prior ? 'IMAGE_RESCAN' : 'IMAGE_SCAN';
  }
  await tdb.kysely
    .insertInto('scans')
    .values({
      id: scanId,
      account_id: resource.account_id,
      resource_id: resource.id,
      trigger: input.trigger,
      billing,
      status,
      inventory_version: resource.inventory_version,
      package_count: input.inventory.packages.length,
      finding_count: input.result.findings.length,
      created_at: at,
      error: null,
      warnings: JSON.stringify(input.result.warnings ?? []),
    })
    .execute();
  const os = input.inventory.os ? input.inventory.os.ecosystem ?? input.inventory.os.prettyName ?? input.inventory.os.id : resource.os;
  await tdb.kysely.updateTable('resources').set({ last_scan_at: at, last_scan_status: status, last_scan_error: null, coverage_detail: coverageDetail, os: os ?? null, updated_at: at }).where('id', '=', resource.id).execute();
  // A re-evaluation matches the stored inventory again: nobody saw the host.
  if (resource.type === 'HOST' && input.trigger !== 'REEVALUATION') await recordHostSeen(tdb, resource, at);
  return { scanId, resource: { ...resource, last_scan_at: at, last_scan_status: status, coverage_detail: coverageDetail, os: os ?? null }, inventoryVersion: resource.inventory_version, status, billing, summary };
}

/** Findings {@link recordScanInSteps} applies per transaction. */
const FINDINGS_PER_STEP = 500;

function addSummary(into: LifecycleSummary, s: LifecycleSummary): void {
  for (const k of Object.keys(into) as (keyof LifecycleSummary)[]) into[k] += s[k];
}

/**
 * {@link recordScan} for results of any size without holding the database (SQLite has one
 * connection) or the event loop for long: the resource and inventory version in one
 * transaction; then the findings, grouped by package, in transactions of about
 * `findingsPerStep` findings, each comparing, refreshing, reopening and closing its
 * packages' findings completely, with the event loop given back between them; then the
 * findings of packages no longer present closed, the scan row and the resource updated.
 * Readers may see a scan's findings shortly before its scan row, whose time is when it
 * was completed. Results of at most `findingsPerStep` findings take recordScan's one
 * transaction. `scanId` names the scan (an accepted asynchronous submission's id).
 */
export async function recordScanInSteps(db: Db, input: ScanRecordInput, opts: { findingsPerStep?: number; signal?: AbortSignal } = {}): Promise<ScanRecord> {
  const per = opts.findingsPerStep ?? FINDINGS_PER_STEP;
  if (input.result.findings.length <= per) return recordScan(db, input);
  const at = input.at ?? Date.now();
  const scanId = input.scanId ?? randomUUID();
  const { resource, inventoryVersion } = await db.kysely.transaction().execute(async (trx) => {
    const tdb: Db = { ...db, kysely: trx };
    const resource = await resolveResource(tdb, input.accountId, input.resource, at);
    const inventoryVersion = input.trigger === 'REEVALUATION' ? resource.inventory_version : await storeInventory(tdb, resource, input.inventory, at);
    return { resource, inventoryVersion };
  });
  await new Promise((resolve) => setImmediate(resolve));
  const fresh = { ...resource, inventory_version: inventoryVersion };
  const byPackage = new Map<string, Finding[]>();
  for (const f of input.result.findings) {
    const key = findingPackageKey(f.package.ecosystem, f.package.name);
    const list = byPackage.get(key);
    if (list) list.push(f);
    else byPackage.set(key, [f]);
  }
  const summary: LifecycleSummary = { created: 0, reopened: 0, closed: 0, updated: 0, unchanged: 0, suppressed: 0 };
  const step = async (findings: Finding[], scope: ReadonlySet<string>) => {
    opts.signal?.throwIfAborted();
    const [s] = await db.kysely.transaction().execute((trx) => applyFindingsBatch({ ...db, kysely: trx }, [{ resource: fresh, findings, scanId, scope }], at));
    addSummary(summary, s);
    await new Promise((resolve) => setImmediate(resolve));
  };
  let batch: Finding[] = [];
  let scope = new Set<string>();
  for (const [key, list] of byPackage) {
    batch.push(...list);
    scope.add(key);
    if (batch.length >= per) {
      await step(batch, scope);
      batch = [];
      scope = new Set();
    }
  }
  if (batch.length > 0) await step(batch, scope);
  // The scan row takes the time it was completed: the event relay reads scans in that order.
  const done = Math.max(at, Date.now());
  return db.kysely.transaction().execute(async (trx) => {
    const tdb: Db = { ...db, kysely: trx };
    const open = await trx
      .selectFrom('findings')
      .select(['package_ecosystem', 'package_name'])
      .distinct()
      .where('resource_id', '=', resource.id)
      .where('type', '=', 'PACKAGE_VULNERABILITY')
      .where('status', '<>', 'CLOSED')
      .execute();
    const gone = new Set(open.map((r) => findingPackageKey(r.package_ecosystem, r.package_name)).filter((k) => !byPackage.has(k)));
    if (gone.size > 0) addSummary(summary, (await applyFindingsBatch(tdb, [{ resource: fresh, findings: [], scanId, scope: gone }], at))[0]);
    return completeScan(tdb, input, fresh, scanId, summary, done);
  });
}

/** What a scan row and the resource record of an inventory, without keeping the inventory. */
export interface InventoryFacts {
  status: ReturnType<typeof scanStatusOf>;
  /** The OS as resources show it, when the inventory names one. */
  os: string | undefined;
  packageCount: number;
  /** See {@link coverageDetailOf}. */
  coverageDetail: string | null;
}

/** The {@link InventoryFacts} of an inventory, with its data coverage when the engine can tell it. */
export function inventoryFacts(inventory: Inventory, coverage?: ScanCoverage): InventoryFacts {
  const os = inventory.os ? inventory.os.ecosystem ?? inventory.os.prettyName ?? inventory.os.id : undefined;
  return { status: scanStatusOf(inventory, coverage), os, packageCount: inventory.packages.length, coverageDetail: coverageDetailOf(inventory, coverage) };
}

/** One resource's re-evaluation from its stored inventory (see {@link recordReevaluations}). */
export interface ReevaluationInput {
  resourceId: string;
  /** The stored inventory version that was matched. */
  inventoryVersion: number;
  /** Facts of that whole inventory (for the scan's status, OS and package count). */
  inventory: InventoryFacts;
  /** The result of matching it, or only the packages of `scope`. */
  result: ScanResult;
  /** The packages matched again, when not all of them were (see {@link FindingsUpdate.scope}). */
  scope?: ReadonlySet<string>;
}

/** What {@link recordReevaluations} did. */
export interface ReevaluationRecords {
  records: ScanRecord[];
  /** Resources left alone: deleted, or given a newer inventory since it was matched. */
  stale: string[];
}

/**
 * Stores the re-evaluations of many resources in one transaction with a bounded number of
 * statements: one REEVALUATION scan row each, their findings' lifecycle and the resources'
 * last scan. No inventory is stored (the stored one was matched) and hosts are not marked
 * seen (nobody asked them). A resource whose inventory changed after it was matched is
 * skipped and reported as stale: the scan that stored the newer one matched it already.
 */
export async function recordReevaluations(db: Db, inputs: readonly ReevaluationInput[], at = Date.now()): Promise<ReevaluationRecords> {
  if (inputs.length === 0) return { records: [], stale: [] };
  return db.kysely.transaction().execute(async (trx) => {
    const tdb: Db = { ...db, kysely: trx };
    const rows = new Map<string, ResourcesTable>();
    for (const ids of chunks(inputs.map((i) => i.resourceId), 1000)) {
      for (const r of await trx.selectFrom('resources').selectAll().where('id', 'in', ids).execute()) rows.set(r.id, r);
    }
    const stale: string[] = [];
    const live: { input: ReevaluationInput; resource: ResourcesTable }[] = [];
    for (const input of inputs) {
      const resource = rows.get(input.resourceId);
      if (!resource || resource.inventory_version !== input.inventoryVersion) stale.push(input.resourceId);
      else live.push({ input, resource });
    }
    // A container image's re-evaluation is a rescan for usage once it was scanned before.
    const scanned = new Set<string>();
    for (const ids of chunks(live.filter((l) => l.resource.type === 'CONTAINER_IMAGE').map((l) => l.resource.id), 1000)) {
      const prior = await trx.selectFrom('scans').select('resource_id').distinct().where('resource_id', 'in', ids).where('status', '<>', 'SCAN_FAILED').execute();
      for (const p of prior) scanned.add(p.resource_id);
    }
    const updates: FindingsUpdate[] = live.map(({ input, resource }) => ({ resource, findings: input.result.findings, scanId: randomUUID(), ...(input.scope ? { scope: input.scope } : {}) }));
    const summaries = await applyFindingsBatch(tdb, updates, at);

    // A scan matched on a few packages still counts the resource's open findings.
    const openCount = new Map<string, number>();
    for (const ids of chunks(live.filter((l) => l.input.scope).map((l) => l.resource.id), 1000)) {
      const counts = await trx
        .selectFrom('findings')
        .select(['resource_id', (eb) => eb.fn.countAll<number>().as('n')])
        .where('resource_id', 'in', ids)
        .where('type', '=', 'PACKAGE_VULNERABILITY')
        .where('status', '<>', 'CLOSED')
        .groupBy('resource_id')
        .execute();
      for (const c of counts) openCount.set(c.resource_id, Number(c.n));
    }

    const records: ScanRecord[] = [];
    const scans: ScansTable[] = [];
    const bySet = new Map<string, { status: string; os: string | null; detail: string | null; ids: string[] }>();
    live.forEach(({ input, resource }, i) => {
      const status = input.inventory.status;
      const billing = resource.type !== 'CONTAINER_IMAGE' ? 'NONE' : scanned.has(resource.id) ? 'IMAGE_RESCAN' : 'IMAGE_SCAN';
      const os = input.inventory.os ?? resource.os ?? null;
      const scanId = updates[i].scanId;
      scans.push({
        id: scanId,
        account_id: resource.account_id,
        resource_id: resource.id,
        trigger: 'REEVALUATION',
        billing,
        status,
        inventory_version: input.inventoryVersion,
        package_count: input.inventory.packageCount,
        finding_count: input.scope ? openCount.get(resource.id) ?? 0 : input.result.findings.length,
        created_at: at,
        error: null,
        warnings: JSON.stringify(input.result.warnings ?? []),
      });
      const detail = input.inventory.coverageDetail;
      const setKey = JSON.stringify([status, os, detail]);
      let set = bySet.get(setKey);
      if (!set) bySet.set(setKey, (set = { status, os, detail, ids: [] }));
      set.ids.push(resource.id);
      records.push({ scanId, resource: { ...resource, last_scan_at: at, last_scan_status: status, coverage_detail: detail, os }, inventoryVersion: input.inventoryVersion, status, billing, summary: summaries[i] });
    });
    await insertRows(tdb, 'scans', scans);
    for (const { status, os, detail, ids } of bySet.values()) {
      for (const slice of chunks(ids, 1000)) {
        await trx.updateTable('resources').set({ last_scan_at: at, last_scan_status: status, last_scan_error: null, coverage_detail: detail, os, updated_at: at }).where('id', 'in', slice).execute();
      }
    }
    return { records, stale };
  });
}

/** Records a scan that failed (image pull error, unreadable inventory) for coverage. */
export async function recordFailedScan(db: Db, input: { accountId: string; resource: ResourceInput; trigger: ScanTrigger; error: string; at?: number; scanId?: string }): Promise<{ scanId: string; resource: ResourcesTable }> {
  const at = input.at ?? Date.now();
  return db.kysely.transaction().execute(async (trx) => {
    const tdb: Db = { ...db, kysely: trx };
    const resource = await upsertResource(tdb, input.accountId, input.resource, at);
    const scanId = input.scanId ?? randomUUID();
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
