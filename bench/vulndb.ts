/**
 * Advisory database: the full import of the shared `vulndata` folder (every OSV export,
 * native format, NVD, CVE 5, KEV and EPSS), the size of the file it makes, and lookups per
 * second by (ecosystem, package) over every package in the database, cold and warm.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
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
      const ms = await timeIt(async () => {
        failed = (await importVulndata(join(sharedDir, 'vulndata'), dbPath)).failed;
      });
      if (failed) throw new Error(`${failed} sources failed to import`);
      report('full import of vulndata', ms / 1000, 's', { atMost: 60 });
      report('database size', (await stat(dbPath)).size / 1048576, 'MiB');

      const db = new VulnDb(dbPath);
      try {
        const keys = db.packages();
        report('packages with advisories', keys.length, '');
        // Cold: every package once, on a fresh index (statements run, records parsed).
        let found = 0;
        const coldMs = await timeIt(() => {
          for (const k of keys) found += db.advisoriesFor(k.ecosystem, k.name).length;
        });
        report('lookups per second (cold, each package once)', Math.round(keys.length / (coldMs / 1000)), '/s', { atLeast: 50_000 });
        // Warm: a scan repeats the same packages across images and hosts.
        const rounds = 5;
        const warmMs = await timeIt(() => {
          for (let i = 0; i < rounds; i++) for (const k of keys) db.advisoriesFor(k.ecosystem, k.name);
        });
        report('lookups per second (warm)', Math.round((keys.length * rounds) / (warmMs / 1000)), '/s', { atLeast: 50_000 });
        // Misses: most installed packages have no advisory at all.
        const misses = keys.slice(0, 20_000).map((k) => ({ ecosystem: k.ecosystem, name: `${k.name}-not-there` }));
        const missMs = await timeIt(() => {
          for (const k of misses) db.advisoriesFor(k.ecosystem, k.name);
        });
        report('lookups per second (packages without advisories)', Math.round(misses.length / (missMs / 1000)), '/s', { atLeast: 50_000 });
        report('advisories returned (cold pass)', found, '');
      } finally {
        db.close();
      }
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  },
};
