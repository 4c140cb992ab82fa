/**
 * Network analyses as queued jobs: a stored snapshot or changed host report queues the
 * account's re-analysis (`network-analysis`) instead of running it inside the request.
 * Each analysis is a row of `network_analyses` (QUEUED → RUNNING → DONE or FAILED).
 * A trigger joins the account's waiting analysis when there is one, so a burst of agent
 * reports within the debounce (`VIGIL_NETWORK_ANALYSIS_DELAY_MS`) is one analysis; and an
 * analysis starts only while no other of its account runs. Both rules are partial unique
 * indexes (migration 0018), so they hold across servers and workers on either dialect.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/connect.js';
import type { NetworkAnalysesTable } from '../../db/schema.js';
import { iso } from '../../findings/model.js';
import { scopeSql, type AccountScope } from '../../findings/scope.js';
import type { JobQueue } from '../../jobs/types.js';
import { log } from '../../log.js';
import type { ScanEngine } from '../../matching/types.js';
import { refreshAccountNetwork, type NetworkUpdate } from './service.js';

/** States of an analysis. */
export type AnalysisStatus = 'QUEUED' | 'RUNNING' | 'DONE' | 'FAILED';

/** What made an analysis necessary. */
export type AnalysisTrigger =
  | { kind: 'snapshot'; snapshotId: string; source: string }
  | { kind: 'host-report'; resourceId: string }
  /** An admin asked (`POST /api/v1/network/analyses`): after a FAILED analysis, or to re-check. */
  | { kind: 'request'; keyId: string };

/** What a finished analysis did. */
export interface AnalysisSummary {
  snapshotId?: string;
  /** HOST resources the snapshot describes. */
  hosts: number;
  /** Hosts whose exposures or reachability changed. */
  changedHosts: number;
  /** Resources whose package findings were scored again because their reachability changed: hosts and the images on them. */
  rescoredHosts: number;
  /** Images whose reachability, from the hosts running them, changed. */
  rescoredImages: number;
  findings: { created: number; reopened: number; updated: number; closed: number };
  /** Exposures of the whole snapshot. */
  exposures: number;
}

/** An analysis as `GET /api/v1/network/analyses/{id}` shows it. */
export interface ApiAnalysis {
  analysisId: string;
  accountId: string;
  status: AnalysisStatus;
  triggers: AnalysisTrigger[];
  triggerCount: number;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  error?: string;
  summary?: AnalysisSummary;
}

/** Payload of the `network-analysis` job. */
export interface NetworkAnalysisJob {
  analysisId: string;
}

/** Triggers kept per analysis: a fleet's burst of reports is counted, not listed in full. */
const KEPT_TRIGGERS = 100;
/** How long an analysis waits before looking again while another of its account runs. */
const BUSY_RETRY_MS = 500;

/** The debounce before a queued analysis starts: `VIGIL_NETWORK_ANALYSIS_DELAY_MS`, default 2 s. */
export function analysisDelayMs(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.VIGIL_NETWORK_ANALYSIS_DELAY_MS;
  if (v === undefined || v === '') return 2000;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`VIGIL_NETWORK_ANALYSIS_DELAY_MS=${v} is not a number of milliseconds (0 or more)`);
  return n;
}

/** The API form of a stored analysis. */
export function toApiAnalysis(row: NetworkAnalysesTable): ApiAnalysis {
  return {
    analysisId: row.id,
    accountId: row.account_id,
    status: row.status as AnalysisStatus,
    triggers: JSON.parse(row.triggers) as AnalysisTrigger[],
    triggerCount: row.trigger_count,
    createdAt: iso(row.created_at)!,
    ...(row.started_at !== null ? { startedAt: iso(row.started_at)! } : {}),
    ...(row.finished_at !== null ? { finishedAt: iso(row.finished_at)! } : {}),
    ...(row.error !== null ? { error: row.error } : {}),
    ...(row.summary !== null ? { summary: JSON.parse(row.summary) as AnalysisSummary } : {}),
  };
}

/** One analysis in the scope, if there is one (another account's is not). */
export async function getAnalysis(db: Db, scope: AccountScope, id: string): Promise<ApiAnalysis | undefined> {
  const row = await db.kysely.selectFrom('network_analyses').selectAll().where('id', '=', id).where(scopeSql(scope, 'network_analyses.account_id')).executeTakeFirst();
  return row ? toApiAnalysis(row) : undefined;
}

function sameTrigger(a: AnalysisTrigger, b: AnalysisTrigger): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A unique index refused the row: the account already has an analysis in that state. */
function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/** Adds the trigger to the account's waiting analysis; undefined when none waits (or it just started). */
async function joinWaiting(db: Db, accountId: string, trigger: AnalysisTrigger): Promise<string | undefined> {
  const waiting = await db.kysely.selectFrom('network_analyses').select(['id', 'triggers', 'trigger_count']).where('account_id', '=', accountId).where('status', '=', 'QUEUED').executeTakeFirst();
  if (!waiting) return undefined;
  const triggers = JSON.parse(waiting.triggers) as AnalysisTrigger[];
  const kept = triggers.some((t) => sameTrigger(t, trigger)) || triggers.length >= KEPT_TRIGGERS ? triggers : [...triggers, trigger];
  // The count is the row's version: a concurrent join or the start of the analysis makes this update miss, and the caller looks again.
  const joined = await db.kysely
    .updateTable('network_analyses')
    .set({ triggers: JSON.stringify(kept), trigger_count: waiting.trigger_count + 1 })
    .where('id', '=', waiting.id)
    .where('status', '=', 'QUEUED')
    .where('trigger_count', '=', waiting.trigger_count)
    .executeTakeFirst();
  return Number(joined.numUpdatedRows) === 1 ? waiting.id : undefined;
}

/**
 * Queues an analysis of the account for this trigger (call it after storing what changed),
 * or joins the one already waiting; returns its id. The analysis starts after the debounce.
 */
export async function queueNetworkAnalysis(db: Db, queue: Pick<JobQueue, 'send'>, accountId: string, trigger: AnalysisTrigger, delayMs = analysisDelayMs()): Promise<string> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const joined = await joinWaiting(db, accountId, trigger);
    if (joined) return joined;
    const id = randomUUID();
    try {
      await db.kysely
        .insertInto('network_analyses')
        .values({ id, account_id: accountId, status: 'QUEUED', triggers: JSON.stringify([trigger]), trigger_count: 1, error: null, summary: null, created_at: Date.now(), started_at: null, finished_at: null })
        .execute();
    } catch (err) {
      // Another request queued one meanwhile: join that.
      if (isUniqueViolation(err)) continue;
      throw err;
    }
    try {
      await queue.send('network-analysis', { analysisId: id } satisfies NetworkAnalysisJob, { startAfter: new Date(Date.now() + delayMs), retryLimit: 0 });
    } catch (err) {
      // Without its job the row would hold the account's waiting slot for good.
      await finish(db, id, 'FAILED', { error: `could not queue the analysis: ${(err as Error).message}` });
      throw err;
    }
    return id;
  }
  throw new Error(`could not queue a network analysis of account ${accountId}: its waiting analysis kept changing`);
}

async function finish(db: Db, id: string, status: 'DONE' | 'FAILED', fields: { error?: string; summary?: AnalysisSummary }): Promise<void> {
  await db.kysely
    .updateTable('network_analyses')
    .set({ status, finished_at: Date.now(), error: fields.error ?? null, summary: fields.summary ? JSON.stringify(fields.summary) : null })
    .where('id', '=', id)
    .where('status', 'in', ['QUEUED', 'RUNNING'])
    .execute();
}

/** Claims a queued analysis; false while another analysis of its account runs. */
async function claim(db: Db, row: Pick<NetworkAnalysesTable, 'id' | 'account_id'>): Promise<boolean> {
  try {
    const claimed = await db.kysely
      .updateTable('network_analyses')
      .set({ status: 'RUNNING', started_at: Date.now() })
      .where('id', '=', row.id)
      .where('status', '=', 'QUEUED')
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('network_analyses as other').select('other.id').where('other.account_id', '=', row.account_id).where('other.status', '=', 'RUNNING'))))
      .executeTakeFirst();
    return Number(claimed.numUpdatedRows) === 1;
  } catch (err) {
    // Two workers claimed two analyses of one account at the same instant: the index let one through.
    if (isUniqueViolation(err)) return false;
    throw err;
  }
}

function summaryOf(u: NetworkUpdate): AnalysisSummary {
  return {
    ...(u.snapshotId ? { snapshotId: u.snapshotId } : {}),
    hosts: u.hosts,
    changedHosts: u.changedHosts.length,
    rescoredHosts: u.rescored?.reevaluated ?? 0,
    rescoredImages: u.rescoreImages.length,
    findings: u.findings,
    exposures: u.exposures,
  };
}

/** What running an analysis needs. */
export interface AnalysisDeps {
  db: Db;
  queue: Pick<JobQueue, 'send'>;
  /** The current engine, for re-scoring (throws when there is no advisory database). */
  engine?: () => ScanEngine;
}

/**
 * The `network-analysis` job: runs the analysis once no other of its account runs (until
 * then it stays QUEUED, taking in triggers, and looks again shortly), and records the
 * outcome. A failure is recorded as FAILED with its error and rethrown.
 */
export async function runNetworkAnalysis(deps: AnalysisDeps, analysisId: string, signal?: AbortSignal): Promise<ApiAnalysis | undefined> {
  const row = await deps.db.kysely.selectFrom('network_analyses').selectAll().where('id', '=', analysisId).executeTakeFirst();
  if (!row) {
    log.warn({ analysisId }, 'network analysis no longer exists; nothing to run');
    return undefined;
  }
  if (row.status === 'DONE' || row.status === 'FAILED') return toApiAnalysis(row);
  // RUNNING is this analysis's own earlier attempt, whose worker died: run it again.
  if (row.status === 'QUEUED' && !(await claim(deps.db, row))) {
    await deps.queue.send('network-analysis', { analysisId } satisfies NetworkAnalysisJob, { startAfter: new Date(Date.now() + BUSY_RETRY_MS), retryLimit: 0 });
    return undefined;
  }
  try {
    const update = await refreshAccountNetwork(deps.db, row.account_id, deps.engine, signal);
    await finish(deps.db, analysisId, 'DONE', { summary: summaryOf(update) });
  } catch (err) {
    await finish(deps.db, analysisId, 'FAILED', { error: err instanceof Error ? err.message : String(err) });
    throw err;
  }
  const done = await deps.db.kysely.selectFrom('network_analyses').selectAll().where('id', '=', analysisId).executeTakeFirstOrThrow();
  return toApiAnalysis(done);
}

/** Records an analysis whose job failed for good without saying so (its worker died). */
export async function failNetworkAnalysis(db: Db, analysisId: string, error: string): Promise<void> {
  await finish(db, analysisId, 'FAILED', { error });
}

/** Deletes analyses created before `before` (epoch ms); one still waiting after that long lost its job. */
export async function pruneNetworkAnalyses(db: Db, before: number): Promise<void> {
  await db.kysely.deleteFrom('network_analyses').where('created_at', '<', before).where('status', '<>', 'RUNNING').execute();
}
