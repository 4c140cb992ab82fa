/**
 * Continuous scanning figures:
 * 1. Re-evaluation after an advisory update: N stored inventories (default 10,000) of ~500
 *    packages (450 Debian 12 packages from a 600-name base set + 50 npm packages from a
 *    200,000-name pool); a database delta of 1,000 new npm advisories. Time to re-evaluate
 *    the affected inventories (inverted index → re-match → findings) versus re-matching
 *    every inventory. Goal: under 10 s.
 * 2. Push → `vigil.scan.completed` webhook latency for the debootstrapped minbase image,
 *    through a real docker-registry, a real server and a loopback receiver.
 * 0. Initial evaluation of the N stored inventories (every finding new), on SQLite (goal
 *    30 s for 10,000, scaled to N) and on PostgreSQL (goal: within 2× SQLite).
 * Sizes: BENCH_CONTINUOUS_INVENTORIES, BENCH_CONTINUOUS_DELTA; BENCH_CONTINUOUS_PARTS=reevaluation,push
 * (`initial` alone stops after the initial evaluation);
 * BENCH_CONTINUOUS_DIALECTS=sqlite skips PostgreSQL; BENCH_PROF=<file> writes a CPU profile of
 * each initial evaluation there (the last one run is kept); BENCH_CONTINUOUS_PEER=<rounds> then
 * times the SQLite initial evaluation that many times more matching on one thread (no worker)
 * and as many with the matching worker whatever the load, alternately, each on a copy of the
 * seeded database (the first evaluation decides as a server would); BENCH_KEEP=1 keeps the
 * bench's directory (databases and advisory file) for a closer look.
 */
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { openDatabase, type Db } from '../src/db/connect.js';
import { createAccount } from '../src/server/accounts.js';
import type { ResourcesTable } from '../src/db/schema.js';
import { inventoryPackageKeys } from '../src/findings/inventories.js';
import type { Inventory, Package } from '../src/inventory/types.js';
import { AdvisoryEngine } from '../src/jobs/engine.js';
import { reevaluate, type ReevaluationBatches } from '../src/jobs/handlers.js';
import { othersLoad, ownLoad, sampleOwnLoad } from '../src/jobs/own-load.js';
import { matchStored } from '../src/jobs/stored-match.js';
import { log } from '../src/log.js';
import { startServer } from '../src/server/start.js';
import { changesSince, updateVulnDb } from '../src/vulndb/update.js';
import { WebhookReceiver } from '../test/events/receiver.js';
import { debianImages } from '../test/helpers/images.js';
import { createPostgresDatabase } from '../test/helpers/postgres.js';
import { copyToRegistry, freePort, startLocalRegistry } from '../test/registries/local-registry.js';
import type { Bench } from './benches.js';
import { report, timeIt } from './report.js';

/** A small deterministic PRNG (mulberry32), so runs are comparable. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BASE_NAMES = 600;
const NPM_POOL = 200_000;

function debName(i: number): string {
  return `debpkg${i}`;
}
function npmName(i: number): string {
  return `npmpkg-${i}`;
}

function pkg(ecosystem: string, purlType: string, name: string, version: string): Package {
  return { ecosystem, purlType, name, version, purl: `pkg:${purlType}/${name}@${version}`, locations: [], extractor: 'bench@1' };
}

function inventoryOf(n: number, rand: () => number): Inventory {
  const packages: Package[] = [];
  const deb = new Set<number>();
  while (deb.size < 450) deb.add(Math.floor(rand() * BASE_NAMES));
  for (const i of deb) packages.push(pkg('Debian:12', 'deb', debName(i), `1.${i % 7}.${Math.floor(rand() * 3)}-1`));
  const npm = new Set<number>();
  while (npm.size < 50) npm.add(Math.floor(rand() * NPM_POOL));
  for (const i of npm) packages.push(pkg('npm', 'npm', npmName(i), `2.${Math.floor(rand() * 5)}.0`));
  return {
    schemaVersion: 1,
    target: { type: 'host', name: `bench-host-${n}` },
    os: { id: 'debian', ecosystem: 'Debian:12', versionId: '12' },
    packages,
    warnings: [],
    partial: false,
    scannedAt: new Date(0).toISOString(),
  };
}

function osv(id: string, ecosystem: string, name: string, fixed: string): Record<string, unknown> {
  return {
    id,
    modified: '2026-11-01T00:00:00Z',
    aliases: [`CVE-2026-${id.replace(/\D/g, '').slice(-6)}`],
    severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N' }],
    affected: [{ package: { ecosystem, name }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }] }],
  };
}

/** A host resource row of the bench account, as `upsertResource` would create it. */
function benchResource(name: string): ResourcesTable {
  return {
    id: randomUUID(),
    account_id: 'bench',
    type: 'HOST',
    name,
    image_registry: null,
    image_repository: null,
    image_digest: null,
    image_tags: '[]',
    tags: '{}',
    os: null,
    created_at: 0,
    updated_at: 0,
    last_scan_at: null,
    last_scan_status: null,
    last_scan_error: null,
    coverage_detail: null,
    inventory_version: 0,
  };
}

/** Goal for the initial evaluation of 10,000 stored inventories (issue #16), scaled to the set's size. */
const INITIAL_GOAL_S = 30;

/**
 * Stores `total` inventories of 500 packages (resources, inventory bodies, the inverted
 * index) without evaluating them, and returns the resources' ids. Seeding is not what is
 * measured: multi-row inserts, and the inverted index's rows collected in an unindexed
 * temporary table and copied once in key order (random-order inserts into its indexes take
 * minutes); on SQLite with a large page cache and no syncs, the service's restored after.
 */
async function seedInventories(db: Db, total: number, rand: () => number): Promise<string[]> {
  const sqlite = db.dialect === 'sqlite';
  await createAccount(db, 'bench');
  if (sqlite) {
    await sql`PRAGMA cache_size = -1000000`.execute(db.kysely);
    await sql`PRAGMA synchronous = OFF`.execute(db.kysely);
  }
  const seedMs = await timeIt(async () => {
    await db.kysely.transaction().execute(async (trx) => {
      await sql`CREATE TEMP TABLE seed_packages (ecosystem TEXT, name TEXT, resource_id TEXT, account_id TEXT)`.execute(trx);
      for (let start = 0; start < total; start += 500) {
        const items = [];
        for (let n = start; n < Math.min(total, start + 500); n++) {
          const inventory = inventoryOf(n, rand);
          const resource = { ...benchResource(inventory.target.name), inventory_version: 1 };
          items.push({ resource, inventory });
        }
        for (let i = 0; i < items.length; i += 100) await trx.insertInto('resources').values(items.slice(i, i + 100).map((item) => item.resource)).execute();
        const bodies = items.map(({ resource, inventory }) => ({ resource_id: resource.id, version: 1, account_id: 'bench', created_at: 0, package_count: inventory.packages.length, inventory: JSON.stringify(inventory) }));
        for (let i = 0; i < bodies.length; i += 50) await trx.insertInto('inventories').values(bodies.slice(i, i + 50)).execute();
        const keys = items.flatMap(({ resource, inventory }) => inventoryPackageKeys(inventory).map((k) => sql`(${k.ecosystem}, ${k.name}, ${resource.id}, 'bench')`));
        for (let i = 0; i < keys.length; i += 5000) await sql`INSERT INTO seed_packages VALUES ${sql.join(keys.slice(i, i + 5000))}`.execute(trx);
      }
      await sql`INSERT INTO inventory_packages (ecosystem, name, resource_id, account_id) SELECT ecosystem, name, resource_id, account_id FROM seed_packages ORDER BY ecosystem, name, resource_id`.execute(trx);
      await sql`DROP TABLE seed_packages`.execute(trx);
    });
  });
  if (sqlite) {
    // The seeded pages are copied from the write-ahead log into the database file now, not by
    // the first checkpoint of the evaluation measured next.
    await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(db.kysely);
    await sql`PRAGMA cache_size = -65536`.execute(db.kysely);
    await sql`PRAGMA synchronous = NORMAL`.execute(db.kysely);
  } else {
    await sql`ANALYZE`.execute(db.kysely);
  }
  console.log(`  (${db.dialect}: seeded ${total.toLocaleString('en-US')} inventories of 500 packages in ${(seedMs / 1000).toFixed(1)} s)`);
  return (await db.kysely.selectFrom('resources').select('id').execute()).map((r) => r.id);
}

/** Runs `fn`, writing a CPU profile of it (for Chrome DevTools) to `file` when one is named. */
async function profiled<T>(file: string | undefined, fn: () => Promise<T>): Promise<T> {
  if (!file) return fn();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await fn();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  }
}

/**
 * CPU time (user + system) of this process's main thread so far, from Linux's per-thread
 * accounting (NaN elsewhere): beside the process's, it tells the job thread's share from the
 * matching worker's (and V8's helper threads').
 */
function mainThreadCpuSeconds(): number {
  return cpuSecondsOf(`/proc/self/task/${process.pid}/stat`) ?? Number.NaN;
}

/** User and system CPU seconds of a process or thread from its `/proc` stat file, if it can be read. */
function cpuSecondsOf(statFile: string): number | undefined {
  try {
    const stat = readFileSync(statFile, 'utf8');
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds used so far by the `postgres` processes of this machine (the bench's cluster):
 * on PostgreSQL, most of storing happens there, beside this process's CPU.
 */
function postgresCpuSeconds(): number {
  let total = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const stat = `/proc/${pid}/stat`;
    try {
      if (!readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('postgres')) continue;
    } catch {
      continue;
    }
    total += cpuSecondsOf(stat) ?? 0;
  }
  return total;
}

/**
 * Evaluates every stored inventory for the first time (every finding is new), reports the time
 * beside `goal`, and returns it with the part spent storing (milliseconds).
 */
async function initialEvaluation(db: Db, engine: AdvisoryEngine, ids: string[], goal: { atMost: number }, goalNote = `goal ${INITIAL_GOAL_S} s per 10,000`, batches: ReevaluationBatches = {}): Promise<{ ms: number; storeMs: number }> {
  console.log(`  (load average before the initial evaluation: ${loadavg().map((n) => n.toFixed(2)).join(', ')}; this process's share of it ${ownLoad().toFixed(2)}, other processes' ${othersLoad().toFixed(2)})`);
  let stats: Awaited<ReturnType<typeof reevaluate>> | undefined;
  // CPU time beside wall time: on a shared machine it is the figure comparable between runs.
  const cpu = process.cpuUsage();
  const mainCpu0 = mainThreadCpuSeconds();
  const serverCpu0 = db.dialect === 'postgres' ? postgresCpuSeconds() : 0;
  const ms = await profiled(process.env.BENCH_PROF, () =>
    timeIt(async () => {
      stats = await reevaluate({ db, engine: () => engine.current() }, { resourceIds: ids }, undefined, batches);
    }),
  );
  const used = process.cpuUsage(cpu);
  const mainCpu = mainThreadCpuSeconds() - mainCpu0;
  const serverCpu = db.dialect === 'postgres' ? `; PostgreSQL's processes ${(postgresCpuSeconds() - serverCpu0).toFixed(2)} s` : '';
  const s = stats!;
  report(`${db.dialect} initial evaluation of ${ids.length.toLocaleString('en-US')} inventories (${goalNote})`, ms / 1000, 's', { atMost: Number(goal.atMost.toFixed(1)) });
  console.log(
    `  (${s.created.toLocaleString('en-US')} findings stored, ${s.worker ? `matched in a worker thread, ${s.matchedHere.toLocaleString('en-US')} inventories on the job thread while it was busy (matching: those and waiting)` : 'matched on the job thread'}: matching ${(s.matchMs / 1000).toFixed(2)} s, storing ${(s.storeMs / 1000).toFixed(2)} s, ${((s.storeMs * 1000) / Math.max(1, s.created)).toFixed(0)} µs per finding; ` +
      `CPU ${((used.user + used.system) / 1e6).toFixed(2)} s (user ${(used.user / 1e6).toFixed(2)}, sys ${(used.system / 1e6).toFixed(2)}; main thread ${Number.isNaN(mainCpu) ? '?' : mainCpu.toFixed(2)}${serverCpu}); load average after ${loadavg().map((n) => n.toFixed(2)).join(', ')})`,
  );
  return { ms, storeMs: s.storeMs };
}

/** Finding rows per transaction of the floor: about what a transaction of 1,000 bench inventories stores. */
const FLOOR_ROWS_PER_TRANSACTION = 32_500;

/**
 * The floor of storing an evaluation on SQLite: SQLite alone copying the finding rows stored
 * into an empty copy of `findings` with the same indexes (`INSERT … SELECT`: no JavaScript, no
 * statement per row), in transactions of the evaluation's size, committed as the server
 * commits them. Returns milliseconds; the copy is dropped after.
 */
async function sqliteStoringFloor(db: Db): Promise<number> {
  const sqlite = db.sqlite!;
  const table = sqlite.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'findings'").pluck().get() as string;
  const indexes = sqlite.prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'findings' AND sql IS NOT NULL").pluck().all() as string[];
  sqlite.exec(table.replace(/"findings"/, '"floor_findings"'));
  for (const index of indexes) sqlite.exec(index.replace(/INDEX "([^"]+)" on "findings"/i, 'INDEX "floor_$1" on "floor_findings"'));
  const rowids = sqlite.prepare('SELECT rowid FROM findings ORDER BY rowid').pluck().all() as number[];
  const copy = sqlite.prepare('INSERT INTO floor_findings SELECT * FROM findings WHERE rowid BETWEEN ? AND ?');
  try {
    return await timeIt(() => {
      for (let i = 0; i < rowids.length; i += FLOOR_ROWS_PER_TRANSACTION) {
        const last = rowids[Math.min(rowids.length, i + FLOOR_ROWS_PER_TRANSACTION) - 1]!;
        sqlite.transaction(() => copy.run(rowids[i], last))();
      }
    });
  } finally {
    sqlite.exec('DROP TABLE floor_findings');
  }
}

/**
 * What handing one batch of match results from the worker to the job thread costs: a structured
 * clone of them (what `postMessage` does), beside a JSON round trip.
 */
async function resultCloneCost(db: Db, engine: AdvisoryEngine, ids: string[]): Promise<void> {
  const rows = await db.kysely.selectFrom('resources as r').innerJoin('inventories as i', 'i.resource_id', 'r.id').select(['r.id', 'i.inventory']).where('r.id', 'in', ids).execute();
  const results = rows.map((r) => matchStored(engine.current(), { resourceId: r.id, inventoryVersion: 1, inventory: r.inventory, context: {} }));
  const findings = results.reduce((n, r) => n + r.result.findings.length, 0);
  const cloneMs = await timeIt(async () => void structuredClone(results));
  const jsonMs = await timeIt(async () => void JSON.parse(JSON.stringify(results)));
  console.log(`  (results of ${results.length} inventories, ${findings.toLocaleString('en-US')} findings: structured clone ${cloneMs.toFixed(1)} ms, JSON round trip ${jsonMs.toFixed(1)} ms)`);
}

async function reevaluationBench(dir: string, dialects: readonly string[], initialOnly = false): Promise<void> {
  const total = Number(process.env.BENCH_CONTINUOUS_INVENTORIES ?? 10_000);
  const deltaSize = Number(process.env.BENCH_CONTINUOUS_DELTA ?? 1_000);
  const rand = rng(42);
  const osvDir = join(dir, 'osv');
  mkdirSync(osvDir, { recursive: true });
  // Baseline advisories: 100 Debian source packages and 2,000 npm packages.
  for (let i = 0; i < 100; i++) writeFileSync(join(osvDir, `DEB-${i}.json`), JSON.stringify(osv(`DEB-${i}`, 'Debian:12', debName(i * 6), '1.3.0-1')));
  for (let i = 0; i < 2000; i++) writeFileSync(join(osvDir, `NPM-${i}.json`), JSON.stringify(osv(`NPM-${i}`, 'npm', npmName(Math.floor(rand() * NPM_POOL)), '2.3.0')));
  const vulndb = join(dir, 'vulndb.sqlite');
  await updateVulnDb({ dbPath: vulndb, sources: [`osv=${osvDir}`] });
  const engine = new AdvisoryEngine(vulndb);
  // As the server opens it: commits leave the copy into the file to a worker thread.
  const db: Db = await openDatabase(`sqlite:${join(dir, 'vigil.db')}`, { backgroundCheckpoints: true });
  try {
    const ids = await seedInventories(db, total, rng(7));
    // Peer rounds: copies of the seeded database (its log is checkpointed, so the file holds
    // every inventory), evaluated alternately matching on one thread and with the worker, so
    // both see the same neighbours on this shared machine.
    const rounds = Number(process.env.BENCH_CONTINUOUS_PEER ?? 0);
    for (let i = 0; i < 2 * rounds; i++) copyFileSync(join(dir, 'vigil.db'), join(dir, `peer-${i}.db`));
    const first = await initialEvaluation(db, engine, ids, { atMost: (INITIAL_GOAL_S * total) / 10_000 });
    const floorMs = await sqliteStoringFloor(db);
    report('  its floor: SQLite alone copying the stored finding rows into a copy of the table with the same indexes', floorMs / 1000, 's');
    console.log(`  (storing took ${(first.storeMs / floorMs).toFixed(2)}× that floor, with the timeline and scan rows, reading the stored findings, and this thread's JavaScript)`);
    for (let i = 0; i < 2 * rounds; i++) {
      const file = join(dir, `peer-${i}.db`);
      const peer = await openDatabase(`sqlite:${file}`, { backgroundCheckpoints: true });
      const oneThread = i % 2 === 0;
      try {
        const note = `goal ${INITIAL_GOAL_S} s per 10,000; peer round ${Math.floor(i / 2) + 1}: ${oneThread ? 'matching on the job thread' : 'matching worker'}`;
        await initialEvaluation(peer, engine, ids, { atMost: (INITIAL_GOAL_S * total) / 10_000 }, note, { workerFrom: oneThread ? Infinity : 0 });
      } finally {
        await peer.close();
        rmSync(file, { force: true });
        rmSync(`${file}-wal`, { force: true });
        rmSync(`${file}-shm`, { force: true });
      }
    }
    await resultCloneCost(db, engine, ids.slice(0, 250));
    if (dialects.includes('postgres')) {
      const pgdb = await createPostgresDatabase();
      const pgsql = await openDatabase(pgdb.url);
      try {
        await initialEvaluation(pgsql, engine, await seedInventories(pgsql, total, rng(7)), { atMost: (2 * first.ms) / 1000 }, 'PostgreSQL, goal 2× SQLite');
      } finally {
        await pgsql.close();
        await pgdb.drop();
      }
    }
    if (initialOnly) return;

    // The delta: new npm advisories on packages drawn from the whole pool.
    const since = new Date(Date.now() - 1000);
    for (let i = 0; i < deltaSize; i++) writeFileSync(join(osvDir, `NPMD-${i}.json`), JSON.stringify(osv(`NPMD-${i}`, 'npm', npmName(Math.floor(rand() * NPM_POOL)), '2.4.0')));
    const updateMs = await timeIt(() => updateVulnDb({ dbPath: vulndb, sources: [`osv=${osvDir}`] }));
    const changed = changesSince(vulndb, since);
    report(`advisory update importing the delta (${changed.length.toLocaleString('en-US')} changed packages)`, updateMs / 1000, 's');

    // The machine is shared: say how busy it was next to the figure that has a goal.
    console.log(`  (load average before re-evaluation: ${loadavg().map((n) => n.toFixed(2)).join(', ')})`);
    let stats: Awaited<ReturnType<typeof reevaluate>> | undefined;
    const incMs = await timeIt(async () => {
      stats = await reevaluate({ db, engine: () => engine.current() }, { changed });
    });
    const s = stats!;
    console.log(
      `  (${s.reevaluated.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} inventories affected; ${s.created.toLocaleString('en-US')} findings created; ` +
        `index lookup ${(s.lookupMs / 1000).toFixed(2)} s, matching ${(s.matchMs / 1000).toFixed(2)} s, storing ${(s.storeMs / 1000).toFixed(2)} s)`,
    );
    report(`re-evaluation after a ${deltaSize.toLocaleString('en-US')}-advisory delta (inverted index)`, incMs / 1000, 's', { atMost: 10 });
    const fullMs = await timeIt(() => reevaluate({ db, engine: () => engine.current() }, { resourceIds: ids }));
    report('re-matching every inventory instead', fullMs / 1000, 's');
    report('speed-up of incremental re-evaluation', fullMs / incMs, 'x');
  } finally {
    engine.close();
    await db.close();
  }
}

async function pushLatencyBench(dir: string): Promise<void> {
  const images = await debianImages();
  const vulndb = join(dir, 'vulndb-push.sqlite');
  const osvDir = join(dir, 'osv-push');
  mkdirSync(osvDir, { recursive: true });
  writeFileSync(join(osvDir, 'DSA-1.json'), JSON.stringify(osv('DSA-1', 'Debian:12', 'openssl', '99.0.0-1')));
  await updateVulnDb({ dbPath: vulndb, sources: [`osv=${osvDir}`] });
  Object.assign(process.env, { VIGIL_VULNDB: vulndb, VIGIL_DATA_DIR: dir, VIGIL_WEBHOOK_ALLOW_LOOPBACK: '1', VIGIL_DB_UPDATE_EVERY_MINUTES: '0' });
  const server = await startServer({ listen: { host: '127.0.0.1', port: 0 }, database: `sqlite:${join(dir, 'push.db')}`, vulndb, log: log.child({ bench: true }, { level: 'warn' }) });
  const receiver = new WebhookReceiver();
  await receiver.start();
  const port = await freePort();
  const call = async (path: string, body: unknown) => {
    const res = await fetch(`${server.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${server.bootstrap!.key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return (await res.json()) as Record<string, unknown>;
  };
  const sub = await call('/api/v1/subscriptions', { url: receiver.url, eventTypes: ['vigil.scan.completed'] });
  receiver.secret = sub.secret as string;
  // A loopback registry: the delegated administrator allows it private addresses.
  const reg = await call('/api/v1/registries', { url: `http://127.0.0.1:${port}`, allowPrivateNetwork: true });
  const registry = await startLocalRegistry({ port, notifyUrl: reg.notificationUrl as string, token: reg.notificationToken as string });
  try {
    const started = performance.now();
    let pushedAt = 0;
    await copyToRegistry(`oci:${images.ociRef('bookworm')}`, registry.host, 'bench/minbase:latest').then(() => (pushedAt = performance.now()));
    await receiver.waitFor((r) => r.some((x) => x.event.type === 'vigil.scan.completed'), 120_000);
    const done = performance.now();
    report('push → vigil.scan.completed, minbase image (from push start)', (done - started) / 1000, 's');
    report('push → vigil.scan.completed, minbase image (from push end)', (done - pushedAt) / 1000, 's', { atMost: 10 });
  } finally {
    await server.close();
    await registry.stop();
    await receiver.stop();
  }
}

/** Continuous scanning benchmark. */
export const continuousBench: Bench = {
  name: 'continuous',
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-continuous-'));
    // As the server does: the evaluations' idle-core rule leaves out the seeding's own load.
    sampleOwnLoad();
    try {
      const parts = (process.env.BENCH_CONTINUOUS_PARTS ?? 'reevaluation,push').split(',');
      const dialects = (process.env.BENCH_CONTINUOUS_DIALECTS ?? 'sqlite,postgres').split(',');
      if (parts.includes('reevaluation')) await reevaluationBench(dir, dialects);
      else if (parts.includes('initial')) await reevaluationBench(dir, dialects, true);
      if (parts.includes('push')) await pushLatencyBench(dir);
    } finally {
      if (process.env.BENCH_KEEP) console.log(`  (kept ${dir})`);
      else rmSync(dir, { recursive: true, force: true });
    }
  },
};
