/**
 * A PostgreSQL connection the server ends while it sits idle in the pool (a restart, an
 * administrator's pg_terminate_backend, DROP DATABASE … WITH (FORCE)) costs nothing: the process
 * goes on and the next query gets a fresh connection. Unhandled, the pool's error event ended it.
 */
import pg from 'pg';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/db/connect.js';
import { createPostgresDatabase, type PostgresDatabase } from '../helpers/postgres.js';

let pgdb: PostgresDatabase;
let db: Db;

beforeAll(async () => {
  pgdb = await createPostgresDatabase();
  db = await openDatabase(pgdb.url, { poolSize: 2 });
});

afterAll(async () => {
  await db?.close();
  await pgdb?.drop();
});

it('survives the server terminating its idle connections, and queries again', async () => {
  const pid = async () => (await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(db.kysely)).rows[0]!.pid;
  const before = await pid();
  const admin = new pg.Client({ connectionString: pgdb.url });
  await admin.connect();
  try {
    await admin.query('SELECT pg_terminate_backend($1)', [before]);
  } finally {
    await admin.end();
  }
  // Give the pool the moment it takes to read the termination notice from its idle socket.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const after = await pid();
  expect(after).not.toBe(before);
});
