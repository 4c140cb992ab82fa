/**
 * The advisory database built from all of `../shared/vulndata`, once per machine and per
 * version of the data and of the importer code, shared by every test file (under a lock).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importVulndata } from '../../src/vulndb/update.js';
import { sharedDir } from '../helpers/cli.js';
import { testWorkDir, withLock } from '../helpers/images.js';

/** The shared vulnerability data folder. */
export const vulndataDir = join(sharedDir, 'vulndata');

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sourceFiles(path)));
    else if (entry.name.endsWith('.ts')) out.push(path);
  }
  return out.sort();
}

// A database built by older importer code would hide importer changes: key the cache by both.
async function cacheKey(): Promise<string> {
  const hash = createHash('sha256');
  hash.update(await readFile(join(vulndataDir, 'SHA256SUMS')));
  for (const file of await sourceFiles(fileURLToPath(new URL('../../src/vulndb', import.meta.url)))) hash.update(await readFile(file));
  return hash.digest('hex').slice(0, 16);
}

/** Path of the full database, building it when this data and code have none yet. */
export async function fullVulnDb(): Promise<string> {
  const key = await cacheKey();
  const path = join(testWorkDir, `vulndb-full-${key}.sqlite`);
  if (existsSync(path)) return path;
  return withLock(`vulndb-full-${key}`, async () => {
    if (existsSync(path)) return path;
    const result = await importVulndata(vulndataDir, path);
    if (result.failed > 0) {
      await rm(path, { force: true });
      throw new Error(`importing ${vulndataDir} failed: ${JSON.stringify(result.units.filter((u) => u.status === 'failed'))}`);
    }
    return path;
  });
}
