import { availableParallelism } from 'node:os';
import { chunks } from '../db/batches.js';
import type { Db } from '../db/connect.js';
import type { EventPublisher } from '../events/publisher.js';
import type { EventRelay } from '../events/relay.js';
import { resourcesHoldingKeys } from '../findings/inventories.js';
import { recordFailedScan, recordReevaluations, recordScanInSteps, sweepClosedFindings, type ReevaluationInput } from '../findings/lifecycle.js';
import type { ResourceInput } from '../findings/resources.js';
import { getSettings } from '../findings/settings.js';
import { slaClock } from '../findings/sla.js';
import { sweepSlaBreaches } from '../findings/sla-breaches.js';
import { failSubmission, pruneSubmissions, runSubmission } from '../findings/submissions.js';
import { expireRules } from '../findings/suppression.js';
import type { Inventory } from '../inventory/types.js';
import { sql, type Kysely } from 'kysely';
import type { EventsDatabase } from '../events/schema.js';
import type { AnyKysely } from './kysely.js';
import type { JobsDatabase } from './schema.js';
import { log } from '../log.js';
import { reachabilityContexts, scanContextFor } from '../network/server/context.js';
import { failNetworkAnalysis, pruneNetworkAnalyses, queueNetworkAnalysis, runNetworkAnalysis, type NetworkAnalysisJob } from '../network/server/analyses.js';
import { importSnapshotDirectories } from '../network/server/service.js';
import { scanWith } from '../matching/engine.js';
import type { ScanEngine } from '../matching/types.js';
import type { ImageScanRequest, RegistryService } from '../registries/service.js';
import type { ChangedPackage } from '../vulndb/types.js';
import { changesSince, updateVulnDb } from '../vulndb/update.js';
import type { AdvisoryEngine } from './engine.js';
import { othersLoad } from './own-load.js';
import { MatchThread } from './match-thread.js';
import { matchStored, type StoredInventory } from './stored-match.js';
import type { JobQueue } from './types.js';

/** Payload of `ingest-inventory`: a stored scan submission (src/findings/submissions.ts). */
export interface IngestInventoryJob {
  scanId: string;
}

/** Payload of `reevaluate`: changed packages (from a database update) and/or resources. */
export interface ReevaluateJob {
  changed?: ChangedPackage[];
  resourceIds?: string[];
  reason?: string;
}

/** Payload of `db-update`. */
export interface DbUpdateJob {
  /** `KIND=URL|PATH` sources; default the ones the database remembers. */
  sources?: string[];
}

/** Payload of `catalog-sync`: one registry, or every registry whose sync is due. */
export interface CatalogSyncJob {
  registryId?: string;
}

/** Payload of `network-import`: the directory of per-account snapshot directories (default `VIGIL_NETWORK_SNAPSHOT_DIR`). */
export interface NetworkImportJob {
  dir?: string;
}

/** What the job handlers use. */
export interface HandlerDeps {
  db: Db;
  queue: JobQueue;
  /** The current engine (throws when there is no advisory database). */
  engine: () => ScanEngine;
  /** Path of the advisory database, for `db-update`. */
  vulndbPath: string;
  /** Pulls and inventories a registry image. */
  pullImage: (req: ImageScanRequest, signal: AbortSignal) => Promise<Inventory>;
  registries: RegistryService;
  relay: EventRelay;
  publisher: EventPublisher;
}

/** Statistics of one re-evaluation. */
export interface ReevaluationStats {
  candidates: number;
  reevaluated: number;
  skipped: number;
  created: number;
  updated: number;
  closed: number;
  /** Time spent finding the affected resources, matching, and storing results (ms). */
  lookupMs: number;
  /** With a worker, the time this thread spent reading inventories, waiting for their matches and matching those it took itself. */
  matchMs: number;
  storeMs: number;
  /** Whether a worker thread matched the inventories. */
  worker: boolean;
  /** Inventories this thread matched itself while a worker ran, rather than wait for it. */
  matchedHere: number;
}

function imageResource(req: ImageScanRequest): ResourceInput {
  return {
    type: 'CONTAINER_IMAGE',
    image: { registry: req.registry, repository: req.repository, digest: req.digest, tags: req.tags },
    ...(Object.keys(req.resourceTags).length > 0 ? { tags: req.resourceTags } : {}),
  };
}

/** Inventories read and matched at a time: bounds the memory parsed inventories take. */
const MATCH_BATCH = 250;
/**
 * Re-evaluated resources stored per transaction: larger transactions write each touched
 * index page once for more findings, while one transaction still holds the SQLite write
 * lock only for a second or two.
 */
const STORE_BATCH = 1000;
/**
 * Transactions open at once on PostgreSQL: one the server stores while this thread prepares the
 * next (two server processes and this thread on two cores; more would only wait).
 */
const TRANSACTIONS_AT_ONCE_ON_POSTGRES = 2;
/** Findings of pending results that start a transaction before STORE_BATCH resources are reached. */
const STORE_FINDINGS = 50_000;
/**
 * Candidates from which inventories are matched in a worker thread while this one stores, when
 * cores are idle for it. Overlapping saves up to the smaller of matching (≈ 0.9 ms per inventory
 * with the engine's caches warm) and storing (≈ 1.3 ms); the worker costs its start (≈ 0.35 s
 * from the CLI bundle, 1.5–2 s from the TypeScript sources through tsx) and starts with cold
 * caches where this thread's are warm from earlier jobs.
 */
const WORKER_FROM = 1000;
/**
 * Cores that must be idle for the worker: the job thread's, the worker's, and one for the
 * collectors' helper threads and the SQLite checkpointer.
 */
const WORKER_IDLE_CORES = 3;

/**
 * Whether a re-evaluation of `candidates` resources matches in a worker thread: from the
 * option's count, else `VIGIL_MATCH_WORKER_FROM`'s (a number, or `off`), else from
 * {@link WORKER_FROM} when {@link WORKER_IDLE_CORES} cores are idle. The worker takes matching
 * off this thread but adds to the process's CPU time (two heaps, results cloned across, its
 * own cold caches) and slows this thread's storing where they share too few cores: on an idle
 * 2-core machine 10,000 inventories took 22.8–24.8 s with it against 20.8–21.2 s without
 * (docs/continuous.md), so there it stays off. The 1-minute load average less this process's
 * own share of it ({@link othersLoad}) tells how many cores are idle: the process's own
 * earlier work (storing the reports that led to this job) leaves its cores to it.
 */
function matchInWorker(candidates: number, option: number | undefined): boolean {
  const env = process.env.VIGIL_MATCH_WORKER_FROM?.trim();
  const from = option ?? (env === 'off' ? Infinity : env && !Number.isNaN(Number(env)) ? Number(env) : undefined);
  if (from !== undefined) return candidates >= from;
  return candidates >= WORKER_FROM && availableParallelism() - othersLoad() >= WORKER_IDLE_CORES;
}

/** Batch sizes of {@link reevaluate}, for tests that need many batches from few resources; the defaults otherwise. */
export interface ReevaluationBatches {
  /** Inventories read and matched at a time (default {@link MATCH_BATCH}). */
  match?: number;
  /** Resources stored per transaction (default {@link STORE_BATCH}). */
  store?: number;
  /** Candidates from which matching runs in a worker thread, whatever the load (default: see {@link matchInWorker}; `Infinity`: never). */
  workerFrom?: number;
}

/** A worker matching against the engine's file, or none (matching stays on this thread) when it cannot start. */
async function startMatchThread(engine: ScanEngine, signal?: AbortSignal): Promise<MatchThread | undefined> {
  if (!engine.source) return undefined;
  try {
    return await MatchThread.start(engine.source, signal);
  } catch (err) {
    signal?.throwIfAborted();
    log.warn({ err, path: engine.source.path }, 'matching worker did not start; matching on the job thread');
    return undefined;
  }
}

/**
 * Re-matches resources from their stored inventories (no image pulled, no host asked): the
 * ones holding a changed package, plus any named. A resource found through changed packages
 * has only those packages matched again, and only their findings created, updated or closed:
 * a finding depends on its own package's advisories alone, and the change log names every
 * package whose advisories changed. Named resources are matched whole. Images outside their
 * rescan window and resources excluded by tag are left alone. Inventories are read and
 * matched in batches, and results stored in transactions of many resources with a bounded
 * number of statements each. With many candidates and idle cores ({@link matchInWorker}), a
 * worker thread matches the next batches while this thread stores the results of earlier ones.
 */
export async function reevaluate(deps: Pick<HandlerDeps, 'db' | 'engine'>, job: ReevaluateJob, signal?: AbortSignal, batches: ReevaluationBatches = {}): Promise<ReevaluationStats> {
  const matchBatch = batches.match ?? MATCH_BATCH;
  const storeBatch = batches.store ?? STORE_BATCH;
  const t0 = performance.now();
  const named = new Set<string>(job.resourceIds ?? []);
  const scoped = job.changed && job.changed.length > 0 ? await resourcesHoldingKeys(deps.db, job.changed) : new Map<string, Set<string>>();
  for (const id of named) scoped.delete(id);
  const ids = [...new Set([...named, ...scoped.keys()])].sort();
  const stats: ReevaluationStats = { candidates: ids.length, reevaluated: 0, skipped: 0, created: 0, updated: 0, closed: 0, lookupMs: performance.now() - t0, matchMs: 0, storeMs: 0, worker: false, matchedHere: 0 };
  if (ids.length === 0) return stats;
  const settings = await getSettings(deps.db);
  const engine = deps.engine();
  let pending: ReevaluationInput[] = [];
  let pendingFindings = 0;
  // On PostgreSQL a transaction is stored while the next is prepared and sent on another
  // connection: the server's work and this thread's overlap instead of alternating. SQLite has
  // one writer.
  const openTransactions = new Set<Promise<void>>();
  const transactionsAtOnce = deps.db.dialect === 'postgres' ? TRANSACTIONS_AT_ONCE_ON_POSTGRES : 1;
  let storeFailure: { error: unknown } | undefined;
  /** A failed transaction fails the job (the first one's error). */
  const throwIfStoreFailed = () => {
    if (storeFailure) throw storeFailure.error;
  };
  /** Stores what waits once fewer than `transactionsAtOnce` transactions are open; the time this thread waits counts as storing. */
  const store = async () => {
    const inputs = pending;
    pending = [];
    pendingFindings = 0;
    const t = performance.now();
    while (openTransactions.size >= transactionsAtOnce) await Promise.race(openTransactions);
    throwIfStoreFailed();
    const settled: Promise<void> = recordReevaluations(deps.db, inputs)
      .then(
        ({ records, stale }) => {
          stats.reevaluated += records.length;
          stats.skipped += stale.length;
          for (const rec of records) {
            stats.created += rec.summary.created + rec.summary.reopened;
            stats.updated += rec.summary.updated;
            stats.closed += rec.summary.closed;
          }
        },
        (error: unknown) => {
          storeFailure ??= { error };
        },
      )
      .finally(() => openTransactions.delete(settled));
    openTransactions.add(settled);
    if (transactionsAtOnce === 1) await settled;
    stats.storeMs += performance.now() - t;
    throwIfStoreFailed();
  };
  // SQLite's inventories are read as their UTF-8 bytes: a buffer outside this thread's heap,
  // handed to the matching worker without a copy (as text, 77 KB strings were copied by this
  // thread's garbage collector and again into each message). PostgreSQL's stay text: as bytes
  // they come hex-encoded, twice the size, and took twice as long to read.
  const storedInventory = deps.db.dialect === 'sqlite' ? sql<Uint8Array | string | null>`CAST(i.inventory AS BLOB)` : sql<Uint8Array | string | null>`i.inventory`;
  /** The stored inventories of a batch of resources, without those left alone. */
  const read = async (batch: string[]): Promise<StoredInventory[]> => {
    const rows = await deps.db.kysely
      .selectFrom('resources as r')
      .leftJoin('inventories as i', (join) => join.onRef('i.resource_id', '=', 'r.id').onRef('i.version', '=', 'r.inventory_version'))
      .select(['r.id', 'r.tags', 'r.last_scan_status', 'r.inventory_version', storedInventory.as('inventory')])
      .where('r.id', 'in', batch)
      .execute();
    stats.skipped += batch.length - rows.length;
    // Hosts a topology snapshot describes are scored with their computed reachability.
    const contexts = await reachabilityContexts(deps.db, rows.map((r) => r.id));
    const stored: StoredInventory[] = [];
    for (const row of rows) {
      const tags = JSON.parse(row.tags) as Record<string, string>;
      if (row.last_scan_status === 'SCAN_ELIGIBILITY_EXPIRED' || tags[settings.excludeTag] === 'true' || row.inventory === null) {
        stats.skipped++;
        continue;
      }
      const keys = scoped.get(row.id);
      stored.push({ resourceId: row.id, inventoryVersion: row.inventory_version, inventory: row.inventory, context: contexts.get(row.id) ?? {}, ...(keys ? { keys } : {}) });
    }
    return stored;
  };
  const thread = matchInWorker(ids.length, batches.workerFrom) ? await startMatchThread(engine, signal) : undefined;
  stats.worker = thread !== undefined;
  const matchHere = async (items: StoredInventory[]) => items.map((item) => matchStored(engine, item));
  const match = thread ? (items: StoredInventory[]) => thread.match(items) : matchHere;
  const batchList = [...chunks(ids, matchBatch)];
  // Batches handed to matching and not yet taken back, oldest first, each marked done once its
  // results (or failure) came. The worker is handed up to a transaction's worth ahead, so that
  // it matches them while this thread stores; matching here takes one batch at a time.
  const ahead: { count: number; results: Promise<ReevaluationInput[]>; done: boolean }[] = [];
  let aheadCount = 0;
  let next = 0;
  /** Queues a batch's results for storing, storing a transaction's worth whenever there is one. */
  const take = async (inputs: ReevaluationInput[]) => {
    for (const input of inputs) {
      pending.push(input);
      pendingFindings += input.result.findings.length;
      // Results wait for a transaction of STORE_BATCH resources, or fewer when they hold many
      // findings (whole images re-matched), so memory stays bounded.
      if (pending.length >= storeBatch || pendingFindings >= STORE_FINDINGS) await store();
    }
  };
  try {
    while (next < batchList.length || ahead.length > 0) {
      signal?.throwIfAborted();
      const t1 = performance.now();
      while (next < batchList.length && (ahead.length === 0 || (thread && aheadCount < storeBatch))) {
        const items = await read(batchList[next++]!);
        const entry = { count: items.length, results: match(items), done: false };
        // Taken in turn below; until then a failure must not count as unhandled.
        entry.results.then(
          () => (entry.done = true),
          () => (entry.done = true),
        );
        ahead.push(entry);
        aheadCount += items.length;
      }
      // With a worker, results are taken as they come, oldest first; when none is ready and
      // batches are left, this thread matches the next one itself rather than wait: storing
      // here and matching there seldom take the same time (the worker starts cold, and storing
      // a transaction takes seconds), and two threads kept busy share the work of two cores.
      const storing = stats.storeMs;
      // The worker's answers are messages: they mark their batches done only once this
      // thread's event loop runs, which storing and matching here (synchronous SQLite, CPU
      // work) never let it do.
      if (thread) await new Promise((resolve) => setImmediate(resolve));
      let index = ahead.findIndex((a) => a.done);
      if (index < 0 && thread && next < batchList.length) {
        const items = await read(batchList[next++]!);
        stats.matchedHere += items.length;
        await take(await matchHere(items));
      } else {
        // Nothing is left to match here: what waits is stored while the worker finishes.
        if (index < 0 && thread && pending.length > 0) {
          await store();
          index = ahead.findIndex((a) => a.done);
        }
        if (index < 0) {
          await Promise.race(ahead.map((a) => a.results.catch(() => undefined)));
          index = Math.max(0, ahead.findIndex((a) => a.done));
        }
        const [{ count, results }] = ahead.splice(index, 1);
        aheadCount -= count;
        await take(await results);
      }
      // Matching (or waiting for the worker's) is the loop's time but storing's.
      stats.matchMs += performance.now() - t1 - (stats.storeMs - storing);
    }
    if (pending.length > 0) await store();
  } finally {
    await thread?.close();
    // Whatever ended the job, no transaction is left running after it.
    const t = performance.now();
    await Promise.all(openTransactions);
    stats.storeMs += performance.now() - t;
  }
  throwIfStoreFailed();
  return stats;
}

/**
 * Re-evaluates stored inventories whenever the advisory database file is replaced (by the
 * `db-update` job or by `vigil db update`): the change log since the replaced file was
 * written names the packages to re-match.
 */
export function watchAdvisoryDb(engine: AdvisoryEngine, queue: JobQueue): void {
  engine.onReload((_engine, previousMtime) => {
    if (previousMtime === undefined) return;
    // A second early: change stamps and file times are not taken at the same instant.
    const changed = changesSince(engine.path, new Date(previousMtime - 1000));
    if (changed.length === 0) return;
    void queue
      .send('reevaluate', { changed, reason: 'advisory database updated' } satisfies ReevaluateJob, { singletonKey: `db:${previousMtime}` })
      .catch((err: unknown) => log.error({ err }, 'queueing re-evaluation failed'));
  });
}

/** Registers every job handler and the final-failure handling on the queue. */
export function registerHandlers(queue: JobQueue, deps: HandlerDeps): void {
  queue.register<ImageScanRequest>(
    'scan-image',
    async (job) => {
      const req = job.data;
      if (await deps.registries.isExpired(req.registryId, req.repository, req.digest)) {
        log.info({ reference: req.reference }, 'image outside its rescan window; scan skipped');
        return;
      }
      const engine = deps.engine();
      const inventory = await deps.pullImage(req, job.signal);
      job.signal.throwIfAborted();
      // An image running on a recorded host is scored with that host's reachability.
      const context = await scanContextFor(deps.db, req.accountId, imageResource(req), {});
      const result = await scanWith(engine, inventory, context, job.signal);
      const rec = await recordScanInSteps(deps.db, { accountId: req.accountId, resource: imageResource(req), inventory, result, trigger: 'PULLED' }, { signal: job.signal });
      log.info({ reference: req.reference, scan: rec.scanId, findings: result.findings.length }, 'image scanned');
      deps.relay.wake();
    },
    { concurrency: 2 },
  );

  queue.register<IngestInventoryJob>('ingest-inventory', async (job) => {
    const rec = await runSubmission(deps.db, deps.engine(), job.data.scanId, job.signal);
    if (rec) log.info({ scan: rec.scanId, resource: rec.resource.id, summary: rec.summary }, 'submitted inventory scanned');
    deps.relay.wake();
  });

  queue.register<ReevaluateJob>('reevaluate', async (job) => {
    const stats = await reevaluate(deps, job.data, job.signal);
    log.info({ ...stats, reason: job.data.reason }, 're-evaluation done');
    deps.relay.wake();
  });

  queue.register<DbUpdateJob>('db-update', async (job) => {
    // A second early, so changes stamped during this update are not missed by clock rounding.
    const since = new Date(Date.now() - 1000);
    const result = await updateVulnDb({ dbPath: deps.vulndbPath, ...(job.data.sources?.length ? { sources: job.data.sources } : {}), signal: job.signal });
    log.info({ updateId: result.updateId, failed: result.failed, changed: changesSince(deps.vulndbPath, since).length }, 'advisory database updated');
    // Reopening the swapped file queues the re-evaluation (see watchAdvisoryDb), as for updates made by `vigil db update`.
    deps.engine();
  });

  queue.register<CatalogSyncJob>('catalog-sync', async (job) => {
    const ids = job.data.registryId ? [job.data.registryId] : await deps.registries.dueForSync();
    for (const id of ids) {
      const r = await deps.registries.sync(id, job.signal);
      log.info({ registry: id, ...r }, 'registry catalog synced');
    }
  });

  queue.register('coverage-sweep', async () => {
    for (const change of await deps.registries.sweepWindows()) {
      const row = await deps.db.kysely
        .selectFrom('resources')
        .selectAll()
        .where('account_id', '=', change.accountId)
        .where('type', '=', 'CONTAINER_IMAGE')
        .where('name', '=', change.reference)
        .executeTakeFirst();
      if (!row) continue;
      if (change.eligible) {
        await deps.queue.send('reevaluate', { resourceIds: [row.id], reason: 'back inside its rescan window' } satisfies ReevaluateJob);
        continue;
      }
      await deps.db.kysely.updateTable('resources').set({ last_scan_status: 'SCAN_ELIGIBILITY_EXPIRED', updated_at: Date.now() }).where('id', '=', row.id).execute();
      await deps.publisher.publish([
        {
          type: 'vigil.coverage.changed',
          accountId: row.account_id,
          subject: row.id,
          resource: { id: row.id, type: row.type, name: row.name, tags: JSON.parse(row.tags) as Record<string, string> },
          data: { status: 'INACTIVE', reason: 'SCAN_ELIGIBILITY_EXPIRED', previous: { status: 'ACTIVE', reason: row.last_scan_status ?? 'SUCCESSFUL' }, at: new Date().toISOString().slice(0, 10) },
        },
      ]);
    }
    await expireRules(deps.db);
    deps.relay.wake();
  });

  queue.register('retention-sweep', async () => {
    const settings = await getSettings(deps.db);
    const deleted = await sweepClosedFindings(deps.db, { retentionDays: settings.closedRetentionDays });
    await pruneContinuousTables(deps.db.kysely, Date.now());
    await pruneSubmissions(deps.db, Date.now() - 7 * 86_400_000);
    await pruneNetworkAnalyses(deps.db, Date.now() - 7 * 86_400_000);
    log.info({ deleted }, 'retention sweep done');
  });

  queue.register<NetworkImportJob>('network-import', async (job) => {
    const dir = job.data.dir ?? process.env.VIGIL_NETWORK_SNAPSHOT_DIR;
    if (!dir) return;
    const r = await importSnapshotDirectories(deps.db, dir, (s) => queueNetworkAnalysis(deps.db, deps.queue, s.account_id, { kind: 'snapshot', snapshotId: s.id, source: s.source }), job.signal);
    log.info({ dir, imported: r.imported.length, unchanged: r.unchanged.length, failed: r.failed.length }, 'network snapshots imported');
  });

  queue.register<NetworkAnalysisJob>(
    'network-analysis',
    async (job) => {
      const done = await runNetworkAnalysis(deps, job.data.analysisId, job.signal);
      if (!done) return;
      log.info({ analysisId: done.analysisId, accountId: done.accountId, triggers: done.triggerCount, ...done.summary }, 'network analysis done');
      deps.relay.wake();
    },
    // Analyses of different accounts run side by side; those of one account wait for each other.
    { concurrency: 2 },
  );

  queue.register('sla-sweep', async (job) => {
    const announced = await sweepSlaBreaches(deps.db, deps.publisher, await slaClock(deps.db), job.signal);
    if (announced > 0) deps.relay.wake();
    log.info({ announced }, 'SLA breach sweep done');
  });

  queue.onFinalFailure(async (job, error) => {
    if (job.name === 'scan-image') {
      const req = job.data as ImageScanRequest;
      await recordFailedScan(deps.db, { accountId: req.accountId, resource: imageResource(req), trigger: 'PULLED', error: error.message });
      deps.relay.wake();
    } else if (job.name === 'ingest-inventory') {
      await failSubmission(deps.db, (job.data as IngestInventoryJob).scanId, error.message);
      deps.relay.wake();
    } else if (job.name === 'network-analysis') {
      // Usually recorded already by the analysis itself; not when its worker died.
      await failNetworkAnalysis(deps.db, (job.data as NetworkAnalysisJob).analysisId, error.message);
    } else {
      log.error({ job: job.name, id: job.id, err: error.message }, 'job failed for good');
    }
  });
}

/** Deletes delivered webhooks and events older than 30 days and finished SQLite jobs older than 7. */
export async function pruneContinuousTables(db: AnyKysely, now: number): Promise<void> {
  const kysely = db as Kysely<EventsDatabase & JobsDatabase>;
  const month = now - 30 * 86_400_000;
  const week = new Date(now - 7 * 86_400_000).toISOString();
  await kysely.deleteFrom('webhook_delivery_attempts').where('delivery_id', 'in', (eb) => eb.selectFrom('webhook_deliveries').select('id').where('status', '=', 'DELIVERED').where('created_at', '<', month)).execute();
  await kysely.deleteFrom('webhook_deliveries').where('status', '=', 'DELIVERED').where('created_at', '<', month).execute();
  await kysely
    .deleteFrom('vigil_events')
    .where('time', '<', month)
    .where('id', 'not in', (eb) => eb.selectFrom('webhook_deliveries').select('event_id'))
    .execute();
  await kysely.deleteFrom('vigil_jobs').where('state', 'in', ['completed', 'failed', 'cancelled']).where('completed_at', '<', week).execute();
}
