/**
 * Advisory database: the full import of the shared `vulndata` folder (every OSV export,
 * native format, NVD, CVE 5, KEV and EPSS), the size of the file it makes, and lookups per
 * second by (ecosystem, package) over every package in the database: cold (first lookups on a
 * database just opened), mixed with packages that have no advisories, and warm.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VulnDb } from '../src/vulndb/store.js';
import type { IndexedAdvisory } from '../src/vulndb/types.js';
import { importVulndata } from '../src/vulndb/update.js';
import type { Bench } from './benches.js';
import { report, timeIt } from './report.js';

const sharedDir = process.env.VIGIL_SHARED_DIR ?? fileURLToPath(new URL('../../shared', import.meta.url));

/** The vulndb benchmark. */
export const vulndbBench: Bench = {
  name: 'vulndb',
  async run() {
    const work = await mkdtemp(join(tmpdir(), 'vigil-bench-vulndb-'));
    try {
      const dbPath = join(work, 'vulndb.sqlite');
      let failed = 0;
      const cpu0 = process.cpuUsage();
      const ms = await timeIt(async () => {
        failed = (await importVulndata(join(sharedDir, 'vulndata'), dbPath)).failed;
      });
      const cpu = process.cpuUsage(cpu0);
      if (failed) throw new Error(`${failed} sources failed to import`);
      report('full import of vulndata (wall)', ms / 1000, 's', { atMost: 60 });
      // On a shared machine the wall time includes waiting for a core; CPU time does not.
      report('full import of vulndata (CPU)', (cpu.user + cpu.system) / 1e6, 's', { atMost: 60 });
      report('load average (1 min) while measuring', loadavg()[0], '');
      report('database size', (await stat(dbPath)).size / 1048576, 'MiB');

      // Lookups run in a fresh process, as in `vigil scan` or the server, not in this one whose
      // heap still holds what the import allocated.
      const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), LOOKUPS_FLAG, dbPath], {
        cwd: fileURLToPath(new URL('..', import.meta.url)),
        stdio: 'inherit',
      });
      if (child.status !== 0) throw new Error(`the lookup measurement exited with ${child.status ?? child.signal}`);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  },
};

const LOOKUPS_FLAG = '--measure-lookups';

/** Lookups per second by (ecosystem, package) against the database at `dbPath`. */
async function measureLookups(dbPath: string): Promise<void> {
  report('load average (1 min) while measuring lookups', loadavg()[0], '');
  const keys = (() => {
    const db = new VulnDb(dbPath);
    try {
      return db.packages();
    } finally {
      db.close();
    }
  })();
  report('packages with advisories', keys.length, '');
  /**
   * Runs `fn` on a freshly opened database (nothing read or cached yet), or on `db`; with
   * `runs`, that many times, each on a fresh connection, and reports the median run (one
   * descheduling on this shared machine would otherwise decide the figure).
   */
  const rate = async (label: string, n: number, fn: (db: VulnDb) => void, opts: { db?: VulnDb; goal?: boolean; runs?: number } = {}): Promise<void> => {
    const walls: number[] = [];
    const cpus: number[] = [];
    for (let run = 0; run < (opts.runs ?? 1); run++) {
      const db = opts.db ?? new VulnDb(dbPath);
      try {
        const c0 = process.cpuUsage();
        walls.push(await timeIt(() => fn(db)));
        const c = process.cpuUsage(c0);
        cpus.push((c.user + c.system) / 1000);
      } finally {
        if (!opts.db) db.close();
      }
    }
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const goal = opts.goal === false ? undefined : { atLeast: 50_000 };
    const of = walls.length > 1 ? `, median of ${walls.length}` : '';
    report(`${label} (wall${of})`, Math.round(n / (median(walls) / 1000)), '/s', goal);
    report(`${label} (CPU${of})`, Math.round(n / (median(cpus) / 1000)), '/s', goal);
  };
  /** Reads what matching reads of each advisory (id, withdrawn flag, the package's ranges). */
  const touch = (found: readonly IndexedAdvisory[]): number => {
    let n = 0;
    for (const a of found) n += (a.match ?? a.affected).length + (a.withdrawn ?? a.record.withdrawn ? 1 : 0) + (a.id ?? a.record.id).length;
    return n;
  };
  let returned = 0;
  const coldPass = (db: VulnDb): void => {
    returned = 0;
    for (const k of keys) {
      const found = db.advisoriesFor(k.ecosystem, k.name);
      returned += found.length;
      touch(found);
    }
  };
  // Cold: the first lookup of every package that has advisories, on a database just opened
  // (the first lookup also reads the key table): what matching a new inventory costs. The
  // first such pass in this process also pays for V8 compiling the lookup code, which a
  // server pays once: it is shown apart, and the goal is checked on the next passes, each
  // on another fresh connection.
  await rate('lookups, cold, first pass in this process (code not yet compiled)', keys.length, coldPass, { goal: false });
  await rate('lookups, cold: first lookup of each package with advisories', keys.length, coldPass, { runs: 5 });
  report('advisories returned (cold pass)', returned, '');
  // For information: the same, also reading every full record and entry (what `db search`
  // and finding output need; matching reads them only for the advisories that match).
  await rate(
    'lookups, cold, with every full record read',
    keys.length,
    (db) => {
      for (const k of keys) for (const a of db.advisoriesFor(k.ecosystem, k.name)) returned += touch([a]) + a.record.id.length + a.affected.length;
    },
    { goal: false },
  );
  // Mixed, as a scan sees it: most installed packages have no advisory at all. Every
  // package with advisories once and four misses each, in a fixed shuffled order.
  const mixed = keys.flatMap((k, i) => [k, ...[1, 2, 3, 4].map((j) => ({ ecosystem: k.ecosystem, name: `${k.name}-not-there-${(i * 7 + j) % 13}` }))]);
  for (let i = mixed.length - 1, seed = 42; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const j = seed % (i + 1);
    [mixed[i], mixed[j]] = [mixed[j], mixed[i]];
  }
  await rate('lookups, mixed: 1 package with advisories to 4 without, cold', mixed.length, (db) => {
    for (const k of mixed) touch(db.advisoriesFor(k.ecosystem, k.name));
  });
  const warmDb = new VulnDb(dbPath);
  try {
    for (const k of keys) warmDb.advisoriesFor(k.ecosystem, k.name);
    // Warm: a scan repeats the same packages across images and hosts.
    const rounds = 5;
    await rate(
      'lookups, warm',
      keys.length * rounds,
      (db) => {
        for (let i = 0; i < rounds; i++) for (const k of keys) touch(db.advisoriesFor(k.ecosystem, k.name));
      },
      { db: warmDb },
    );
    // Misses: most installed packages have no advisory at all.
    const misses = keys.map((k) => ({ ecosystem: k.ecosystem, name: `${k.name}-not-there` }));
    await rate(
      'lookups of packages without advisories',
      misses.length,
      (db) => {
        for (const k of misses) db.advisoriesFor(k.ecosystem, k.name);
      },
      { db: warmDb },
    );
  } finally {
    warmDb.close();
  }
}

if (process.argv[2] === LOOKUPS_FLAG && process.argv[3]) await measureLookups(process.argv[3]);
