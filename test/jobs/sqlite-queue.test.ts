import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jobsMigration } from '../../src/jobs/schema.js';
import { SqliteJobQueue } from '../../src/jobs/sqlite-queue.js';
import type { Job } from '../../src/jobs/types.js';

let dir: string;
const open: Kysely<unknown>[] = [];
const queues: SqliteJobQueue[] = [];

async function openDb(): Promise<Kysely<unknown>> {
  const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new Database(join(dir, 'vigil.db')) }) });
  await jobsMigration.up(db);
  open.push(db);
  return db;
}

function queue(db: Kysely<unknown>): SqliteJobQueue {
  const q = new SqliteJobQueue(db, { pollMs: 20 });
  queues.push(q);
  return q;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-queue-'));
});
afterEach(async () => {
  for (const q of queues.splice(0)) await q.stop({ timeoutMs: 1000 });
  for (const db of open.splice(0)) await db.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describe('SqliteJobQueue', () => {
  it('runs a job and marks it completed', async () => {
    const q = queue(await openDb());
    const seen: unknown[] = [];
    q.register<{ image: string }>('scan-image', async (job) => {
      seen.push(job.data);
    });
    await q.start();
    const id = await q.send('scan-image', { image: 'r/a:1' });
    await q.idle();
    expect(seen).toEqual([{ image: 'r/a:1' }]);
    expect((await q.get(id!))?.state).toBe('completed');
  });

  it('retries with exponential backoff, then succeeds', async () => {
    const q = queue(await openDb());
    const attempts: number[] = [];
    q.register('reevaluate', async (job) => {
      attempts.push(Date.now());
      if (job.retryCount < 2) throw new Error(`boom ${job.retryCount}`);
    });
    await q.start();
    const id = await q.send('reevaluate', {}, { retryLimit: 3, retryDelaySeconds: 0.1, retryBackoff: true });
    await q.idle();
    expect(attempts).toHaveLength(3);
    // 100 ms then 200 ms: the second gap is the doubled delay.
    expect(attempts[1] - attempts[0]).toBeGreaterThanOrEqual(90);
    expect(attempts[2] - attempts[1]).toBeGreaterThanOrEqual(190);
    expect((await q.get(id!))?.state).toBe('completed');
  });

  it('fails for good after the last retry and tells the listener the reason', async () => {
    const q = queue(await openDb());
    const failures: { job: Job; message: string }[] = [];
    q.register('scan-image', async () => {
      throw new Error('manifest unknown');
    });
    q.onFinalFailure((job, err) => {
      failures.push({ job, message: err.message });
    });
    await q.start();
    const id = await q.send('scan-image', { resourceId: 'res-1' }, { retryLimit: 1, retryDelaySeconds: 0.01 });
    await q.idle();
    const rec = await q.get(id!);
    expect(rec).toMatchObject({ state: 'failed', retryCount: 1, lastError: 'manifest unknown' });
    expect(failures).toHaveLength(1);
    expect(failures[0].message).toBe('manifest unknown');
    expect(failures[0].job.data).toEqual({ resourceId: 'res-1' });
  });

  it('keeps queued jobs across a restart and retries a job whose process died mid-run', async () => {
    const db1 = await openDb();
    const q1 = queue(db1);
    // A handler that never finishes: the process "dies" with the job still marked active.
    q1.register('scan-image', () => new Promise<void>(() => undefined));
    await q1.start();
    const running = await q1.send('scan-image', { n: 1 }, { retryDelaySeconds: 0 });
    // Wait until the first job is claimed, then queue a second that this process never runs.
    while ((await q1.get(running!))?.state !== 'active') await new Promise((r) => setTimeout(r, 10));
    const queued = await q1.send('ingest-inventory', { n: 2 });
    await q1.stop({ timeoutMs: 1 });
    expect((await q1.get(running!))?.state).toBe('active');

    const q2 = queue(await openDb());
    const done: string[] = [];
    q2.register('scan-image', async (job) => {
      done.push(`scan:${job.retryCount}`);
    });
    q2.register('ingest-inventory', async () => {
      done.push('ingest');
    });
    await q2.start();
    await q2.idle();
    expect(done.sort()).toEqual(['ingest', 'scan:1']);
    expect((await q2.get(queued!))?.state).toBe('completed');
  });

  it('queues one job per singleton key while one is open', async () => {
    const q = queue(await openDb());
    const first = await q.send('catalog-sync', { registryId: 'a' }, { singletonKey: 'a' });
    const second = await q.send('catalog-sync', { registryId: 'a' }, { singletonKey: 'a' });
    const other = await q.send('catalog-sync', { registryId: 'b' }, { singletonKey: 'b' });
    expect(first).toBeTypeOf('string');
    expect(second).toBeNull();
    expect(other).toBeTypeOf('string');
  });

  it('runs scheduled jobs on their interval', async () => {
    const q = queue(await openDb());
    const runs: unknown[] = [];
    q.register('db-update', async (job) => {
      runs.push(job.data);
    });
    await q.schedule('db-update', { everyMinutes: 0.003, data: { source: 'schedule' } });
    await q.start();
    for (const deadline = Date.now() + 10_000; runs.length < 2 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 20));
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(runs[0]).toEqual({ source: 'schedule' });
  });

  it('rejects a non-positive interval, naming the job', async () => {
    const q = queue(await openDb());
    await expect(q.schedule('db-update', { everyMinutes: 0 })).rejects.toThrow(/db-update/);
  });
});
