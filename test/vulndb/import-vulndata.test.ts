/**
 * The real shared data, imported in full once: every source's count equals the records in
 * the source (counted here independently of the importers) minus the skipped ones, which
 * are reported; then lookups, alias merging, enrichment and the CLI on top of it.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import yauzl from 'yauzl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VulnDb } from '../../src/vulndb/store.js';
import type { UnitReport } from '../../src/vulndb/update.js';
import { affectsVersion } from '../../src/vulndb/version-filter.js';
import { runVigil } from '../helpers/cli.js';
import { sharedVulnDb, vulndataDir, type SharedDb } from './shared-db.js';

async function zipNames(path: string): Promise<string[]> {
  const zip = await yauzl.openPromise(path, { lazyEntries: true });
  const names: string[] = [];
  for await (const e of zip.eachEntry()) names.push(e.fileName);
  zip.close();
  return names;
}

async function zipTexts(path: string, filter: (n: string) => boolean): Promise<string[]> {
  const zip = await yauzl.openPromise(path, { lazyEntries: true });
  const out: string[] = [];
  for await (const e of zip.eachEntry()) {
    if (!filter(e.fileName)) continue;
    const chunks: Buffer[] = [];
    for await (const c of await zip.openReadStreamPromise(e)) chunks.push(c as Buffer);
    out.push(Buffer.concat(chunks).toString('utf8'));
  }
  zip.close();
  return out;
}

/** Records in each source, counted without the importers. */
async function expectedCounts(): Promise<Record<string, number>> {
  const v = vulndataDir;
  const counts: Record<string, number> = {};
  for (const eco of ['Debian', 'Go', 'Maven', 'PyPI', 'crates.io', 'npm']) {
    counts[`osv/${eco}`] = (await zipNames(join(v, 'osv', eco, 'all.zip'))).filter((n) => n.endsWith('.json')).length;
  }
  counts.rubysec = (await zipNames(join(v, 'native/rubysec-ruby-advisory-db.zip'))).filter((n) => /\/(gems|rubies)\/.+\.yml$/.test(n)).length;
  counts.packagist = (await zipNames(join(v, 'native/friendsofphp-security-advisories.zip'))).filter((n) => /^[^/]+\/[^/]+\/[^/]+\/[^/]+\.yaml$/.test(n)).length;
  // secdb: one record per (file, vulnerability id); each unreadable id token is one skip.
  let alpine = 0;
  for (const text of await zipTexts(join(v, 'native/alpine-secdb-legacy.zip'), (n) => n.endsWith('.yaml'))) {
    const doc = parseYaml(text, { schema: 'failsafe' }) as { packages?: { pkg: { secfixes?: Record<string, string[] | string> } }[] | string };
    const ids = new Set<string>();
    for (const p of Array.isArray(doc.packages) ? doc.packages : []) {
      for (const list of Object.values(p.pkg.secfixes ?? {})) {
        for (const line of Array.isArray(list) ? list : []) {
          for (const token of line.replace(/\([^)]*\)/g, ' ').split(/\s+/).filter(Boolean)) {
            if (/^[A-Z][A-Z0-9]*-[A-Za-z0-9]+(-[A-Za-z0-9]+)*$/.test(token)) ids.add(token);
            else alpine++; // skipped and reported: placeholders, typos, stray words
          }
        }
      }
    }
    alpine += ids.size;
  }
  counts.alpine = alpine;
  let debian = 0;
  for (const list of ['DSA-list', 'DLA-list']) {
    debian += (await readFile(join(v, 'native/debian-security-tracker', list), 'utf8')).split('\n').filter((l) => /^\[\d/.test(l)).length;
  }
  counts.debian = debian;
  counts.nvd = 1;
  counts.cve5 = (await zipNames(join(v, 'cve/vulnrichment-cve5.zip'))).filter((n) => /CVE-.*\.json$/.test(n)).length;
  counts.kev = (JSON.parse(await readFile(join(v, 'kev/known_exploited_vulnerabilities.json'), 'utf8')) as { count: number }).count;
  counts.epss = (await zipTexts(join(v, 'epss/epss-by-year.zip'), (n) => n.endsWith('.csv'))).reduce((n, t) => n + t.split('\n').filter((l) => l.trim()).length, 0);
  return counts;
}

function unitFor(units: UnitReport[], key: string): UnitReport {
  const found = units.find((u) => {
    const loc = u.name.slice(u.name.indexOf('=') + 1);
    return key.startsWith('osv/') ? loc.endsWith(`/${key}`) : u.kind === key;
  });
  if (!found) throw new Error(`no unit for ${key}`);
  return found;
}

let shared: SharedDb;
let db: VulnDb;

beforeAll(async () => {
  shared = await sharedVulnDb();
  db = new VulnDb(shared.path);
});

afterAll(() => db?.close());

describe('full import of the shared vulndata', () => {
  it('imports every record of every source, except the reported skips', async () => {
    const expected = await expectedCounts();
    for (const [key, total] of Object.entries(expected)) {
      const u = unitFor(shared.report.units, key);
      expect(u.status, key).toBe('updated');
      expect((u.records ?? 0) + (u.skipped ?? 0), key).toBe(total);
      // Every skip is reported with a reason naming the record.
      expect(u.warnings?.length, key).toBe(Math.min(u.skipped ?? 0, 50));
    }
    // Skipped: Ruby interpreter advisories (no OSV ecosystem for them), and unreadable
    // ids in Alpine's secdb (placeholders like CVE-????-?????, typos like CVE_2019-2426).
    const alpine = unitFor(shared.report.units, 'alpine');
    expect(alpine.warnings?.some((w) => w.includes('unreadable vulnerability id "CVE-????-?????"'))).toBe(true);
    const rubysec = unitFor(shared.report.units, 'rubysec');
    expect(rubysec.skipped).toBe(147);
    expect(rubysec.warnings?.every((w) => /\/rubies\/.*no gem: key/.test(w))).toBe(true);
    expect(shared.report.failed).toBe(0);
  });

  it('counts advisories per ecosystem and enrichment in status', async () => {
    const s = await db.status();
    const advisoryUnits = shared.report.units.filter((u) => ['osv', 'rubysec', 'packagist', 'alpine', 'debian'].includes(u.kind));
    expect(s.advisories).toBe(advisoryUnits.reduce((n, u) => n + (u.records ?? 0), 0));
    // PyPI's 10 withdrawn records, plus the withdrawn ones elsewhere, kept and marked.
    expect(s.withdrawn).toBeGreaterThanOrEqual(10);
    const eco = Object.fromEntries(s.ecosystems.map((e) => [e.ecosystem, e]));
    expect(eco.Go.advisories).toBe(4291);
    expect(eco.Go.packages).toBe(1373);
    expect(eco['Debian:12'].advisories).toBe(236);
    expect(eco['Debian:12'].packages).toBe(155);
    expect(eco['crates.io'].packages).toBe(908);
    expect(eco.PyPI.packages).toBe(664);
    expect(eco.Packagist.packages).toBe(350);
    // 465 gems, but cron_parser's only advisory lists unaffected ranges that cover every
    // version ("< 1.0.12" or "> 0.1.4"): as bundler-audit reads it, nothing is affected.
    expect(eco.RubyGems.packages).toBe(464);
    expect(s.enrichment.kev).toBe(1404);
    expect(s.enrichment.epss).toBe(360142);
    expect(s.enrichment.cvss).toBeGreaterThan(6000);
    expect(s.stale).toBe(false);
  });
});

describe('lookups on the real data', () => {
  it.each([
    // [ecosystem, name, an advisory id it must return]
    ['npm', 'lodash', 'GHSA-p6mc-m468-83gw'],
    ['npm', 'lodash-es', 'GHSA-p6mc-m468-83gw'],
    ['Maven', 'org.apache.logging.log4j:log4j-core', 'GHSA-jfh8-c2jp-5v3q'],
    ['PyPI', 'Django', 'PYSEC-2011-1'],
    ['PyPI', 'django', 'PYSEC-2011-1'], // PEP 503: names compare case-insensitively
    ['Go', 'stdlib', 'GO-2022-0191'],
    ['crates.io', 'smallvec', 'RUSTSEC-2018-0003'],
    ['Debian:12', 'openssl', 'DEBCL-openssl-3.0.22-1_deb12u1'],
    ['Debian:11', 'xorg-server', 'DSA-5380-1'],
    ['Alpine:v3.11', 'ansible', 'ALPINE-v3.11-CVE-2019-14904'],
    ['RubyGems', 'RedCloth', 'RUBYSEC-RedCloth-CVE-2023-31606'],
    ['Packagist', 'adodb/adodb-php', 'FRIENDSOFPHP-adodb/adodb-php/CVE-2016-4855'],
  ])('%s/%s returns %s', (ecosystem, name, id) => {
    const found = db.advisoriesFor(ecosystem, name);
    const hit = found.find((a) => a.record.id === id);
    expect(hit, `${id} in ${found.map((a) => a.record.id).join(', ')}`).toBeDefined();
    expect(hit?.affected.length).toBeGreaterThan(0);
    for (const a of hit?.affected ?? []) expect(a.package?.ecosystem.split(':')[0]).toBe(ecosystem.split(':')[0]);
  });

  it('keeps distro releases apart: Debian:12 data never answers for Debian:11', () => {
    const d12 = db.advisoriesFor('Debian:12', 'openssl').map((a) => a.record.id);
    const d11 = db.advisoriesFor('Debian:11', 'openssl').map((a) => a.record.id);
    expect(d12.length).toBeGreaterThan(0);
    expect(d11.length).toBeGreaterThan(0);
    expect(d12.some((id) => d11.includes(id))).toBe(false);
    expect(d11.every((id) => /^D[SL]A-/.test(id))).toBe(true);
    expect(db.advisoriesFor('Debian', 'openssl')).toEqual([]);
  });

  it('merges aliases into one vulnerability with the CVE as primary id', () => {
    for (const id of ['CVE-2021-44906', 'GHSA-xvch-5gv4-984h', 'ghsa-xvch-5gv4-984h']) {
      const v = db.vulnerability(id);
      expect(v?.id).toBe('CVE-2021-44906');
      expect(v?.aliases).toContain('GHSA-xvch-5gv4-984h');
      expect(v?.records.map((r) => r.id)).toEqual(['GHSA-xvch-5gv4-984h']);
      // NVD's CVSS and CWE, EPSS for the CVE.
      const e = v?.enrichment.find((x) => x.cveId === 'CVE-2021-44906');
      expect(e?.cvss.some((c) => c.source === 'nvd' && c.version === '3.1' && c.baseScore === 9.8)).toBe(true);
      expect(e?.cwes).toContain('CWE-1321');
      expect(e?.epss?.score).toBeGreaterThan(0);
    }
  });

  it('counts a bundle advisory toward each of its CVEs without merging them', () => {
    const xen = db.vulnerability('DSA-5378-1');
    expect(xen?.records.map((r) => r.id)).toEqual(['DSA-5378-1']);
    const one = db.vulnerability('CVE-2022-42331');
    const two = db.vulnerability('CVE-2022-42332');
    expect(one?.id).toBe('CVE-2022-42331');
    expect(two?.id).toBe('CVE-2022-42332');
    expect(one?.records.map((r) => r.id)).toContain('DSA-5378-1');
    expect(two?.records.map((r) => r.id)).toContain('DSA-5378-1');
    const hit = db.advisoriesFor('Debian:11', 'xen').find((a) => a.record.id === 'DSA-5378-1');
    expect(hit?.vulnerabilities).toEqual(expect.arrayContaining(['CVE-2022-23824', 'CVE-2022-42331', 'CVE-2022-42334']));
  });

  it('joins KEV, EPSS and CISA-ADP CVSS to Log4Shell', () => {
    const v = db.vulnerability('GHSA-jfh8-c2jp-5v3q');
    expect(v?.id).toBe('CVE-2021-44228');
    const e = v?.enrichment.find((x) => x.cveId === 'CVE-2021-44228');
    expect(e?.kev?.dateAdded).toBe('2021-12-10');
    expect(e?.epss?.score).toBeGreaterThan(0.9);
  });

  it('keeps withdrawn advisories and marks them', () => {
    const withdrawn = db.advisoriesFor('PyPI', 'tensorflow').filter((a) => a.record.withdrawn);
    const any = [...db.packages('PyPI')].flatMap((p) => db.advisoriesFor('PyPI', p.name)).filter((a) => a.record.withdrawn);
    expect(any.length).toBe(10);
    expect(withdrawn.every((a) => typeof a.record.withdrawn === 'string')).toBe(true);
  });

  it('answers unknown ids and packages with nothing', () => {
    expect(db.vulnerability('GHSA-0000-0000-0000')).toBeUndefined();
    expect(db.advisoriesFor('npm', 'no-such-package-here')).toEqual([]);
    expect(db.advisoriesFor('NotAnEcosystem', 'x')).toEqual([]);
  });
});

describe('vigil db on the real data', () => {
  it('shows a merged record by alias as JSON', async () => {
    const r = await runVigil(['db', 'show', 'GHSA-xvch-5gv4-984h', '--json', '--vulndb', shared.path]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const v = JSON.parse(r.stdout) as Record<string, unknown> & { cvss: { source: string; baseScore: number }[]; affected: { fixed: string[] }[] };
    expect(v.id).toBe('CVE-2021-44906');
    expect(v.aliases).toEqual(['GHSA-xvch-5gv4-984h']);
    expect(v.cvss.map((c) => c.source).sort()).toEqual(['ghsa', 'nvd', 'nvd']);
    expect(v.affected.flatMap((a) => a.fixed).sort()).toEqual(['0.2.4', '1.2.6']);
    expect(v.epss).toMatchObject({ cveId: 'CVE-2021-44906' });
    expect(v.cwes).toEqual(['CWE-1321']);
  });

  it.each([
    // [version, ids expected]: minimist 1.2.0 is in the demo project and affected; 1.2.6 is the fix.
    ['1.2.0', ['GHSA-xvch-5gv4-984h']],
    ['1.2.6', []],
    ['0.2.3', ['GHSA-xvch-5gv4-984h']],
    ['0.2.4', []],
  ])('npm/minimist %s is affected by %j', (version, ids) => {
    const hits = db.advisoriesFor('npm', 'minimist').filter((a) => affectsVersion('npm', version, a.affected) === 'yes');
    expect(hits.map((a) => a.record.id)).toEqual(ids);
  });

  it('search --version through the CLI', async () => {
    const r = await runVigil(['db', 'search', '--ecosystem', 'npm', '--package', 'minimist', '--version', '1.2.0', '--json', '--vulndb', shared.path]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { version: string; advisories: { id: string; fixed: string[] }[] };
    expect(out.version).toBe('1.2.0');
    expect(out.advisories.map((a) => [a.id, a.fixed])).toEqual([['GHSA-xvch-5gv4-984h', ['1.2.6', '0.2.4']]]);
  });

  it('search by Debian source package and release, version-aware with dpkg order', async () => {
    const r = await runVigil(['db', 'search', '--ecosystem', 'Debian:11', '--package', 'xorg-server', '--version', '2:1.20.11-1+deb11u5', '--json', '--vulndb', shared.path]);
    const ids = (JSON.parse(r.stdout) as { advisories: { id: string }[] }).advisories.map((a) => a.id);
    expect(ids).toContain('DSA-5380-1');
    const all = db.advisoriesFor('Debian:11', 'xorg-server').map((a) => a.record.id);
    expect(ids.length).toBeLessThan(all.length);
  });

  it('status reports sources, fingerprints, ecosystems and enrichment', async () => {
    const r = await runVigil(['db', 'status', '--json', '--vulndb', shared.path]);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as { sources: { name: string; fingerprint?: string }[]; enrichment: { kev: number } };
    expect(s.sources.length).toBe(shared.report.units.length);
    expect(s.sources.every((x) => x.fingerprint && JSON.parse(x.fingerprint).digest)).toBe(true);
    expect(s.enrichment.kev).toBe(1404);
    const text = await runVigil(['db', 'status', '--vulndb', shared.path]);
    expect(text.stdout).toMatch(/Debian:12\s+236 advisories\s+155 packages/);
  });

  it('fails clearly for an unknown id and a missing database', async () => {
    const r = await runVigil(['db', 'show', 'CVE-1900-0001', '--vulndb', shared.path]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no vulnerability with id or alias "CVE-1900-0001"/);
    const m = await runVigil(['db', 'status', '--vulndb', '/nonexistent/vulndb.sqlite']);
    expect(m.code).toBe(2);
    expect(m.stderr).toMatch(/\/nonexistent\/vulndb.sqlite.*does not exist/);
  });
});
