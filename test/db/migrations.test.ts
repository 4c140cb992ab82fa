import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { migrate, parseDatabaseUrl, type Db } from '../../src/db/connect.js';
import { migrations } from '../../src/db/migrations/index.js';
import { dialectCases } from '../helpers/postgres.js';

describe('parseDatabaseUrl', () => {
  it.each([
    ['sqlite:/var/lib/vigil.db', { dialect: 'sqlite', path: '/var/lib/vigil.db' }],
    ['sqlite:relative/x.db', { dialect: 'sqlite', path: 'relative/x.db' }],
    ['sqlite::memory:', { dialect: 'sqlite', path: ':memory:' }],
    ['plain.db', { dialect: 'sqlite', path: 'plain.db' }],
    ['postgres://u:p@h:5432/d', { dialect: 'postgres', connectionString: 'postgres://u:p@h:5432/d' }],
    ['postgresql://h/d', { dialect: 'postgres', connectionString: 'postgresql://h/d' }],
  ])('%s', (url, expected) => {
    expect(parseDatabaseUrl(url)).toEqual(expected);
  });
  it.each(['', 'mysql://h/d', 'sqlite:'])('rejects %j', (url) => {
    expect(() => parseDatabaseUrl(url)).toThrow();
  });
});

describe.each(dialectCases())('migrations on $name', (dialect) => {
  let db: Db;
  beforeAll(async () => {
    db = await dialect.open();
  });
  afterAll(async () => {
    await db?.close();
  });

  it('applies every registered migration once and is idempotent', async () => {
    const rows = await sql<{ name: string }>`select name from vigil_migrations order by name`.execute(db.kysely);
    expect(rows.rows.map((r) => r.name)).toEqual(migrations.map((m) => m.name));
    expect(await migrate(db)).toEqual([]);
  });

  it('reads timestamps back as numbers', async () => {
    const at = Date.UTC(2026, 10, 27, 12, 0, 0);
    await db.kysely.insertInto('accounts').values({ id: 'a1', name: 'A', delegated_admin: 0, created_at: at }).execute();
    const row = await db.kysely.selectFrom('accounts').selectAll().where('id', '=', 'a1').executeTakeFirstOrThrow();
    expect(row.created_at).toBe(at);
    const count = await db.kysely.selectFrom('accounts').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(1);
  });
});
