/**
 * Updating from a loopback HTTP mirror of the shared data (the osv.dev bucket layout):
 * the same counts as a directory import, conditional GETs when nothing changed, and bad
 * sources (dropped connection, corrupt archive, HTTP error, unreachable host) reported by
 * name while the other sources update and nothing stored is lost.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VulnDb } from '../../src/vulndb/store.js';
import { updateVulnDb, type UpdateResult } from '../../src/vulndb/update.js';
import { runVigil } from '../helpers/cli.js';
import { vulndataDir } from './shared-db.js';
import { startStaticServer, type StaticServer } from './static-server.js';

const ONLY = ['npm', 'Maven', 'Debian', 'crates.io'];
let server: StaticServer;
let work: string;
let httpDb: string;
let first: UpdateResult;

/** A loopback port nothing listens on. */
function closedPort(): Promise<number> {
  return new Promise<number>((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

function httpSources(base: string): string[] {
  return [
    `osv=${base}/osv`,
    `kev=${base}/kev/known_exploited_vulnerabilities.json`,
    `nvd=${base}/nvd/CVE-2021/CVE-2021-449xx/CVE-2021-44906.json`,
    `debian=${base}/native/debian-security-tracker/DSA-list`,
  ];
}

async function counts(path: string) {
  const db = new VulnDb(path);
  try {
    const s = await db.status();
    // Counts only: source names and change times differ between an HTTP and a local import.
    const ecosystems = s.ecosystems.map((e) => ({ ecosystem: e.ecosystem, advisories: e.advisories, withdrawn: e.withdrawn, packages: e.packages }));
    return { advisories: s.advisories, ecosystems, enrichment: s.enrichment };
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'vigil-vulndb-http-'));
  server = await startStaticServer(vulndataDir);
  httpDb = join(work, 'http.sqlite');
  first = await updateVulnDb({ dbPath: httpDb, sources: httpSources(server.url), only: ONLY });
});

afterAll(async () => {
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('update over HTTP', () => {
  it('imports the same records as the directory', async () => {
    expect(first.failed).toBe(0);
    expect(first.units.map((u) => u.name.replace(server.url, 'URL')).sort()).toEqual(
      [
        'debian=URL/native/debian-security-tracker/DSA-list',
        'kev=URL/kev/known_exploited_vulnerabilities.json',
        'nvd=URL/nvd/CVE-2021/CVE-2021-449xx/CVE-2021-44906.json',
        ...ONLY.map((e) => `osv=URL/osv/${e}`),
      ].sort(),
    );
    const localDb = join(work, 'local.sqlite');
    const local = await updateVulnDb({
      dbPath: localDb,
      only: ONLY,
      sources: [
        `osv=${vulndataDir}/osv`,
        `kev=${vulndataDir}/kev/known_exploited_vulnerabilities.json`,
        `nvd=${vulndataDir}/nvd`,
        `debian=${vulndataDir}/native/debian-security-tracker/DSA-list`,
      ],
    });
    expect(local.failed).toBe(0);
    expect(await counts(httpDb)).toEqual(await counts(localDb));
    // Only the asked-for ecosystems were fetched: ecosystems.txt was not needed.
    expect(server.requests.some((r) => r.path === '/osv/Go/all.zip' || r.path === '/osv/ecosystems.txt')).toBe(false);
  });

  it('costs one conditional request per unchanged source and imports nothing', async () => {
    const before = server.requests.length;
    // Changes are looked up from this instant, not from a fixed window: the first import may
    // have finished only moments ago.
    const since = new Date();
    const again = await updateVulnDb({ dbPath: httpDb, sources: httpSources(server.url), only: ONLY });
    const seen = server.requests.slice(before);
    expect(again.units.every((u) => u.status === 'unchanged' && u.requests === 1)).toBe(true);
    expect(seen.length).toBe(again.units.length);
    expect(seen.every((r) => r.status === 304 && typeof r.headers['if-none-match'] === 'string')).toBe(true);
    const db = new VulnDb(httpDb);
    try {
      expect(await db.changes(since)).toHaveLength(0);
    } finally {
      db.close();
    }
  });

  it('without --only reads ecosystems.txt and fetches every listed ecosystem', async () => {
    const db = join(work, 'all-osv.sqlite');
    // The two big exports fail here (keeping the test short); they are still asked for.
    server.faults.set('/osv/Go/all.zip', 'http-500');
    server.faults.set('/osv/PyPI/all.zip', 'http-500');
    const before = server.requests.length;
    try {
      const r = await updateVulnDb({ dbPath: db, sources: [`osv=${server.url}/osv`] });
      expect(r.units.map((u) => u.name.split('/').pop()).sort()).toEqual(['Debian', 'Go', 'Maven', 'PyPI', 'crates.io', 'npm']);
      expect(r.units.filter((u) => u.status === 'failed').map((u) => u.error)).toEqual([
        `source osv=${server.url}/osv/Go: ${server.url}/osv/Go/all.zip: HTTP 500 Internal Server Error`,
        `source osv=${server.url}/osv/PyPI: ${server.url}/osv/PyPI/all.zip: HTTP 500 Internal Server Error`,
      ]);
      expect(server.requests.slice(before).map((q) => q.path)[0]).toBe('/osv/ecosystems.txt');
    } finally {
      server.faults.clear();
    }
  });

  it.each([
    // [what goes wrong, path made to fail, source whose data must survive, expected message]
    ['a connection dropped mid-download', '/osv/crates.io/all.zip', 'crates.io', /osv\/crates\.io\/all\.zip: download failed after \d+ bytes|truncated download/],
    ['a corrupt archive', '/osv/npm/all.zip', 'npm', /osv\/npm\/all\.zip.*(corrupt|CRC|invalid)/i],
    ['an HTTP error', '/kev/known_exploited_vulnerabilities.json', 'kev', /known_exploited_vulnerabilities\.json: HTTP 500/],
  ])('%s is reported by name; other sources update; stored data stays', async (_what, path, survivor, message) => {
    const before = await counts(httpDb);
    server.faults.set(path, path === '/kev/known_exploited_vulnerabilities.json' ? 'http-500' : path.includes('crates') ? 'drop' : 'corrupt');
    try {
      const r = await updateVulnDb({ dbPath: httpDb, sources: httpSources(server.url), only: ONLY });
      const failed = r.units.filter((u) => u.status === 'failed');
      expect(failed).toHaveLength(1);
      expect(failed[0].name).toContain(survivor === 'kev' ? 'kev=' : `/osv/${survivor}`);
      expect(failed[0].error).toMatch(message);
      expect(r.units.filter((u) => u.status === 'unchanged')).toHaveLength(r.units.length - 1);
      expect(await counts(httpDb)).toEqual(before);
      const db = new VulnDb(httpDb);
      try {
        expect(db.sources().find((s) => s.name === failed[0].name)?.error).toMatch(message);
      } finally {
        db.close();
      }
    } finally {
      server.faults.clear();
    }
    // Once the mirror is healthy again the source is back to unchanged (its fingerprint was kept).
    const healed = await updateVulnDb({ dbPath: httpDb, sources: httpSources(server.url), only: ONLY });
    expect(healed.units.every((u) => u.status === 'unchanged')).toBe(true);
  });

  it('when every source fails: no empty database is created, an existing one is left as it was', async () => {
    const port = await closedPort();
    const fresh = join(work, 'never.sqlite');
    await expect(updateVulnDb({ dbPath: fresh, sources: [`kev=http://127.0.0.1:${port}/kev.json`] })).rejects.toThrow(
      /no advisory source could be read, so no database was created at .*never\.sqlite:\n {2}source kev=http:\/\/127\.0\.0\.1:\d+\/kev\.json: .*request failed/,
    );
    expect(existsSync(fresh)).toBe(false);
    const builtAt = async (): Promise<string | undefined> => {
      const db = new VulnDb(httpDb);
      try {
        return (await db.status()).builtAt;
      } finally {
        db.close();
      }
    };
    const before = await builtAt();
    const r = await updateVulnDb({ dbPath: httpDb, sources: [`kev=http://127.0.0.1:${port}/kev.json`] });
    expect(r.failed).toBe(1);
    expect(r.updateId).toBe(0);
    expect(await builtAt()).toBe(before);
  });

  it('names an unreachable source and still updates the others (CLI, exit 1)', async () => {
    const port = await closedPort();
    const db = join(work, 'cli.sqlite');
    const r = await runVigil([
      'db',
      'update',
      '--vulndb',
      db,
      '--only',
      'npm',
      '--source',
      `osv=http://127.0.0.1:${port}/osv`,
      '--source',
      `kev=${server.url}/kev/known_exploited_vulnerabilities.json`,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`source osv=http://127\\.0\\.0\\.1:${port}/osv/npm: http://127\\.0\\.0\\.1:${port}/osv/npm/all\\.zip: request failed \\(.*ECONNREFUSED`));
    expect(r.stdout).toMatch(/updated\s+kev=.*: 1404 records, 0 skipped/);
    expect((await counts(db)).enrichment.kev).toBe(1404);
    expect(existsSync(`${db}.lock`)).toBe(false);
  });
});
