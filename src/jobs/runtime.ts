import { dirname, join, resolve } from 'node:path';
import { homedir } from 'node:os';
import { CompiledQuery } from 'kysely';
import type { Db } from '../db/connect.js';
import { WebhookDispatcher, type DispatcherOptions } from '../events/dispatcher.js';
import { EventPublisher } from '../events/publisher.js';
import { EventRelay } from '../events/relay.js';
import { SubscriptionStore } from '../events/subscriptions.js';
import { scanTarget } from '../inventory/index.js';
import { log } from '../log.js';
import type { ScanEngine } from '../matching/types.js';
import { outboundSettings, type OutboundSettings } from '../net/settings.js';
import { withDeadline } from '../net/deadline.js';
import { SecretBox } from '../registries/secret-box.js';
import { RegistryService } from '../registries/service.js';
import { defaultVulnDbPath } from '../vulndb/paths.js';
import { AdvisoryEngine } from './engine.js';
import { registerHandlers, watchAdvisoryDb } from './handlers.js';
import { sampleOwnLoad } from './own-load.js';
import { useToolLauncher } from '../inventory/tool-launcher.js';
import { SqliteJobQueue } from './sqlite-queue.js';
import type { JobQueue } from './types.js';

/** Settings of continuous scanning (each also readable from the environment, see docs/continuous.md). */
export interface ContinuousOptions {
  db: Db;
  /** `server` works jobs only on SQLite (PostgreSQL leaves them to `vigil worker`); `worker` always works them. */
  role: 'server' | 'worker';
  /** Where the generated secret key lives (default: beside the SQLite file, else ~/.local/share/vigil). */
  dataDir?: string;
  /** AES-256 key (hex or base64) for secrets at rest; default `VIGIL_SECRET_KEY`, else a generated key file. */
  secretKey?: string;
  vulndbPath?: string;
  /** Deliver webhooks to loopback addresses (tests, single-host setups). */
  allowLoopbackWebhooks?: boolean;
  /** The operator's outbound settings (default: from the environment, see src/net/settings.ts). */
  outbound?: OutboundSettings;
  /** Advisory database update interval in minutes (default 360; 0 turns the schedule off). */
  dbUpdateEveryMinutes?: number;
  /** Work jobs in this process (default: see `role`). */
  workJobs?: boolean;
  dispatcher?: DispatcherOptions;
  /** pg-boss: how long before a job whose worker died is retried, and how often that is checked. */
  jobExpireSeconds?: number;
  maintenanceIntervalSeconds?: number;
  /** Called when the advisory database is reopened (the server points its scans at the new engine). */
  onEngine?: (engine: ScanEngine) => void;
}

/** The running pieces of continuous scanning. */
export interface Continuous {
  queue: JobQueue;
  publisher: EventPublisher;
  dispatcher: WebhookDispatcher;
  relay: EventRelay;
  subscriptions: SubscriptionStore;
  registries: RegistryService;
  engine: AdvisoryEngine;
  box: SecretBox;
  stop(): Promise<void>;
}

function envNumber(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`${name}=${v} is not a number`);
  return n;
}

function dataDirOf(db: Db, explicit?: string): string {
  if (explicit) return explicit;
  if (process.env.VIGIL_DATA_DIR) return process.env.VIGIL_DATA_DIR;
  const m = /^(?:sqlite:)?(.+)$/.exec(db.url);
  if (db.dialect === 'sqlite' && m && m[1] !== ':memory:') return dirname(resolve(m[1]));
  return join(process.env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'vigil');
}

/**
 * Logs every stored secret the server key no longer opens (the key changed): the service
 * keeps running; those subscriptions and registries say so in the API until an admin sets
 * their secret again.
 */
async function reportUnreadableSecrets(subscriptions: SubscriptionStore, registries: RegistryService): Promise<void> {
  for (const id of await subscriptions.unreadableSecrets()) {
    log.error({ subscription: id }, 'webhook secret cannot be decrypted with the server key; deliveries wait until it is set again');
  }
  for (const id of await registries.unreadableCredentials()) {
    log.error({ registry: id }, 'registry credentials cannot be decrypted with the server key; syncs and scans fail until they are set again');
  }
}

/**
 * Starts the queue, handlers, schedules, event relay and webhook dispatcher on a service
 * database. SQLite: one in-process queue persisted in the database. PostgreSQL: pg-boss on
 * the same connection pool, shared by every server and worker process.
 */
export async function startContinuous(opts: ContinuousOptions): Promise<Continuous> {
  const db = opts.db;
  const box = SecretBox.load({ explicit: opts.secretKey ?? process.env.VIGIL_SECRET_KEY, keyFile: join(dataDirOf(db, opts.dataDir), 'secret.key') });
  const outbound = opts.outbound ?? outboundSettings();
  const allowLoopback = opts.allowLoopbackWebhooks ?? process.env.VIGIL_WEBHOOK_ALLOW_LOOPBACK === '1';
  const policy = { allowLoopback, allowed: outbound.allowed };
  const subscriptions = new SubscriptionStore(db.kysely, box, policy);
  const publisher = new EventPublisher(db.kysely, subscriptions);
  const baseDelayMs = envNumber('VIGIL_WEBHOOK_BASE_DELAY_MS');
  const dispatcher = new WebhookDispatcher(db.kysely, subscriptions, publisher, {
    ...(baseDelayMs !== undefined ? { baseDelayMs, maxDelayMs: Math.max(baseDelayMs * 8, baseDelayMs) } : {}),
    ...opts.dispatcher,
    policy: { ...policy, ...opts.dispatcher?.policy },
  });
  const relay = new EventRelay(db.kysely, publisher, { pollMs: 1000 });
  const engine = new AdvisoryEngine(resolve(opts.vulndbPath ?? defaultVulnDbPath()));
  // Re-evaluations ask whether cores are idle for a matching worker, less the load this process made.
  sampleOwnLoad();
  // Image scans start their inflater tools through a small helper: forking this long-lived process costs more.
  useToolLauncher();
  if (opts.onEngine) engine.onReload(opts.onEngine);

  let queue: JobQueue;
  if (db.dialect === 'postgres') {
    const kysely = db.kysely;
    // Loaded only for PostgreSQL: pg-boss and its dependencies are a fifth of the server's code.
    const { PgBossJobQueue } = await import('./pgboss-queue.js');
    queue = new PgBossJobQueue({
      db: { executeSql: async (text: string, values: unknown[] = []) => ({ rows: (await kysely.executeQuery(CompiledQuery.raw(text, values))).rows as unknown[] }) },
      expireInSeconds: opts.jobExpireSeconds ?? envNumber('VIGIL_JOB_EXPIRE_SECONDS') ?? 900,
      maintenanceIntervalSeconds: opts.maintenanceIntervalSeconds ?? envNumber('VIGIL_JOB_MAINTENANCE_SECONDS') ?? 60,
      pollingIntervalSeconds: 0.5,
    });
  } else {
    queue = new SqliteJobQueue(db.kysely, { expireInSeconds: opts.jobExpireSeconds ?? envNumber('VIGIL_JOB_EXPIRE_SECONDS') ?? 900 });
  }
  const registries = new RegistryService(
    db.kysely,
    box,
    (req) => queue.send('scan-image', req, { singletonKey: `${req.accountId}:${req.reference}`, expireInSeconds: opts.jobExpireSeconds ?? envNumber('VIGIL_JOB_EXPIRE_SECONDS') }),
    outbound,
  );
  await reportUnreadableSecrets(subscriptions, registries);
  registerHandlers(queue, {
    db,
    queue,
    engine: () => engine.current(),
    vulndbPath: engine.path,
    pullImage: async (req, signal) => {
      const registry = await registries.pullOptions(req.registryId);
      if (!registry) throw new Error(`${req.reference}: registry ${req.registryId} no longer exists; not pulled`);
      return withDeadline(outbound.jobPullTimeoutMs, signal, (s) => scanTarget(`registry:${req.reference}`, { registry, signal: s }));
    },
    registries,
    relay,
    publisher,
  });
  watchAdvisoryDb(engine, queue);
  const work = opts.workJobs ?? (opts.role === 'worker' || db.dialect === 'sqlite');
  await queue.start({ work });
  const dbEvery = opts.dbUpdateEveryMinutes ?? envNumber('VIGIL_DB_UPDATE_EVERY_MINUTES') ?? 360;
  if (dbEvery > 0) await queue.schedule('db-update', { everyMinutes: dbEvery });
  await queue.schedule('catalog-sync', { everyMinutes: 5 });
  await queue.schedule('coverage-sweep', { everyMinutes: 60 });
  await queue.schedule('retention-sweep', { everyMinutes: 1440 });
  if (process.env.VIGIL_NETWORK_SNAPSHOT_DIR) await queue.schedule('network-import', { everyMinutes: envNumber('VIGIL_NETWORK_IMPORT_EVERY_MINUTES') ?? 15 });
  await queue.schedule('sla-sweep', { everyMinutes: 60 });
  relay.start();
  dispatcher.start();
  try {
    engine.current();
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'no advisory database yet');
  }
  // Notice database files replaced by `vigil db update` even when no job runs.
  const watch = setInterval(() => {
    try {
      engine.current();
    } catch {
      // No database yet: scans say so when they run.
    }
  }, envNumber('VIGIL_VULNDB_WATCH_MS') ?? 30_000);
  watch.unref();
  log.info({ backend: queue.backend, role: opts.role, work }, 'continuous scanning started');
  return {
    queue,
    publisher,
    dispatcher,
    relay,
    subscriptions,
    registries,
    engine,
    box,
    async stop() {
      clearInterval(watch);
      await queue.stop({ timeoutMs: 5000 });
      await relay.stop();
      await dispatcher.stop();
      engine.close();
    },
  };
}
