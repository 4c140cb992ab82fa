/**
 * Background WAL checkpoints: committed pages reach the database file without the writer
 * copying them, nothing is lost across close and reopen, and a checkpointer that cannot run
 * gives the writer its own checkpoints back.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCheckpointer } from '../../src/db/checkpointer.js';
import { openDatabase } from '../../src/db/connect.js';

/** Polls `check` until it holds or `ms` pass. */
async function eventually(check: () => boolean, ms = 10_000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

describe('background WAL checkpoints', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-checkpoint-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  /** Commits one transaction of about 32 MB (over 1,000 pages even of 16 KiB: above SQLite's default threshold of 1,000 frames, below the writer's 256 MiB). */
  function writeBulk(sqlite: BetterSqlite3.Database): void {
    sqlite.exec('CREATE TABLE IF NOT EXISTS bulk (id INTEGER PRIMARY KEY, body BLOB NOT NULL)');
    const insert = sqlite.prepare('INSERT INTO bulk (body) VALUES (?)');
    sqlite.transaction(() => {
      for (let i = 0; i < 8000; i++) insert.run(Buffer.alloc(4000, i % 251));
    })();
  }

  it('copies a committed transaction into the database file from the worker, and loses nothing on close', async () => {
    const path = join(dir, 'vigil.db');
    const db = await openDatabase(`sqlite:${path}`, { backgroundCheckpoints: true });
    const before = statSync(path).size;
    writeBulk(db.sqlite!);
    // The writer no longer checkpoints a commit of this size itself…
    const threshold = (db.sqlite!.pragma('wal_autocheckpoint', { simple: true }) as number) * (db.sqlite!.pragma('page_size', { simple: true }) as number);
    expect(threshold).toBeGreaterThan(32_000_000);
    // …yet the pages reach the file.
    expect(await eventually(() => statSync(path).size >= before + 32_000_000)).toBe(true);
    await db.close();
    // The worker's connection closed first, so the writer's close was the last and removed the log.
    expect(existsSync(`${path}-wal`)).toBe(false);
    const again = new BetterSqlite3(path, { readonly: true });
    expect(again.prepare('SELECT count(*) FROM bulk').pluck().get()).toBe(8000);
    again.close();
  });

  it('lets a process that awaits the close go on after it (the worker does not keep it alive otherwise)', () => {
    const connect = fileURLToPath(new URL('../../src/db/connect.ts', import.meta.url));
    const script = `
      const { openDatabase } = await import(${JSON.stringify(connect)});
      const db = await openDatabase(${JSON.stringify(`sqlite:${join(dir, 'vigil.db')}`)}, { backgroundCheckpoints: true });
      await db.close();
      console.log('after close');`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(child.stderr).toBe('');
    expect(child.stdout).toContain('after close');
    expect(child.status).toBe(0);
  });

  it('leaves checkpoints to the writer when the option is off', async () => {
    const path = join(dir, 'vigil.db');
    const db = await openDatabase(`sqlite:${path}`);
    expect(db.sqlite!.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    await db.close();
  });

  it('gives the writer its checkpoints back when the worker cannot open the file', async () => {
    const writer = new BetterSqlite3(join(dir, 'writer.db'));
    writer.pragma('journal_mode = WAL');
    const checkpointer = startCheckpointer(join(dir, 'missing', 'vigil.db'), writer);
    expect(writer.pragma('wal_autocheckpoint', { simple: true })).toBeGreaterThan(1000);
    expect(await eventually(() => writer.pragma('wal_autocheckpoint', { simple: true }) === 1000)).toBe(true);
    await checkpointer.stop();
    writer.close();
  });
});
