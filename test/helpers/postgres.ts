/**
 * A real PostgreSQL for tests: one throwaway cluster on loopback (initdb into a temp dir,
 * free port, fsync off), shared by every test file under a lock, with a separate database
 * per file. The last user to leave stops the cluster. Also {@link dialectCases}, which store
 * tests loop over to run against both SQLite and PostgreSQL.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Db } from '../../src/db/connect.js';
import { requireComponent } from './components.js';

const root = process.env.VIGIL_TEST_PG_DIR ?? join(tmpdir(), `vigil-test-pg-${process.getuid?.() ?? 0}`);
const lockDir = join(root, 'lock');
const stateFile = join(root, 'state.json');
const usersDir = join(root, 'users');

interface ClusterState {
  port: number;
  dataDir: string;
}

function pgBin(): string {
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const versions = readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'initdb'))).sort((a, b) => Number(a) - Number(b));
    if (versions.length > 0) return join(base, versions[versions.length - 1], 'bin');
  }
  return '';
}

/** Runs a PostgreSQL tool as the `postgres` user when we are root (initdb refuses root). */
function runAsPostgres(tool: string, args: string[]): void {
  const bin = pgBin();
  const exe = bin ? join(bin, tool) : tool;
  const asRoot = process.getuid?.() === 0;
  const result = asRoot
    ? spawnSync('su', ['postgres', '-s', '/bin/sh', '-c', [exe, ...args].map(shellQuote).join(' ')], { encoding: 'utf8' })
    : spawnSync(exe, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${tool} failed: ${result.stderr || result.stdout || result.error?.message}`);
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A directory lock shared by processes; a lock older than 2 minutes is stale (a crashed holder). */
async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  mkdirSync(root, { recursive: true });
  for (;;) {
    try {
      mkdirSync(lockDir);
      break;
    } catch {
      try {
        if (Date.now() - statSync(lockDir).mtimeMs > 120_000) rmSync(lockDir, { recursive: true, force: true });
      } catch {
        // The holder released it meanwhile.
      }
      await sleep(100);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function liveUsers(): string[] {
  if (!existsSync(usersDir)) return [];
  const live: string[] = [];
  for (const name of readdirSync(usersDir)) {
    const pid = Number(name.split('-')[0]);
    if (pidAlive(pid)) live.push(name);
    else rmSync(join(usersDir, name), { force: true });
  }
  return live;
}

async function canConnect(port: number): Promise<boolean> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres', connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function stopCluster(state: ClusterState): void {
  try {
    runAsPostgres('pg_ctl', ['-D', state.dataDir, '-m', 'fast', '-w', 'stop']);
  } catch {
    // Already stopped.
  }
  rmSync(join(state.dataDir, '..'), { recursive: true, force: true });
  rmSync(stateFile, { force: true });
}

async function startCluster(): Promise<ClusterState> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-pg-'));
  if (process.getuid?.() === 0) execFileSync('chown', ['postgres:postgres', dir]);
  const dataDir = join(dir, 'data');
  runAsPostgres('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8']);
  const port = await freePort();
  const opts = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
  runAsPostgres('pg_ctl', ['-D', dataDir, '-l', join(dir, 'server.log'), '-w', '-o', opts, 'start']);
  return { port, dataDir };
}

/** A database of the shared cluster, owned by one test file. */
export interface PostgresDatabase {
  /** `postgres://postgres@127.0.0.1:PORT/NAME`. */
  url: string;
  /** Drops the database and leaves the cluster (stopping it when no one else uses it). */
  drop(): Promise<void>;
}

/**
 * Starts (or joins) the shared test cluster and creates a fresh database in it.
 */
export async function createPostgresDatabase(): Promise<PostgresDatabase> {
  requireComponent('initdb');
  const token = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const state = await withLock(async () => {
    let current: ClusterState | undefined;
    if (existsSync(stateFile)) {
      current = JSON.parse(readFileSync(stateFile, 'utf8')) as ClusterState;
      if (!(await canConnect(current.port))) {
        stopCluster(current);
        current = undefined;
      }
    }
    if (!current) {
      current = await startCluster();
      writeFileSync(stateFile, JSON.stringify(current));
    }
    mkdirSync(usersDir, { recursive: true });
    writeFileSync(join(usersDir, token), '');
    return current;
  });
  const name = `vigil_${token.replace(/-/g, '_')}`;
  const admin = new pg.Client({ host: '127.0.0.1', port: state.port, user: 'postgres', database: 'postgres' });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    url: `postgres://postgres@127.0.0.1:${state.port}/${name}`,
    async drop() {
      const c = new pg.Client({ host: '127.0.0.1', port: state.port, user: 'postgres', database: 'postgres' });
      try {
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end().catch(() => undefined);
      }
      await withLock(async () => {
        rmSync(join(usersDir, token), { force: true });
        if (liveUsers().length === 0 && existsSync(stateFile)) stopCluster(JSON.parse(readFileSync(stateFile, 'utf8')) as ClusterState);
      });
    },
  };
}

/** One database dialect a store test runs against. */
export interface DialectCase {
  name: 'sqlite' | 'postgres';
  /** Opens a fresh, migrated, empty database of this dialect. */
  open(): Promise<Db>;
}

/**
 * The two dialects, for `describe.each(dialectCases())`. Each `open()` gives an empty
 * database (SQLite in a temp file, PostgreSQL in a new database of the shared cluster);
 * closing it removes it.
 */
export function dialectCases(): DialectCase[] {
  return [
    {
      name: 'sqlite',
      async open() {
        const dir = mkdtempSync(join(tmpdir(), 'vigil-sqlite-'));
        const db = await openDatabase(`sqlite:${join(dir, 'vigil.db')}`);
        return { ...db, close: async () => { await db.close(); rmSync(dir, { recursive: true, force: true }); } };
      },
    },
    {
      name: 'postgres',
      async open() {
        const pgdb = await createPostgresDatabase();
        const db = await openDatabase(pgdb.url, { poolSize: 4 });
        return { ...db, close: async () => { await db.close(); await pgdb.drop(); } };
      },
    },
  ];
}

