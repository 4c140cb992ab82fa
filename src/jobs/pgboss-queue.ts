import { randomUUID } from 'node:crypto';
import PgBoss from 'pg-boss';
import { log } from '../log.js';
import {
  defaultRetry,
  jobNames,
  type FinalFailureListener,
  type Job,
  type JobHandler,
  type JobName,
  type JobQueue,
  type JobRecord,
  type ScheduleSpec,
  type SendOptions,
} from './types.js';

/** Options of the PostgreSQL queue. */
export interface PgBossQueueOptions {
  /** Where pg-boss connects: its own pool from a URL, or an existing pool (`executeSql`). */
  connectionString?: string;
  db?: PgBoss.Db;
  /** PostgreSQL schema pg-boss keeps its tables in. Default `pgboss`. */
  schema?: string;
  /** How often idle workers poll (s, at least 0.5). Default 1. */
  pollingIntervalSeconds?: number;
  /** How often pg-boss expires jobs of dead workers and fires schedules (s). Default 60. */
  maintenanceIntervalSeconds?: number;
  /** Default expiry of a running job (s): a job whose worker died is retried after this. Default 900. */
  expireInSeconds?: number;
}

/** Suffix of the dead-letter queue a job name's failed-for-good jobs move to. */
const deadLetterSuffix = '__failed';
/** Field carrying the job's own id inside its payload, so the dead-letter copy can find it. */
const idField = '__vigilJobId';

/** Turns an interval into the cron expression pg-boss schedules with. */
export function cronFor(name: string, everyMinutes: number): string {
  if (Number.isInteger(everyMinutes) && everyMinutes > 0 && everyMinutes < 60 && 60 % everyMinutes === 0) {
    return everyMinutes === 1 ? '* * * * *' : `*/${everyMinutes} * * * *`;
  }
  const hours = everyMinutes / 60;
  if (Number.isInteger(hours) && hours > 0 && hours <= 24 && 24 % hours === 0) {
    return hours === 24 ? '0 0 * * *' : `0 */${hours} * * *`;
  }
  throw new Error(
    `schedule for ${name}: every ${everyMinutes} minutes cannot be expressed as a cron interval (use a divisor of 60 minutes or of 24 hours)`,
  );
}

/**
 * The distributed queue: pg-boss on PostgreSQL. Any number of `vigil worker` processes
 * share it; a job whose worker is killed is failed by pg-boss's maintenance after its expiry
 * and retried. Jobs that fail for good land in a dead-letter queue per job name, whose
 * worker tells the final-failure listeners (once, whichever process picks it up).
 */
export class PgBossJobQueue implements JobQueue {
  readonly backend = 'pg-boss' as const;
  private readonly boss: PgBoss;
  private readonly handlers = new Map<JobName, { handler: JobHandler<unknown>; concurrency: number }>();
  private readonly failureListeners: FinalFailureListener[] = [];
  private readonly pollingIntervalSeconds: number;
  private readonly expireInSeconds: number;
  private readonly aborts = new Set<AbortController>();
  private started = false;

  constructor(opts: PgBossQueueOptions) {
    this.pollingIntervalSeconds = opts.pollingIntervalSeconds ?? 1;
    this.expireInSeconds = opts.expireInSeconds ?? 900;
    this.boss = new PgBoss({
      ...(opts.db ? { db: opts.db } : { connectionString: opts.connectionString }),
      schema: opts.schema ?? 'pgboss',
      maintenanceIntervalSeconds: opts.maintenanceIntervalSeconds ?? 60,
      application_name: 'vigil',
    });
    this.boss.on('error', (err: Error) => log.error({ err: err.message }, 'pg-boss error'));
  }

  register<T>(name: JobName, handler: JobHandler<T>, opts: { concurrency?: number } = {}): void {
    this.handlers.set(name, { handler: handler as JobHandler<unknown>, concurrency: opts.concurrency ?? 1 });
  }

  onFinalFailure(listener: FinalFailureListener): void {
    this.failureListeners.push(listener);
  }

  async send<T extends object>(name: JobName, data: T, opts: SendOptions = {}): Promise<string | null> {
    await this.ensureStarted();
    const id = randomUUID();
    const options: PgBoss.SendOptions = {
      id,
      retryLimit: opts.retryLimit ?? defaultRetry.retryLimit,
      retryDelay: Math.max(1, Math.round(opts.retryDelaySeconds ?? defaultRetry.retryDelaySeconds)),
      retryBackoff: opts.retryBackoff ?? defaultRetry.retryBackoff,
      expireInSeconds: opts.expireInSeconds ?? this.expireInSeconds,
      deadLetter: name + deadLetterSuffix,
      ...(opts.startAfter ? { startAfter: opts.startAfter } : {}),
    };
    if (opts.singletonKey !== undefined) {
      // pg-boss enforces singleton keys only on singleton-policy queues; check open jobs ourselves.
      const open = await this.boss.getDb().executeSql(
        `SELECT 1 FROM ${this.schema()}.job WHERE name = $1 AND singleton_key = $2 AND state < 'completed' LIMIT 1`,
        [name, opts.singletonKey],
      );
      if (open.rows.length > 0) return null;
      options.singletonKey = opts.singletonKey;
    }
    return this.boss.send(name, { ...data, [idField]: id }, options);
  }

  async schedule(name: JobName, spec: ScheduleSpec): Promise<void> {
    await this.ensureStarted();
    await this.boss.schedule(name, cronFor(name, spec.everyMinutes), spec.data ?? {}, {
      tz: 'UTC',
      deadLetter: name + deadLetterSuffix,
      retryLimit: defaultRetry.retryLimit,
      retryDelay: defaultRetry.retryDelaySeconds,
      retryBackoff: true,
    });
  }

  async start(opts: { work?: boolean } = {}): Promise<void> {
    await this.ensureStarted();
    if (opts.work === false) return;
    for (const [name, reg] of this.handlers) {
      for (let i = 0; i < reg.concurrency; i++) {
        await this.boss.work<Record<string, unknown>>(
          name,
          { includeMetadata: true, batchSize: 1, pollingIntervalSeconds: this.pollingIntervalSeconds },
          async ([job]) => this.runOne(name, reg.handler, job),
        );
      }
      await this.boss.work<Record<string, unknown>>(
        name + deadLetterSuffix,
        { includeMetadata: true, batchSize: 1, pollingIntervalSeconds: this.pollingIntervalSeconds },
        async ([dead]) => this.finalFailure(name, dead),
      );
    }
  }

  async stop(opts: { timeoutMs?: number } = {}): Promise<void> {
    if (!this.started) return;
    this.started = false;
    const timer = setTimeout(() => {
      for (const a of this.aborts) a.abort(new Error('queue stopped'));
    }, opts.timeoutMs ?? 10_000);
    await this.boss.stop({ graceful: true, wait: true, timeout: opts.timeoutMs ?? 10_000 });
    clearTimeout(timer);
  }

  async get(id: string): Promise<JobRecord | undefined> {
    await this.ensureStarted();
    const res = await this.boss.getDb().executeSql(
      `SELECT id, name, state, data, retry_count, retry_limit, output, created_on, completed_on FROM ${this.schema()}.job WHERE id = $1
       UNION ALL SELECT id, name, state, data, retry_count, retry_limit, output, created_on, completed_on FROM ${this.schema()}.archive WHERE id = $1`,
      [id],
    );
    const row = res.rows[0] as
      | { id: string; name: string; state: string; data: Record<string, unknown>; retry_count: number; retry_limit: number; output: { message?: string } | null; created_on: Date; completed_on: Date | null }
      | undefined;
    if (!row) return undefined;
    const { [idField]: _omit, ...data } = row.data ?? {};
    return {
      id: row.id,
      name: row.name as JobName,
      state: row.state as JobRecord['state'],
      data,
      retryCount: row.retry_count,
      retryLimit: row.retry_limit,
      ...(row.state === 'failed' && row.output?.message ? { lastError: row.output.message } : {}),
      createdAt: row.created_on.toISOString(),
      ...(row.completed_on ? { completedAt: row.completed_on.toISOString() } : {}),
    };
  }

  private schema(): string {
    return (this.boss as unknown as { config?: { schema?: string } }).config?.schema ?? 'pgboss';
  }

  private async ensureStarted(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.boss.start();
    for (const name of jobNames) {
      await this.boss.createQueue(name + deadLetterSuffix);
      await this.boss.createQueue(name, { name, deadLetter: name + deadLetterSuffix });
    }
  }

  private async runOne(name: JobName, handler: JobHandler<unknown>, pj: PgBoss.JobWithMetadata<Record<string, unknown>>): Promise<void> {
    const abort = new AbortController();
    this.aborts.add(abort);
    const { [idField]: _omit, ...data } = pj.data ?? {};
    const job: Job = { id: pj.id, name, data, retryCount: pj.retryCount, retryLimit: pj.retryLimit, signal: abort.signal };
    // pg-boss stops waiting at the expiry and fails the attempt; stop the work too, so an
    // expired attempt does not finish beside its retry.
    const expiry = setTimeout(() => abort.abort(new Error(`job expired after ${pj.expireInSeconds} s`)), pj.expireInSeconds * 1000);
    try {
      await handler(job);
    } catch (err) {
      log.warn({ job: name, id: pj.id, attempt: pj.retryCount + 1, err: err instanceof Error ? err.message : String(err) }, 'job attempt failed');
      throw err;
    } finally {
      clearTimeout(expiry);
      this.aborts.delete(abort);
    }
  }

  private async finalFailure(name: JobName, dead: PgBoss.JobWithMetadata<Record<string, unknown>>): Promise<void> {
    const { [idField]: originalId, ...data } = dead.data ?? {};
    let reason = 'job failed after its last retry';
    if (typeof originalId === 'string') {
      const original = await this.boss.getJobById<unknown>(name, originalId, { includeArchive: true });
      const output = original?.output as { message?: string; value?: { message?: string } } | undefined;
      reason = output?.message ?? output?.value?.message ?? reason;
    }
    const job: Job = {
      id: typeof originalId === 'string' ? originalId : dead.id,
      name,
      data,
      retryCount: dead.retryCount,
      retryLimit: dead.retryLimit,
      signal: AbortSignal.abort(),
    };
    for (const listener of this.failureListeners) {
      try {
        await listener(job, new Error(reason));
      } catch (err) {
        log.error({ err, job: name, id: job.id }, 'final-failure listener failed');
      }
    }
  }
}
