/**
 * Opens the service database from a URL (`sqlite:PATH`, a bare path, `:memory:`, or
 * `postgres://…`) and brings its schema up to date.
 */
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type Migration, type MigrationProvider } from 'kysely';
import type pg from 'pg';
import { log } from '../log.js';
import { startCheckpointer, type Checkpointer } from './checkpointer.js';
import { migrations } from './migrations/index.js';
import type { DialectName } from './migrations/types.js';
import type { Database } from './schema.js';

/** An open service database. */
export interface Db {
  readonly kysely: Kysely<Database>;
  readonly dialect: DialectName;
  /** The URL it was opened from, with any password removed (for logs). */
  readonly url: string;
  /**
   * The SQLite connection under `kysely` (absent on PostgreSQL), for the few bulk writes that
   * run cached prepared statements instead of building SQL per batch (see
   * `insertRows` in db/batches.ts). Kysely and this share the one connection, so a write through it
   * inside a Kysely transaction belongs to that transaction.
   */
  readonly sqlite?: BetterSqlite3.Database;
  close(): Promise<void>;
}

/** Where a database URL points. */
export type DatabaseLocation = { dialect: 'sqlite'; path: string } | { dialect: 'postgres'; connectionString: string };

/** Parses `sqlite:PATH`, `sqlite::memory:`, `postgres://…`/`postgresql://…`, or a bare file path. */
export function parseDatabaseUrl(url: string): DatabaseLocation {
  const trimmed = url.trim();
  if (trimmed === '') throw new Error('database URL is empty');
  if (/^postgres(ql)?:\/\//i.test(trimmed)) return { dialect: 'postgres', connectionString: trimmed };
  if (trimmed.startsWith('sqlite:')) {
    const path = trimmed.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === '') throw new Error(`database URL ${url} names no file`);
    return { dialect: 'sqlite', path };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) throw new Error(`unsupported database URL ${url}: use sqlite:PATH or postgres://…`);
  return { dialect: 'sqlite', path: trimmed };
}

/** Removes the password from a URL for display. */
function redact(url: string): string {
  return url.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@');
}

/** Read bigint columns (timestamps, counts) as numbers: they stay below 2^53. */
function pgTypes(types: typeof pg.types) {
  return {
    getTypeParser(oid: number, format?: 'text' | 'binary') {
      if (oid === 20) return (value: string) => Number(value);
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      return (types.getTypeParser as any)(oid, format);
    },
  };
}

/** Page size of new SQLite database files. */
const SQLITE_PAGE_SIZE = 16_384;

/** Options for {@link openDatabase}. */
export interface OpenOptions {
  /** Run pending migrations (default true). */
  migrate?: boolean;
  /** PostgreSQL pool size (default 10). */
  poolSize?: number;
  /**
   * SQLite file: copy committed transactions into the database file from a worker thread
   * (db/checkpointer.ts) rather than in the commits. For long-lived processes that store
   * large batches (the server); a one-shot command need not start a thread.
   */
  backgroundCheckpoints?: boolean;
}

/**
 * Creates a missing SQLite database file readable by its owner only (0600, like the secret
 * key beside it), in a directory of its own created 0700: it holds every account's findings
 * and sealed secrets. SQLite gives the -wal and -shm files the database file's mode.
 */
function createPrivately(path: string): void {
  const dir = dirname(resolve(path));
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

/** Opens the database and applies pending migrations. */
export async function openDatabase(url: string, opts: OpenOptions = {}): Promise<Db> {
  const location = parseDatabaseUrl(url);
  let kysely: Kysely<Database>;
  let raw: BetterSqlite3.Database | undefined;
  let checkpointer: Checkpointer | undefined;
  if (location.dialect === 'sqlite') {
    if (location.path !== ':memory:') createPrivately(location.path);
    const sqlite = new BetterSqlite3(location.path);
    // Set before the first write, so new files only (an existing file keeps its size until a
    // VACUUM; docs/continuous.md). Finding rows go to 28 indexes; with 16 KiB pages rather than
    // the default 4 KiB, their b-trees are shallower and split less, and each commit writes
    // fewer pages: storing a first evaluation's findings took a third less time in SQLite.
    sqlite.pragma(`page_size = ${SQLITE_PAGE_SIZE}`);
    // WAL lets readers run beside the one writer; NORMAL sync is durable enough with WAL.
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('cache_size = -65536');
    if (opts.backgroundCheckpoints && location.path !== ':memory:') checkpointer = startCheckpointer(location.path, sqlite);
    kysely = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
    raw = sqlite;
  } else {
    // Loaded only for PostgreSQL: a SQLite server or command need not compile the client.
    const [{ default: pgClient }, { preparingPool }] = await Promise.all([import('pg'), import('./prepared-pool.js')]);
    const pool = new pgClient.Pool({ connectionString: location.connectionString, max: opts.poolSize ?? 10, types: pgTypes(pgClient.types) });
    // An idle connection the server ends (a PostgreSQL restart, an administrator's terminate) is
    // dropped from the pool and replaced on next use; unhandled, its error would end the process.
    pool.on('error', (err) => log.warn({ err: err.message, database: redact(url) }, 'PostgreSQL closed an idle connection'));
    kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool: preparingPool(pool) }) });
  }
  const close = async (): Promise<void> => {
    // The worker's connection first: the writer's close, the last, checkpoints what is left.
    await checkpointer?.stop();
    await kysely.destroy();
  };
  const db: Db = { kysely, dialect: location.dialect, url: redact(url), ...(raw ? { sqlite: raw } : {}), close };
  if (opts.migrate !== false) {
    try {
      await migrate(db);
    } catch (err) {
      await db.close();
      throw err;
    }
  }
  return db;
}

/** Applies every pending migration from the registry; throws naming the one that failed. */
export async function migrate(db: Db): Promise<string[]> {
  const provider: MigrationProvider = {
    async getMigrations() {
      const out: Record<string, Migration> = {};
      for (const m of migrations) out[m.name] = { up: (k) => m.up(k, db.dialect) };
      return out;
    },
  };
  const migrator = new Migrator({
    db: db.kysely,
    provider,
    migrationTableName: 'vigil_migrations',
    migrationLockTableName: 'vigil_migrations_lock',
    // Areas number their migrations in their own ranges (0001-0099 core, 0100+ continuous scanning):
    // a database may have applied a later range before an earlier one gained an entry.
    allowUnorderedMigrations: true,
  });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed on ${db.url}: ${reason}`.replace('  ', ' '));
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
