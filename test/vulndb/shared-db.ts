/**
 * A full import of the shared `vulndata` folder, built once and reused by every test file
 * (and by other areas' tests that need "all the shared advisories"). The copy is keyed by the
 * vulndb source code and the data's SHA256SUMS, so a code change rebuilds it; concurrent test
 * workers wait for one builder (a lock directory) instead of importing twice.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, rename, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importVulndata, type UpdateResult } from '../../src/vulndb/update.js';
import { sharedDir } from '../helpers/cli.js';

/** The shared data folder with real advisories. */
export const vulndataDir = join(sharedDir, 'vulndata');

const srcDir = fileURLToPath(new URL('../../src/vulndb', import.meta.url));

async function sourceHash(): Promise<string> {
  const hash = createHash('sha256');
  const walk = async (dir: string): Promise<void> => {
    for (const e of (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = join(dir, e.name);
      if (e.isDirectory()) await walk(full);
      else if (e.name.endsWith('.ts')) hash.update(relative(srcDir, full)).update(await readFile(full));
    }
  };
  await walk(srcDir);
  // The report names each source by its absolute path, so another checkout's copy is no match.
  hash.update(vulndataDir).update(await readFile(join(vulndataDir, 'SHA256SUMS')));
  return hash.digest('hex').slice(0, 16);
}

/** A fully imported database (read it, never write it) and the report of its import. */
export interface SharedDb {
  path: string;
  report: UpdateResult;
}

/** Builds (or reuses) the full import of `vulndata`. */
export async function sharedVulnDb(): Promise<SharedDb> {
  const dir = join(tmpdir(), `vigil-test-vulndb-${await sourceHash()}`);
  const path = join(dir, 'vulndb.sqlite');
  const reportPath = join(dir, 'report.json');
  await mkdir(dir, { recursive: true });
  const lock = join(dir, 'building.lock');
  for (;;) {
    if (existsSync(reportPath)) return { path, report: JSON.parse(await readFile(reportPath, 'utf8')) as UpdateResult };
    try {
      await mkdir(lock);
    } catch {
      // Someone else is building; a lock older than 10 minutes belongs to a dead worker.
      const age = Date.now() - (await stat(lock).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if (age > 600_000) await rm(lock, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 500));
      continue;
    }
    try {
      const building = join(dir, `build-${process.pid}.sqlite`);
      const report = await importVulndata(vulndataDir, building);
      if (report.failed > 0) throw new Error(`importing ${vulndataDir} failed: ${JSON.stringify(report.units.filter((u) => u.status === 'failed'))}`);
      await rename(building, path);
      await writeFile(`${reportPath}.tmp`, JSON.stringify({ ...report, dbPath: path }));
      await rename(`${reportPath}.tmp`, reportPath);
    } finally {
      await rm(lock, { recursive: true, force: true });
    }
  }
}
