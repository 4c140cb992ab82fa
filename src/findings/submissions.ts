/**
 * Asynchronous scan submissions: a large inventory (or one whose client asked) is stored and
 * answered with 202 at once; the `ingest-inventory` job matches it, yielding to the event
 * loop, and stores the result in steps (see {@link recordScanInSteps}), so one tenant's
 * 100,000-package SBOM neither holds a request open for minutes nor stalls the others.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../db/connect.js';
import type { ScanSubmissionsTable } from '../db/schema.js';
import type { Inventory } from '../inventory/types.js';
import { scanWith } from '../matching/engine.js';
import type { ScanContext, ScanEngine } from '../matching/types.js';
import type { ScanCoverage } from '../matching/data-coverage.js';
import { recordFailedScan, recordScanInSteps, type LifecycleSummary, type ScanRecord } from './lifecycle.js';
import type { ResourceInput } from './resources.js';
import { scopeSql, type AccountScope } from './scope.js';
import { scanContextFor } from '../network/server/context.js';

/** States of a submission before its scan row exists (then DONE). */
export type SubmissionStatus = 'QUEUED' | 'IN_PROGRESS' | 'DONE';

/** A submission as `GET /scans/{id}` shows it. */
export interface Submission {
  id: string;
  accountId: string;
  status: SubmissionStatus;
  packageCount: number;
  summary?: LifecycleSummary;
  /** The completed scan's data coverage, when the engine could tell. */
  coverage?: ScanCoverage;
  createdAt: number;
}

function toSubmission(row: Pick<ScanSubmissionsTable, 'id' | 'account_id' | 'status' | 'package_count' | 'summary' | 'coverage' | 'created_at'>): Submission {
  return {
    id: row.id,
    accountId: row.account_id,
    status: row.status as SubmissionStatus,
    packageCount: row.package_count,
    ...(row.summary ? { summary: JSON.parse(row.summary) as LifecycleSummary } : {}),
    ...(row.coverage ? { coverage: JSON.parse(row.coverage) as ScanCoverage } : {}),
    createdAt: Number(row.created_at),
  };
}

/** Stores an inventory for scanning; returns the id its scan will have. */
export async function acceptSubmission(db: Db, input: { accountId: string; resource: ResourceInput; inventory: Inventory; context: ScanContext }): Promise<string> {
  const id = randomUUID();
  const now = Date.now();
  await db.kysely
    .insertInto('scan_submissions')
    .values({
      id,
      account_id: input.accountId,
      status: 'QUEUED',
      resource: JSON.stringify(input.resource),
      inventory: JSON.stringify(input.inventory),
      context: JSON.stringify(input.context),
      package_count: input.inventory.packages.length,
      summary: null,
      coverage: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
  return id;
}

/** A submission in the scope, if there is one. */
export async function getSubmission(db: Db, scope: AccountScope, id: string): Promise<Submission | undefined> {
  const row = await db.kysely
    .selectFrom('scan_submissions')
    .select(['id', 'account_id', 'status', 'package_count', 'summary', 'coverage', 'created_at'])
    .where('id', '=', id)
    .where(scopeSql(scope, 'scan_submissions.account_id'))
    .executeTakeFirst();
  return row ? toSubmission(row) : undefined;
}

/**
 * Matches and stores a submission (the `ingest-inventory` job). Returns undefined when it is
 * already done (a retried job whose first attempt finished).
 */
export async function runSubmission(db: Db, engine: ScanEngine, id: string, signal?: AbortSignal): Promise<ScanRecord | undefined> {
  const row = await db.kysely.selectFrom('scan_submissions').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new Error(`scan submission ${id} does not exist`);
  if (row.status === 'DONE' || row.inventory === null) return undefined;
  // An attempt that stored the scan but died before saying so.
  if (await db.kysely.selectFrom('scans').select('id').where('id', '=', id).executeTakeFirst()) {
    await db.kysely.updateTable('scan_submissions').set({ status: 'DONE', inventory: null, updated_at: Date.now() }).where('id', '=', id).execute();
    return undefined;
  }
  await db.kysely.updateTable('scan_submissions').set({ status: 'IN_PROGRESS', updated_at: Date.now() }).where('id', '=', id).execute();
  const inventory = JSON.parse(row.inventory) as Inventory;
  const resource = JSON.parse(row.resource) as ResourceInput;
  const context = await scanContextFor(db, row.account_id, resource, JSON.parse(row.context) as ScanContext);
  const result = await scanWith(engine, inventory, context, signal);
  const record = await recordScanInSteps(db, { accountId: row.account_id, resource, inventory, result, trigger: 'SUBMITTED', scanId: id }, { signal });
  await db.kysely.updateTable('scan_submissions').set({ status: 'DONE', inventory: null, summary: JSON.stringify(record.summary), coverage: result.coverage ? JSON.stringify(result.coverage) : null, updated_at: Date.now() }).where('id', '=', id).execute();
  return record;
}

/** Records a submission that failed for good as a failed scan with its id. */
export async function failSubmission(db: Db, id: string, error: string): Promise<void> {
  const row = await db.kysely.selectFrom('scan_submissions').select(['account_id', 'resource', 'status']).where('id', '=', id).executeTakeFirst();
  if (!row || row.status === 'DONE') return;
  if (await db.kysely.selectFrom('scans').select('id').where('id', '=', id).executeTakeFirst()) return;
  await recordFailedScan(db, { accountId: row.account_id, resource: JSON.parse(row.resource) as ResourceInput, trigger: 'SUBMITTED', error, scanId: id });
  await db.kysely.updateTable('scan_submissions').set({ status: 'DONE', inventory: null, updated_at: Date.now() }).where('id', '=', id).execute();
}

/** Deletes finished submissions older than `before` (epoch ms). */
export async function pruneSubmissions(db: Db, before: number): Promise<void> {
  await db.kysely.deleteFrom('scan_submissions').where('status', '=', 'DONE').where('updated_at', '<', before).execute();
}
