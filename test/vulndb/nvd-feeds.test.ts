/**
 * NVD's JSON 2.0 feeds from a loopback mirror: one unit per year plus the modified feed, every
 * request conditional once imported, and the modified feed as an incremental patch that
 * replaces only the CVEs it lists (and is applied again after a year file is re-imported).
 * Feed files are written by the test in NVD's published layout.
 */
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJsonArrayElements } from '../../src/vulndb/json-array-stream.js';
import { NVD_FIRST_YEAR, nvdFeedYear } from '../../src/vulndb/nvd-feeds.js';
import { DEFAULT_SOURCES } from '../../src/vulndb/sources.js';
import { VulnDb } from '../../src/vulndb/store.js';
import { updateVulnDb, type UpdateResult } from '../../src/vulndb/update.js';
import { startStaticServer, type StaticServer } from './static-server.js';

const V31_HIGH = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N'; // 7.5
const V31_CRIT = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'; // 9.8
const V31_MED = 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N'; // 5.9
const THIS_YEAR = new Date().getUTCFullYear();

/** One NVD API 2.0 `cve` object with a primary v3.1 metric. */
function cve(id: string, vector: string, padding = 0): unknown {
  return {
    cve: {
      id,
      sourceIdentifier: 'cve@mitre.org',
      published: '2021-03-01T10:00:00.000',
      lastModified: '2024-06-21T10:00:00.000',
      vulnStatus: 'Analyzed',
      descriptions: [{ lang: 'en', value: `A flaw in something. ${'x'.repeat(padding)}` }],
      metrics: { cvssMetricV31: [{ source: 'nvd@nist.gov', type: 'Primary', cvssData: { version: '3.1', vectorString: vector } }] },
      weaknesses: [{ source: 'nvd@nist.gov', type: 'Primary', description: [{ lang: 'en', value: 'CWE-787' }] }],
      references: [{ url: `https://nvd.example/${id}` }],
    },
  };
}

function feed(vulnerabilities: unknown[]): Buffer {
  const doc = { resultsPerPage: vulnerabilities.length, startIndex: 0, totalResults: vulnerabilities.length, format: 'NVD_CVE', version: '2.0', timestamp: '2026-12-04T00:00:00.000', vulnerabilities };
  return gzipSync(JSON.stringify(doc));
}

let work: string;
let feeds: string;
let server: StaticServer;
let dbPath: string;
const reports: UpdateResult[] = [];

async function writeFeed(name: string, vulnerabilities: unknown[], mtime: Date): Promise<void> {
  const path = join(feeds, `nvdcve-2.0-${name}.json.gz`);
  await writeFile(path, feed(vulnerabilities));
  await utimes(path, mtime, mtime);
}

function vectors(cveId: string): string[] {
  const db = new VulnDb(dbPath);
  try {
    return (db.enrichment([cveId])[0]?.cvss ?? []).map((v) => v.vector);
  } finally {
    db.close();
  }
}

async function update(): Promise<UpdateResult> {
  const seen = server.requests.length;
  const result = await updateVulnDb({ dbPath, sources: [`nvd=${server.url}/feeds`, `osv=${join(work, 'osv')}`] });
  reports.push(result);
  (result as UpdateResult & { requests?: StaticServer['requests'] }).requests = server.requests.slice(seen);
  return result;
}

function unit(result: UpdateResult, suffix: string) {
  const found = result.units.find((u) => u.name.endsWith(`/feeds/${suffix}`));
  if (!found) throw new Error(`no unit ${suffix} in ${result.units.map((u) => u.name).join(', ')}`);
  return found;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'vigil-nvd-feeds-'));
  feeds = join(work, 'mirror', 'feeds');
  await mkdir(feeds, { recursive: true });
  const old = new Date('2026-01-01T00:00:00Z');
  // Every year NVD publishes, most of them empty here.
  for (let y = NVD_FIRST_YEAR; y <= THIS_YEAR; y++) await writeFeed(String(y), [], old);
  // 2021 is big enough that records straddle the stream's 64 KiB chunks.
  const filler = Array.from({ length: 300 }, (_, i) => cve(`CVE-2021-${String(10000 + i)}`, V31_MED, 400));
  await writeFeed('2021', [cve('CVE-2021-0001', V31_HIGH), cve('CVE-2021-0002', V31_MED), ...filler], old);
  await writeFeed('2024', [cve('CVE-2024-0001', V31_MED)], old);
  // The modified feed rescored CVE-2021-0001 after the year file was written.
  await writeFeed('modified', [cve('CVE-2021-0001', V31_CRIT)], old);
  // An advisory naming CVE-2024-0001, so that its rescoring is logged for its package.
  await mkdir(join(work, 'osv'));
  await writeFile(
    join(work, 'osv', 'GHSA-aaaa-bbbb-cccc.json'),
    JSON.stringify({ id: 'GHSA-aaaa-bbbb-cccc', modified: '2024-01-01T00:00:00Z', aliases: ['CVE-2024-0001'], affected: [{ package: { ecosystem: 'npm', name: 'left-pad' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.3.0' }] }] }] }),
  );
  server = await startStaticServer(join(work, 'mirror'));
  dbPath = join(work, 'vulndb.sqlite');
  await update();
}, 60_000);

afterAll(async () => {
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('NVD JSON 2.0 feeds', () => {
  it('are a default source, with vulnrichment', () => {
    expect(DEFAULT_SOURCES).toContain('nvd=https://nvd.nist.gov/feeds/json/cve/2.0');
    expect(DEFAULT_SOURCES).toContain('cve5=https://github.com/cisagov/vulnrichment/archive/refs/heads/develop.zip');
  });

  it('put CVEs of 1999–2001 in the 2002 feed', () => {
    expect([nvdFeedYear('CVE-1999-0001'), nvdFeedYear('CVE-2002-0001'), nvdFeedYear('CVE-2024-12345')]).toEqual([2002, 2002, 2024]);
  });

  it('import one unit per year and the modified feed, the patch applied last', () => {
    const first = reports[0];
    expect(first.failed).toBe(0);
    const nvdUnits = first.units.filter((u) => u.kind === 'nvd');
    expect(nvdUnits).toHaveLength(THIS_YEAR - NVD_FIRST_YEAR + 2);
    expect(nvdUnits.at(-1)?.name).toBe(`nvd=${server.url}/feeds/modified`);
    expect(unit(first, '2021')).toMatchObject({ status: 'updated', records: 302, skipped: 0 });
    expect(unit(first, 'modified')).toMatchObject({ status: 'updated', records: 1 });
    expect(vectors('CVE-2021-0001')).toEqual([V31_CRIT]);
    expect(vectors('CVE-2021-0002')).toEqual([V31_MED]);
    expect(vectors('CVE-2021-10299')).toEqual([V31_MED]);
  });

  it('cost one conditional request per unit when nothing changed', async () => {
    const again = await update();
    const requests = (again as UpdateResult & { requests: StaticServer['requests'] }).requests;
    expect(again.units.filter((u) => u.kind === 'nvd').every((u) => u.status === 'unchanged' && u.requests === 1)).toBe(true);
    expect(requests).toHaveLength(THIS_YEAR - NVD_FIRST_YEAR + 2);
    expect(requests.every((r) => r.status === 304 && typeof r.headers['if-none-match'] === 'string')).toBe(true);
  });

  it('update only the CVEs a new modified feed lists, and log their rescoring', async () => {
    // CVE-2024-0001 rescored; CVE-2021-0001 aged out of the modified feed (it stays as patched).
    await writeFeed('modified', [cve('CVE-2024-0001', V31_HIGH)], new Date('2026-02-01T00:00:00Z'));
    const result = await update();
    expect(result.failed).toBe(0);
    expect(unit(result, 'modified')).toMatchObject({ status: 'updated', records: 1, cvssChanged: 1 });
    expect(result.units.filter((u) => u.kind === 'nvd' && !u.name.endsWith('/modified')).every((u) => u.status === 'unchanged')).toBe(true);
    expect(vectors('CVE-2024-0001')).toEqual([V31_HIGH]);
    expect(vectors('CVE-2021-0001')).toEqual([V31_CRIT]);
    expect(vectors('CVE-2021-0002')).toEqual([V31_MED]);
    const db = new VulnDb(dbPath);
    try {
      const logged = (await db.changes(new Date(0))).filter((c) => c.kind === 'cvss-changed');
      expect(logged.map((c) => [c.advisoryId, c.ecosystem, c.name])).toEqual([['CVE-2024-0001', 'npm', 'left-pad']]);
    } finally {
      db.close();
    }
  });

  it('apply the modified feed again after a year file is re-imported', async () => {
    // NVD regenerated the 2021 file from an older state; the unchanged modified feed is newer.
    await writeFeed('2021', [cve('CVE-2021-0001', V31_MED), cve('CVE-2021-0002', V31_MED)], new Date('2026-03-01T00:00:00Z'));
    await writeFeed('modified', [cve('CVE-2021-0001', V31_CRIT)], new Date('2026-03-01T00:00:00Z'));
    await update();
    await writeFeed('2021', [cve('CVE-2021-0001', V31_MED), cve('CVE-2021-0002', V31_HIGH)], new Date('2026-04-01T00:00:00Z'));
    const result = await update();
    const requests = (result as UpdateResult & { requests: StaticServer['requests'] }).requests;
    expect(unit(result, '2021')).toMatchObject({ status: 'updated', records: 2 });
    expect(unit(result, 'modified').status).toBe('updated');
    // The patch was fetched unconditionally, so that its rows win over the older year file.
    expect(requests.find((r) => r.path.endsWith('modified.json.gz'))?.headers['if-none-match']).toBeUndefined();
    expect(vectors('CVE-2021-0001')).toEqual([V31_CRIT]);
    expect(vectors('CVE-2021-0002')).toEqual([V31_HIGH]);
    expect(vectors('CVE-2021-10000')).toEqual([]);
  });
});

describe('reading a big JSON array element by element', () => {
  it('yields each element, and a document without the array whole', async () => {
    const path = join(work, 'feed.json');
    const many = Array.from({ length: 200 }, (_, i) => cve(`CVE-2020-${1000 + i}`, V31_MED, 700));
    await writeFile(path, JSON.stringify({ note: 'a "vulnerabilities" string is not the key [', nested: { vulnerabilities: [1] }, vulnerabilities: many }));
    const got: string[] = [];
    for await (const e of readJsonArrayElements(path, 'feed.json', 'vulnerabilities')) got.push((JSON.parse(e.data.toString('utf8')) as { cve: { id: string } }).cve.id);
    expect(got).toEqual(many.map((m) => (m as { cve: { id: string } }).cve.id));
    const single = join(work, 'single.json');
    await writeFile(single, JSON.stringify(cve('CVE-2021-44906', V31_CRIT)));
    const entries = [];
    for await (const e of readJsonArrayElements(single, 'single.json', 'vulnerabilities')) entries.push(e);
    expect(entries.map((e) => e.name)).toEqual(['single.json']);
  });

  it('names the file when the document is cut short', async () => {
    const path = join(work, 'cut.json.gz');
    await writeFile(path, gzipSync(JSON.stringify({ vulnerabilities: [cve('CVE-2020-1', V31_MED)] }).slice(0, -3)));
    const read = async (): Promise<void> => {
      for await (const _ of readJsonArrayElements(path, 'cut.json.gz', 'vulnerabilities')) void _;
    };
    await expect(read()).rejects.toThrow(`${path}: truncated JSON document`);
  });
});
