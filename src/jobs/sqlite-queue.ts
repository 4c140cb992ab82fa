import type { AnyKysely } from './kysely.js';
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { log } from '../log.js';
import type { JobsDatabase, JobsTable } from './schema.js';
import {
  defaultRetry,
  retryDelayMs,
  type FinalFailureListener,
  type Job,
  type JobHandler,
  type JobName,
  type JobQueue,
  type JobRecord,
  type ScheduleSpec,
  type SendOptions,
} from './types.js';

/** Options of the in-process queue. */
export interface SqliteQueueOptions {
  /** How often idle workers look for due jobs (ms); sends wake them at once. Default 250. */
  pollMs?: number;
  /** Default expiry of a running job (s). Default 900. */
  expireInSeconds?: number;
}

interface Registration {
  handler: JobHandler<unknown>;
  concurrency: number;
  running: number;
}

/**
 * The default queue: jobs persisted in the service's own database (the `vigil_jobs` table),
 * worked by this process. A job still marked running when the process starts belonged to a
 * process that died: it is counted as a failed attempt and retried, so nothing queued is lost
 * across a restart.
 */
export class SqliteJobQueue implements JobQueue {
  readonly backend = 'sqlite' as const;
  private readonly db: Kysely<JobsDatabase>;
  private readonly handlers = new Map<JobName, Registration>();
  private readonly failureListeners: FinalFailureListener[] = [];
  private readonly running = new Map<string, { promise: Promise<void>; abort: AbortController }>();
  private readonly pollMs: number;
  private readonly expireInSeconds: number;
  private timer: NodeJS.Timeout | undefined;
  private working = false;
  private pumping = false;
  private pumpAgain = false;

  constructor(db: AnyKysely, opts: SqliteQueueOptions = {}) {
    this.db = db as unknown as Kysely<JobsDatabase>;
    this.pollMs = opts.pollMs ?? 250;
    this.expireInSeconds = opts.expireInSeconds ?? 900;
  }

  register<T>(name: JobName, handler: JobHandler<T>, opts: { concurrency?: number } = {}): void {
    this.handlers.set(name, { handler: handler as JobHandler<unknown>, concurrency: opts.concurrency ?? 1, running: 0 });
  }

  onFinalFailure(listener: FinalFailureListener): void {
    this.failureListeners.push(listener);
  }

  async send<T extends object>(name: JobName, data: T, opts: SendOptions = {}): Promise<string | null> {
    const id = randomUUID();
    const now = new Date().toISOString();
    const inserted = await this.db.transaction().execute(async (trx) => {
      if (opts.singletonKey !== undefined) {
        const existing = await trx
          .selectFrom('vigil_jobs')
          .select('id')
          .where('name', '=', name)
          .where('singleton_key', '=', opts.singletonKey)
          .where('state', 'in', ['created', 'retry', 'active'])
          .executeTakeFirst();
        if (existing) return false;
      }
      await trx
        .insertInto('vigil_jobs')
        .values({
          id,
          name,
          data: JSON.stringify(data),
          state: 'created',
          retry_count: 0,
          retry_limit: opts.retryLimit ?? defaultRetry.retryLimit,
          retry_delay_s: opts.retryDelaySeconds ?? defaultRetry.retryDelaySeconds,
          retry_backoff: (opts.retryBackoff ?? defaultRetry.retryBackoff) ? 1 : 0,
          expire_s: opts.expireInSeconds ?? this.expireInSeconds,
          singleton_key: opts.singletonKey ?? null,
          start_after: (opts.startAfter ?? new Date()).toISOString(),
          locked_until: null,
          last_error: null,
          created_at: now,
          started_at: null,
          completed_at: null,
        })
        .execute();
      return true;
    });
    if (!inserted) return null;
    this.wake();
    return id;
  }

  async schedule(name: JobName, spec: ScheduleSpec): Promise<void> {
    if (!(spec.everyMinutes > 0)) throw new Error(`schedule for ${name}: everyMinutes must be positive, got ${spec.everyMinutes}`);
    const row = {
      name,
      every_minutes: spec.everyMinutes,
      data: JSON.stringify(spec.data ?? {}),
      next_run_at: new Date(Date.now() + spec.everyMinutes * 60_000).toISOString(),
    };
    await this.db
      .insertInto('vigil_job_schedules')
      .values(row)
      // A restart keeps the slot already planned, so frequent restarts do not postpone the job forever.
      .onConflict((oc) => oc.column('name').doUpdateSet({ every_minutes: row.every_minutes, data: row.data }))
      .execute();
  }

  async start(opts: { work?: boolean } = {}): Promise<void> {
    if (opts.work === false) return;
    await this.recoverOrphans();
    this.working = true;
    this.timer = setInterval(() => this.wake(), this.pollMs);
    this.timer.unref();
    this.wake();
  }

  async stop(opts: { timeoutMs?: number } = {}): Promise<void> {
    this.working = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const all = [...this.running.values()];
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, opts.timeoutMs ?? 10_000).unref());
    await Promise.race([Promise.allSettled(all.map((r) => r.promise)), timeout]);
    for (const r of this.running.values()) r.abort.abort(new Error('queue stopped'));
  }

  async get(id: string): Promise<JobRecord | undefined> {
    const row = await this.db.selectFrom('vigil_jobs').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  /** Jobs of one name, newest first (for the API and tests). */
  async list(name?: JobName, limit = 100): Promise<JobRecord[]> {
    let q = this.db.selectFrom('vigil_jobs').selectAll().orderBy('created_at', 'desc').limit(limit);
    if (name) q = q.where('name', '=', name);
    return (await q.execute()).map(toRecord);
  }

  /** Resolves once no job is queued (due or waiting for a retry) or running: for tests and shutdown drains. */
  async idle(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const open = await this.db
        .selectFrom('vigil_jobs')
        .select('id')
        .where('state', 'in', ['created', 'retry', 'active'])
        .executeTakeFirst();
      if (!open && this.running.size === 0) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`job queue not idle after ${timeoutMs} ms`);
  }

  private async recoverOrphans(): Promise<void> {
    const orphans = await this.db.selectFrom('vigil_jobs').selectAll().where('state', '=', 'active').execute();
    for (const row of orphans) {
      if (this.running.has(row.id)) continue;
      await this.failAttempt(row, new Error('worker stopped while the job was running'));
    }
  }

  private wake(): void {
    if (!this.working) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    void this.pump()
      .catch((err: unknown) => log.error({ err }, 'job queue poll failed'))
      .finally(() => {
        this.pumping = false;
        if (this.pumpAgain) {
          this.pumpAgain = false;
          this.wake();
        }
      });
  }

  private async pump(): Promise<void> {
    await this.runSchedules();
    await this.expireStuck();
    for (const [name, reg] of this.handlers) {
      while (this.working && reg.running < reg.concurrency) {
        const row = await this.claim(name);
        if (!row) break;
        this.execute(row, reg);
      }
    }
  }

  private async claim(name: JobName): Promise<JobsTable | undefined> {
    const now = new Date();
    return this.db.transaction().execute(async (trx) => {
      const next = await trx
        .selectFrom('vigil_jobs')
        .select(['id', 'expire_s'])
        .where('name', '=', name)
        .where('state', 'in', ['created', 'retry'])
        .where('start_after', '<=', now.toISOString())
        .orderBy('start_after')
        .limit(1)
        .executeTakeFirst();
      if (!next) return undefined;
      return trx
        .updateTable('vigil_jobs')
        .set({
          state: 'active',
          started_at: now.toISOString(),
          locked_until: new Date(now.getTime() + next.expire_s * 1000).toISOString(),
        })
        .where('id', '=', next.id)
        .where('state', 'in', ['created', 'retry'])
        .returningAll()
        .executeTakeFirst();
    });
  }

  private execute(row: JobsTable, reg: Registration): void {
    reg.running++;
    const abort = new AbortController();
    const job: Job = {
      id: row.id,
      name: row.name as JobName,
      data: JSON.parse(row.data) as unknown,
      retryCount: row.retry_count,
      retryLimit: row.retry_limit,
      signal: abort.signal,
    };
    const promise = (async () => {
      try {
        await reg.handler(job);
        await this.db
          .updateTable('vigil_jobs')
          .set({ state: 'completed', completed_at: new Date().toISOString(), locked_until: null })
          .where('id', '=', row.id)
          .where('state', '=', 'active')
          .where('retry_count', '=', row.retry_count)
          .execute();
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err));
        log.warn({ job: row.name, id: row.id, attempt: row.retry_count + 1, err: error.message }, 'job attempt failed');
        await this.failAttempt(row, error).catch((e: unknown) => log.error({ err: e }, 'recording a job failure failed'));
      } finally {
        reg.running--;
        this.running.delete(row.id);
        this.wake();
      }
    })();
    this.running.set(row.id, { promise, abort });
  }

  /** Records a failed attempt: schedules the retry with backoff, or fails the job for good. */
  private async failAttempt(row: JobsTable, error: Error): Promise<void> {
    const policy = { retryLimit: row.retry_limit, retryDelaySeconds: row.retry_delay_s, retryBackoff: row.retry_backoff === 1 };
    if (row.retry_count < row.retry_limit) {
      await this.db
        .updateTable('vigil_jobs')
        .set({
          state: 'retry',
          retry_count: row.retry_count + 1,
          last_error: error.message,
          locked_until: null,
          start_after: new Date(Date.now() + retryDelayMs(policy, row.retry_count)).toISOString(),
        })
        .where('id', '=', row.id)
        .where('state', '=', 'active')
        .where('retry_count', '=', row.retry_count)
        .execute();
      return;
    }
    const failed = await this.db
      .updateTable('vigil_jobs')
      .set({ state: 'failed', last_error: error.message, locked_until: null, completed_at: new Date().toISOString() })
      .where('id', '=', row.id)
      .where('state', '=', 'active')
      .where('retry_count', '=', row.retry_count)
      .executeTakeFirst();
    // Someone else (expiry) already recorded this attempt.
    if (Number(failed.numUpdatedRows) !== 1) return;
    const job: Job = {
      id: row.id,
      name: row.name as JobName,
      data: JSON.parse(row.data) as unknown,
      retryCount: row.retry_count,
      retryLimit: row.retry_limit,
      signal: AbortSignal.abort(),
    };
    for (const listener of this.failureListeners) {
      try {
        await listener(job, error);
      } catch (err) {
        log.error({ err, job: row.name, id: row.id }, 'final-failure listener failed');
      }
    }
  }

  /** A running job past its lock in this process is abandoned work: abort it and count the attempt. */
  private async expireStuck(): Promise<void> {
    const now = new Date().toISOString();
    const stuck = await this.db
      .selectFrom('vigil_jobs')
      .selectAll()
      .where('state', '=', 'active')
      .where('locked_until', '<', now)
      .execute();
    for (const row of stuck) {
      this.running.get(row.id)?.abort.abort(new Error(`job expired after ${row.expire_s} s`));
      const claimed = await this.db
        .updateTable('vigil_jobs')
        .set({ locked_until: null })
        .where('id', '=', row.id)
        .where('state', '=', 'active')
        .where('locked_until', '=', row.locked_until)
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) === 1) await this.failAttempt(row, new Error(`job expired after ${row.expire_s} s`));
    }
  }

  private async runSchedules(): Promise<void> {
    const now = new Date();
    const due = await this.db.selectFrom('vigil_job_schedules').selectAll().where('next_run_at', '<=', now.toISOString()).execute();
    for (const s of due) {
      const next = new Date(now.getTime() + s.every_minutes * 60_000).toISOString();
      const moved = await this.db
        .updateTable('vigil_job_schedules')
        .set({ next_run_at: next })
        .where('name', '=', s.name)
        .where('next_run_at', '=', s.next_run_at)
        .executeTakeFirst();
      // Another poll (or process) already fired this slot.
      if (Number(moved.numUpdatedRows) !== 1) continue;
      await this.send(s.name as JobName, JSON.parse(s.data) as object, { singletonKey: `schedule:${s.name}` });
    }
  }
}

function toRecord(row: JobsTable): JobRecord {
  return {
    id: row.id,
    name: row.name as JobName,
    state: row.state as JobRecord['state'],
    data: JSON.parse(row.data) as unknown,
    retryCount: row.retry_count,
    retryLimit: row.retry_limit,
    ...(row.last_error ? { lastError: row.last_error } : {}),
    createdAt: row.created_at,
    ...(row.completed_at ? { completedAt: row.completed_at } : {}),
  };
}
