/**
 * Advisory database: the full import of the shared `vulndata` folder (every OSV export,
 * native format, NVD, CVE 5, KEV and EPSS), the size of the file it makes, and lookups per
 * second by (ecosystem, package) over every package in the database, cold and warm.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VulnDb } from '../src/vulndb/store.js';
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

      const db = new VulnDb(dbPath);
      try {
        const keys = db.packages();
        report('packages with advisories', keys.length, '');
        /** Lookups per second of wall time and of this process's CPU time. */
        const rate = async (label: string, n: number, fn: () => void): Promise<void> => {
          const c0 = process.cpuUsage();
          const wall = await timeIt(fn);
          const c = process.cpuUsage(c0);
          report(`${label} (wall)`, Math.round(n / (wall / 1000)), '/s', { atLeast: 50_000 });
          report(`${label} (CPU)`, Math.round(n / ((c.user + c.system) / 1e6)), '/s', { atLeast: 50_000 });
        };
        // Cold: every package once, on a fresh index (records read and parsed).
        let found = 0;
        await rate('lookups, cold, each package once', keys.length, () => {
          for (const k of keys) found += db.advisoriesFor(k.ecosystem, k.name).length;
        });
        // Warm: a scan repeats the same packages across images and hosts.
        const rounds = 5;
        await rate('lookups, warm', keys.length * rounds, () => {
          for (let i = 0; i < rounds; i++) for (const k of keys) db.advisoriesFor(k.ecosystem, k.name);
        });
        // Misses: most installed packages have no advisory at all.
        const misses = keys.map((k) => ({ ecosystem: k.ecosystem, name: `${k.name}-not-there` }));
        await rate('lookups of packages without advisories', misses.length, () => {
          for (const k of misses) db.advisoriesFor(k.ecosystem, k.name);
        });
        report('advisories returned (cold pass)', found, '');
      } finally {
        db.close();
      }
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  },
};
