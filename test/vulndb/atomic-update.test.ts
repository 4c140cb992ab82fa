/**
 * The swap is atomic: an update killed with SIGKILL half-way leaves the previous database
 * readable and unchanged, the next update cleans up after it, and a reader that opened the
 * old file keeps reading it while a new one is swapped in.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VulnDb } from '../../src/vulndb/store.js';
import { updateVulnDb } from '../../src/vulndb/update.js';
import { vulndataDir } from './shared-db.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const kev = `kev=${vulndataDir}/kev/known_exploited_vulnerabilities.json`;
const epss = `epss=${vulndataDir}/epss/epss-by-year.zip`;
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'vigil-vulndb-atomic-'));
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

async function snapshot(path: string) {
  const db = new VulnDb(path);
  try {
    const s = await db.status();
    return { builtAt: s.builtAt, enrichment: s.enrichment, advisories: s.advisories, kev: db.enrichment(['CVE-2021-44228'])[0]?.kev?.dateAdded };
  } finally {
    db.close();
  }
}

describe('atomic swap', () => {
  it('an update killed half-way leaves the old database readable and unchanged', async () => {
    const dbPath = join(work, 'killed.sqlite');
    await updateVulnDb({ dbPath, sources: [kev] });
    const before = await snapshot(dbPath);
    expect(before.enrichment.kev).toBe(1404);

    // A real `vigil db update` importing 360,000 EPSS rows, killed once its copy is being written.
    const child = spawn(process.execPath, ['--import', 'tsx', `${root}/src/cli/main.ts`, 'db', 'update', '--vulndb', dbPath, '--source', kev, '--source', epss, '--force'], {
      cwd: root,
      env: { ...process.env, VIGIL_LOG_LEVEL: 'silent' },
      stdio: 'ignore',
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    const tmp = `${dbPath}.tmp-${child.pid}`;
    const deadline = Date.now() + 60_000;
    while (!existsSync(tmp) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(existsSync(tmp)).toBe(true);
    await new Promise((r) => setTimeout(r, 800));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    // The old file is still the database, whole and unchanged; the debris is still there.
    expect(await snapshot(dbPath)).toEqual(before);
    expect(existsSync(`${dbPath}.lock`)).toBe(true);

    // The next update takes over the dead updater's lock and removes its copy.
    const next = await updateVulnDb({ dbPath, sources: [kev] });
    expect(next.failed).toBe(0);
    const left = (await readdir(work)).filter((n) => n.startsWith(`${basename(dbPath)}.`));
    expect(left).toEqual([]);
    expect((await snapshot(dbPath)).enrichment.kev).toBe(1404);
  });

  it('a reader keeps its snapshot while a new file is swapped in', async () => {
    const dbPath = join(work, 'reader.sqlite');
    await updateVulnDb({ dbPath, sources: [`osv=${vulndataDir}/osv`], only: ['npm'] });
    const reader = new VulnDb(dbPath);
    try {
      expect(reader.advisoriesFor('npm', 'minimist').map((a) => a.record.id)).toEqual(['GHSA-xvch-5gv4-984h']);
      await updateVulnDb({ dbPath, sources: [`osv=${vulndataDir}/osv`], only: ['Maven'] });
      // The open reader still sees its file; a new reader sees both ecosystems.
      expect((await reader.status()).ecosystems.map((e) => e.ecosystem)).toEqual(['npm']);
      const fresh = new VulnDb(dbPath);
      try {
        expect((await fresh.status()).ecosystems.map((e) => e.ecosystem)).toEqual(['Maven', 'npm']);
      } finally {
        fresh.close();
      }
    } finally {
      reader.close();
    }
  });

  it('refuses a second updater while the first is alive, by name', async () => {
    const dbPath = join(work, 'locked.sqlite');
    // The lock of a live updater (this test runner's parent process stands in for it).
    await writeFile(`${dbPath}.lock`, String(process.ppid));
    await expect(updateVulnDb({ dbPath, sources: [kev] })).rejects.toThrow(/another update of .*locked\.sqlite is running \(pid \d+\)/);
    expect(existsSync(dbPath)).toBe(false);
    await unlink(`${dbPath}.lock`);
    expect((await updateVulnDb({ dbPath, sources: [kev] })).failed).toBe(0);
  });
});
