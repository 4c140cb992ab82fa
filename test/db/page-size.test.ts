/**
 * SQLite page size: new database files get 16 KiB pages (finding storage writes fewer, shallower
 * b-tree pages); an existing file keeps the size it was made with and opens as before.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/connect.js';

describe('SQLite page size', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-page-size-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const pageSizeOf = (path: string): number => {
    const db = new BetterSqlite3(path, { readonly: true });
    try {
      return db.pragma('page_size', { simple: true }) as number;
    } finally {
      db.close();
    }
  };

  it('makes new files with 16 KiB pages', async () => {
    const path = join(dir, 'new.db');
    const db = await openDatabase(`sqlite:${path}`);
    await db.close();
    expect(pageSizeOf(path)).toBe(16_384);
  });

  it('keeps the page size of an existing file, which opens and migrates as before', async () => {
    const path = join(dir, 'old.db');
    const old = new BetterSqlite3(path);
    old.pragma('journal_mode = WAL');
    old.exec('CREATE TABLE kept (x TEXT); INSERT INTO kept VALUES (1)');
    old.close();
    expect(pageSizeOf(path)).toBe(4096);
    const db = await openDatabase(`sqlite:${path}`);
    expect(await db.kysely.selectFrom('accounts').select('id').execute()).toEqual([]);
    await db.close();
    expect(pageSizeOf(path)).toBe(4096);
  });
});
