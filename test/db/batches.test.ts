/**
 * insertRows stores exactly what a Kysely multi-row insert stores: on SQLite through its cached
 * prepared statement (compared with the same rows inserted through Kysely, the path taken
 * without the raw connection), on PostgreSQL in multi-row statements; with NULLs, integers,
 * reals and text, and more rows than one multi-row statement carries; on PostgreSQL the
 * full-size statements go as named prepared statements (db/prepared-pool.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertRows, rowsPerStatement } from '../../src/db/batches.js';
import { openDatabase, type Db } from '../../src/db/connect.js';
import type { FindingEventsTable, ScansTable } from '../../src/db/schema.js';
import { createPostgresDatabase } from '../helpers/postgres.js';

/** More events than one multi-row statement of 5 columns holds, so the Kysely path slices. */
const EVENTS = rowsPerStatement(5) + 500;

function events(prefix: string): Omit<FindingEventsTable, 'id'>[] {
  return Array.from({ length: EVENTS }, (_, i) => ({ finding_id: `${prefix}-${i}`, account_id: 'acct', at: 1_700_000_000_000 + i, event: i % 2 ? 'CREATED' : 'CLOSED', detail: JSON.stringify({ i }) }));
}

function scans(prefix: string): ScansTable[] {
  return [
    { id: `${prefix}-1`, account_id: 'acct', resource_id: 'r1', trigger: 'REEVALUATION', billing: 'NONE', status: 'SUCCESSFUL', inventory_version: 3, package_count: 500, finding_count: 31, created_at: 1_700_000_000_123, error: null, warnings: '[]' },
    { id: `${prefix}-2`, account_id: 'acct', resource_id: 'r2', trigger: 'SUBMITTED', billing: 'IMAGE_SCAN', status: 'SCAN_FAILED', inventory_version: null, package_count: 0, finding_count: 0, created_at: 1_700_000_000_456, error: 'pull failed: ünïcode', warnings: '["a","b"]' },
  ];
}

/** The rows stored under `prefix`, without their generated ids, in insertion order. */
async function stored(db: Db, prefix: string) {
  const ev = await db.kysely.selectFrom('finding_events').select(['finding_id', 'account_id', 'at', 'event', 'detail']).where('finding_id', 'like', `${prefix}-%`).orderBy('id').execute();
  const sc = await db.kysely.selectFrom('scans').selectAll().where('id', 'like', `${prefix}-%`).orderBy('id').execute();
  return { events: ev.map((e) => ({ ...e, finding_id: e.finding_id.slice(prefix.length) })), scans: sc.map((s) => ({ ...s, id: s.id.slice(prefix.length) })) };
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`insertRows on '${dialect}'`, () => {
    let db: Db;
    let drop: () => Promise<void>;
    beforeAll(async () => {
      if (dialect === 'sqlite') {
        const dir = mkdtempSync(join(tmpdir(), 'vigil-batches-'));
        db = await openDatabase(`sqlite:${join(dir, 'vigil.db')}`);
        drop = async () => rmSync(dir, { recursive: true, force: true });
      } else {
        const pgdb = await createPostgresDatabase();
        db = await openDatabase(pgdb.url, { poolSize: 2 });
        drop = () => pgdb.drop();
      }
    });
    afterAll(async () => {
      await db.close();
      await drop();
    });

    it('stores every row as a Kysely insert does, inside a transaction and outside one', async () => {
      expect(db.sqlite !== undefined).toBe(dialect === 'sqlite');
      await db.kysely.transaction().execute(async (trx) => {
        const tdb: Db = { ...db, kysely: trx };
        await insertRows(tdb, 'finding_events', events('fast'));
        await insertRows(tdb, 'scans', scans('fast'));
      });
      await insertRows(db, 'scans', []);
      // Without the raw connection: multi-row statements (PostgreSQL's own text, or Kysely's on SQLite).
      const { sqlite: _raw, ...kyselyOnly } = db;
      await insertRows(kyselyOnly, 'finding_events', events('sliced'));
      await insertRows(kyselyOnly, 'scans', scans('sliced'));
      const half = Math.ceil(EVENTS / 2);
      await db.kysely.insertInto('finding_events').values(events('kysely').slice(0, half)).execute();
      await db.kysely.insertInto('finding_events').values(events('kysely').slice(half)).execute();
      await db.kysely.insertInto('scans').values(scans('kysely')).execute();
      const fast = await stored(db, 'fast');
      expect(fast.events).toHaveLength(EVENTS);
      expect(fast.scans).toHaveLength(2);
      expect(fast).toEqual(await stored(db, 'kysely'));
      expect(await stored(db, 'sliced')).toEqual(fast);
    });

    it('rolls its rows back with the transaction it ran in', async () => {
      await expect(
        db.kysely.transaction().execute(async (trx) => {
          await insertRows({ ...db, kysely: trx }, 'scans', scans('rolled'));
          throw new Error('abandon');
        }),
      ).rejects.toThrow('abandon');
      expect((await stored(db, 'rolled')).scans).toEqual([]);
    });

    it.runIf(dialect === 'postgres')('sends full-size statements prepared, by name, and reuses them after a run that failed', async () => {
      const scan = scans('x')[0]!;
      const full = rowsPerStatement(Object.keys(scan).length);
      const run = (prefix: string) =>
        db.kysely.transaction().execute(async (trx) => {
          await insertRows({ ...db, kysely: trx }, 'scans', Array.from({ length: full }, (_, i) => ({ ...scan, id: `${prefix}-${i}` })));
          // Both read this transaction's own connection.
          const pid = (await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(trx)).rows[0]!.pid;
          const prepared = (await sql<{ name: string }>`SELECT name FROM pg_prepared_statements WHERE statement LIKE 'INSERT INTO "scans"%'`.execute(trx)).rows;
          return { pid, prepared };
        });
      const first = await run('prep');
      expect(first.prepared).toEqual([{ name: expect.stringMatching(/^vigil_insert_\d+$/) }]);
      // A duplicate key fails the statement's run, not its preparation.
      await expect(run('prep')).rejects.toThrow(/duplicate key/);
      // pg's pool hands out the connection released last: the same one, its statement kept and run again.
      const after = await run('prep-again');
      expect(after).toEqual(first);
      const count = await db.kysely.selectFrom('scans').select((eb) => eb.fn.countAll<number>().as('n')).where('id', 'like', 'prep%').executeTakeFirstOrThrow();
      expect(Number(count.n)).toBe(2 * full);
    });

    it.runIf(dialect === 'sqlite')('refuses to write through the raw connection outside a transaction', async () => {
      await expect(insertRows(db, 'scans', scans('loose'))).rejects.toThrow('insertRows into scans on SQLite runs inside a transaction');
      expect((await stored(db, 'loose')).scans).toEqual([]);
    });
  });
}
