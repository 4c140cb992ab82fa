/**
 * The change log: each update records the advisories added, modified, withdrawn and removed
 * and the (ecosystem, package) pairs they touch, for continuous re-evaluation. Exercised on a
 * directory of loose OSV records (real GHSA and Go records) edited between updates.
 */
import { mkdir, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readZip } from '../../src/vulndb/archive.js';
import { VulnDb } from '../../src/vulndb/store.js';
import { changesSince, updateVulnDb } from '../../src/vulndb/update.js';
import { runVigil } from '../helpers/cli.js';
import { vulndataDir } from './shared-db.js';

let work: string;
let loose: string;
let dbPath: string;
let source: string;

async function copyRecords(zip: string, take: (name: string) => boolean): Promise<void> {
  for await (const e of readZip(zip, take)) await writeFile(join(loose, e.name), e.data);
}

async function edit(name: string, change: (r: Record<string, unknown>) => void): Promise<void> {
  const path = join(loose, name);
  const r = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  change(r);
  await writeFile(path, JSON.stringify(r, null, 2));
}

const tick = () => new Promise((r) => setTimeout(r, 15));

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'vigil-vulndb-changes-'));
  loose = join(work, 'loose');
  await mkdir(loose);
  await copyRecords(join(vulndataDir, 'osv/npm/all.zip'), () => true);
  await copyRecords(join(vulndataDir, 'osv/Maven/all.zip'), () => true);
  // A Go record: its `modified` is the placeholder 0001-01-01 (see SOURCES.md).
  await copyRecords(join(vulndataDir, 'osv/Go/all.zip'), (n) => n === 'GO-2022-0191.json');
  dbPath = join(work, 'vulndb.sqlite');
  source = `osv=${loose}`;
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('change log', () => {
  it('records every advisory of a first import as added, with its packages', async () => {
    const t0 = new Date();
    const r = await updateVulnDb({ dbPath, sources: [source] });
    expect(r.units[0].changes).toEqual({ added: 5, modified: 0, withdrawn: 0, removed: 0 });
    const pairs = changesSince(dbPath, t0);
    expect(pairs).toEqual(
      expect.arrayContaining([
        { ecosystem: 'npm', name: 'lodash' },
        { ecosystem: 'npm', name: 'lodash-es' },
        { ecosystem: 'npm', name: 'minimist' },
        { ecosystem: 'Maven', name: 'org.apache.logging.log4j:log4j-core' },
        { ecosystem: 'Maven', name: 'org.springframework:spring-beans' },
        { ecosystem: 'Go', name: 'stdlib' },
      ]),
    );
    // The Go placeholder date is kept as it is, not rejected.
    const db = new VulnDb(dbPath);
    try {
      expect(db.vulnerability('GO-2022-0191')?.records[0].modified).toBe('0001-01-01T00:00:00Z');
    } finally {
      db.close();
    }
  });

  it.each([
    // [scenario, edit, expected kind, expected pairs]
    [
      'a modified record touches its packages',
      () => edit('GHSA-xvch-5gv4-984h.json', (r) => (r.details = `${String(r.details)} (edited)`)),
      'modified',
      [{ ecosystem: 'npm', name: 'minimist' }],
    ],
    [
      'a withdrawn record is logged as withdrawn',
      () => edit('GHSA-p6mc-m468-83gw.json', (r) => (r.withdrawn = '2026-01-01T00:00:00Z')),
      'withdrawn',
      [
        { ecosystem: 'npm', name: 'lodash' },
        { ecosystem: 'npm', name: 'lodash-es' },
      ],
    ],
    [
      'a record that disappears is logged as removed',
      () => unlink(join(loose, 'GHSA-jfh8-c2jp-5v3q.json')),
      'removed',
      [{ ecosystem: 'Maven', name: 'org.apache.logging.log4j:log4j-core' }],
    ],
    [
      'a package moved to another name touches both names',
      () => edit('GO-2022-0191.json', (r) => ((r.affected as { package: { name: string } }[])[0].package.name = 'golang.org/x/net')),
      'modified',
      [
        { ecosystem: 'Go', name: 'golang.org/x/net' },
        { ecosystem: 'Go', name: 'stdlib' },
      ],
    ],
  ] as const)('%s', async (_scenario, change, kind, pairs) => {
    await change();
    await tick();
    const since = new Date();
    await tick();
    const r = await updateVulnDb({ dbPath, sources: [source] });
    expect(r.units[0].status).toBe('updated');
    const c = r.units[0].changes ?? { added: 0, modified: 0, withdrawn: 0, removed: 0 };
    expect(c[kind]).toBe(1);
    expect(c.added + c.modified + c.withdrawn + c.removed).toBe(1);
    expect(changesSince(dbPath, since)).toEqual(pairs);
  });

  it('skips bad records with a counted warning naming each, and keeps the rest', async () => {
    await writeFile(join(loose, 'not-json.json'), '{ this is not json');
    await writeFile(join(loose, 'no-id.json'), JSON.stringify({ modified: '2024-01-01T00:00:00Z', affected: [] }));
    await writeFile(join(loose, 'bad-affected.json'), JSON.stringify({ id: 'X-1', modified: '2024-01-01T00:00:00Z', affected: [{ package: { ecosystem: 'npm' } }] }));
    const r = await updateVulnDb({ dbPath, sources: [source] });
    const u = r.units[0];
    expect(u.skipped).toBe(3);
    expect(u.records).toBe(4);
    expect(u.warnings).toEqual([
      expect.stringMatching(/^bad-affected\.json: not an OSV record: affected\.0\.package\.name/),
      expect.stringMatching(/^no-id\.json: not an OSV record: id/),
      expect.stringMatching(/^not-json\.json: not valid JSON/),
    ]);
  });

  it('an unchanged directory is not imported again; --force imports but logs nothing', async () => {
    const r = await updateVulnDb({ dbPath, sources: [source] });
    expect(r.units[0].status).toBe('unchanged');
    await tick();
    const since = new Date();
    const forced = await updateVulnDb({ dbPath, sources: [source], force: true });
    expect(forced.units[0].status).toBe('updated');
    expect(forced.units[0].changes).toEqual({ added: 0, modified: 0, withdrawn: 0, removed: 0 });
    expect(changesSince(dbPath, since)).toEqual([]);
  });

  it('a CVE newly added to KEV logs the packages it affects (their risk changed)', async () => {
    const kevFile = join(work, 'kev.json');
    const entry = (cveID: string) => ({ cveID, dateAdded: '2026-01-01', vulnerabilityName: 'test entry' });
    await writeFile(kevFile, JSON.stringify({ vulnerabilities: [entry('CVE-2021-44228')] }));
    const first = await updateVulnDb({ dbPath, sources: [`kev=${kevFile}`] });
    expect(first.units[0].kevAdded).toBe(1); // counted, but a first catalog logs no packages
    await tick();
    const since = new Date();
    await writeFile(kevFile, JSON.stringify({ vulnerabilities: [entry('CVE-2021-44228'), entry('CVE-2021-44906')] }));
    const second = await updateVulnDb({ dbPath, sources: [`kev=${kevFile}`] });
    expect(second.units[0].kevAdded).toBe(1);
    expect(changesSince(dbPath, since)).toEqual([{ ecosystem: 'npm', name: 'minimist' }]);
  });

  it('changed CVSS vectors and large EPSS moves log the packages they affect', async () => {
    // NVD: the real record of minimist's CVE, rescored between two updates.
    const nvdDir = join(work, 'nvd');
    await mkdir(nvdDir);
    const nvdRecord = JSON.parse(await readFile(join(vulndataDir, 'nvd/CVE-2021/CVE-2021-449xx/CVE-2021-44906.json'), 'utf8')) as {
      metrics: { cvssMetricV31: { cvssData: { vectorString: string } }[] };
    };
    await writeFile(join(nvdDir, 'CVE-2021-44906.json'), JSON.stringify(nvdRecord));
    // EPSS in FIRST's daily layout: Spring4Shell's CVE and minimist's.
    const epssFile = join(work, 'epss_scores-2026-01-01.csv');
    const epss = (spring: number, minimist: number) =>
      writeFile(epssFile, `#model_version:v2025.03.14,score_date:2026-01-01T00:00:00+0000\ncve,epss,percentile\nCVE-2022-22965,${spring},0.99\nCVE-2021-44906,${minimist},0.9\n`);
    await epss(0.9, 0.04);
    const first = await updateVulnDb({ dbPath, sources: [`nvd=${nvdDir}`, `epss=${epssFile}`] });
    // A source's first import brings scores in; nothing was scored with them before.
    expect(first.units.map((u) => [u.cvssChanged, u.epssChanged])).toEqual([
      [undefined, undefined],
      [undefined, undefined],
    ]);
    await tick();
    const since = new Date();
    nvdRecord.metrics.cvssMetricV31[0].cvssData.vectorString = 'CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H';
    await writeFile(join(nvdDir, 'CVE-2021-44906.json'), JSON.stringify(nvdRecord));
    // Spring4Shell's score drops by 0.4 (logged); minimist's moves by 0.02 (below EPSS_CHANGE_LOGGED).
    await epss(0.5, 0.06);
    const second = await updateVulnDb({ dbPath, sources: [`nvd=${nvdDir}`, `epss=${epssFile}`] });
    expect(second.units.map((u) => [u.cvssChanged, u.epssChanged])).toEqual([
      [1, undefined],
      [undefined, 1],
    ]);
    const db = new VulnDb(dbPath);
    try {
      const log = (await db.changes(since)).map((c) => [c.kind, c.advisoryId, c.ecosystem, c.name]).sort((x, y) => (x.join() < y.join() ? -1 : 1));
      expect(log).toEqual([
        ['cvss-changed', 'CVE-2021-44906', 'npm', 'minimist'],
        ...['org.springframework.boot:spring-boot-starter-web', 'org.springframework.boot:spring-boot-starter-webflux', 'org.springframework:spring-beans', 'org.springframework:spring-webflux', 'org.springframework:spring-webmvc'].map(
          (name) => ['epss-changed', 'CVE-2022-22965', 'Maven', name],
        ),
      ]);
    } finally {
      db.close();
    }
  });

  it('vigil db changes --since lists the log as JSON', async () => {
    const r = await runVigil(['db', 'changes', '--since', '1h', '--json', '--vulndb', dbPath]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { changes: { kind: string; advisoryId: string }[]; packages: unknown[] };
    expect(out.changes.filter((c) => c.kind === 'withdrawn').map((c) => c.advisoryId)).toEqual(['GHSA-p6mc-m468-83gw', 'GHSA-p6mc-m468-83gw']);
    expect(out.packages).toEqual(changesSince(dbPath, new Date(Date.now() - 3_600_000)));
    const bad = await runVigil(['db', 'changes', '--since', 'yesterday-ish', '--vulndb', dbPath]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--since "yesterday-ish"/);
  });
});
