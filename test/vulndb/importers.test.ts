/**
 * Importers on small inputs, one scenario per row (the real datasets are covered by
 * import-vulndata.test.ts): version constraints, each native format's corner cases, bad
 * records skipped with their reason, CVSS scoring and `--source` parsing.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readEntries } from '../../src/vulndb/archive.js';
import { cvssBaseScore, cvssVersionOf } from '../../src/vulndb/cvss.js';
import { importerFor } from '../../src/vulndb/importers/index.js';
import { eventsForAffected, eventsOutside, parseConjunction, pessimisticCeiling } from '../../src/vulndb/importers/ranges.js';
import type { ImportItem, SourceKind } from '../../src/vulndb/importers/types.js';
import { parseSourceSpec } from '../../src/vulndb/sources.js';
import { schemes } from '../../src/versioning/index.js';

function run(kind: SourceKind, name: string, text: string | Buffer) {
  const skipped: string[] = [];
  const items: ImportItem[] = [...importerFor(kind).parse({ name, data: Buffer.isBuffer(text) ? text : Buffer.from(text) }, { skip: (i, r) => skipped.push(`${i}: ${r}`) })];
  return { items, skipped };
}

const records = (items: ImportItem[]) => items.flatMap((i) => (i.type === 'advisory' ? [i.record] : []));
const enrichment = (items: ImportItem[]) => items.flatMap((i) => (i.type === 'enrichment' ? [i.item] : []));

describe('version constraints', () => {
  it.each([
    ['>= 1.2.3', { lo: { version: '1.2.3', inclusive: true } }],
    ['> 1.0, < 2.0', { lo: { version: '1.0', inclusive: false }, hi: { version: '2.0', inclusive: false } }],
    ['>=2.0.0 <=2.3.1', { lo: { version: '2.0.0', inclusive: true }, hi: { version: '2.3.1', inclusive: true } }],
    ['= 1.0', { lo: { version: '1.0', inclusive: true }, hi: { version: '1.0', inclusive: true } }],
    ['~> 3.2.22.1', { lo: { version: '3.2.22.1', inclusive: true }, hi: { version: '3.2.23', inclusive: false } }],
    ['~> 3.2', { lo: { version: '3.2', inclusive: true }, hi: { version: '4', inclusive: false } }],
  ])('%s', (text, interval) => expect(parseConjunction(text)).toEqual(interval));

  it.each(['', '>= ', 'around 1.0', '!= 1.0'])('rejects %j', (text) => expect(() => parseConjunction(text)).toThrow());

  it.each([
    ['3.2.1', '3.3'],
    ['3.2', '4'],
    ['3', '4'],
    ['1.2.3.rc1', '1.3'],
  ])('~> %s has ceiling %s', (v, ceiling) => expect(pessimisticCeiling(v)).toBe(ceiling));

  const gem = (a: string, b: string) => schemes.rubygems.compare(a, b);
  it.each([
    // [safe intervals (rubysec patched ∪ unaffected), OSV events for everything else]
    [['>= 4.3.3', '< 4.0.0'], [{ introduced: '4.0.0' }, { fixed: '4.3.3' }]],
    [['~> 3.2.22.1', '>= 4.2.5.1'], [{ introduced: '0' }, { fixed: '3.2.22.1' }, { introduced: '3.2.23' }, { fixed: '4.2.5.1' }]],
    [['> 1.0'], [{ introduced: '0' }, { last_affected: '1.0' }]],
    [[], [{ introduced: '0' }]],
    [['< 1.0.12', '> 0.1.4'], []], // covers everything: nothing affected
  ])('outside %j', (safe, events) => expect(eventsOutside(safe.map(parseConjunction), gem)).toEqual(events));

  it('affected intervals map directly, <= as last_affected', () => {
    expect(eventsForAffected([parseConjunction('>=1.0,<1.5'), parseConjunction('<=0.9')])).toEqual([
      { introduced: '1.0' },
      { fixed: '1.5' },
      { introduced: '0' },
      { last_affected: '0.9' },
    ]);
  });
});

describe('Debian DSA/DLA lists', () => {
  const list = [
    '[29 Mar 2023] DSA-5380-1 xorg-server - security update',
    '\t{CVE-2023-1393}',
    '\t[bullseye] - xorg-server 2:1.20.11-1+deb11u6',
    '\t[buster] - xorg-server <not-affected> (vulnerable code not present)',
    '[18 Apr 2018] DSA-4205-1 jessie end-of-life',
    '[09 Sep 2010] DSA-2107-1 couchdb  - arbitrary code execution',
    '        {CVE-2010-2234}',
    '\t[lenny] - couchdb <unfixed>',
    '\tNOTE: fixed in testing at time of DSA',
    '[01 Apr 2023] DLA-3380-1 firmware-nonfree - security update',
    '\t[hamster] - firmware-nonfree 1.0',
    '\t[buster]  -  firmware-nonfree  20190114+really20220913-0+deb10u1 (low)',
    'garbage line',
  ].join('\n');

  it('normalises to OSV by source package and release, reporting unreadable lines', () => {
    const { items, skipped } = run('debian', 'DSA-list', list);
    const r = records(items);
    expect(r.map((x) => x.id)).toEqual(['DSA-5380-1', 'DSA-4205-1', 'DSA-2107-1', 'DLA-3380-1']);
    expect(r[0]).toMatchObject({
      published: '2023-03-29T00:00:00Z',
      aliases: ['CVE-2023-1393'],
      summary: 'xorg-server: security update',
      affected: [{ package: { ecosystem: 'Debian:11', name: 'xorg-server' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2:1.20.11-1+deb11u6' }] }] }],
    });
    expect(r[1]).toMatchObject({ summary: 'jessie end-of-life', affected: [] });
    expect(r[2].affected?.[0]).toMatchObject({ package: { ecosystem: 'Debian:5.0', name: 'couchdb' }, ranges: [{ events: [{ introduced: '0' }] }], database_specific: { status: '<unfixed>' } });
    expect(r[2].details).toBe('fixed in testing at time of DSA');
    expect(r[3].affected?.[0]).toMatchObject({ package: { ecosystem: 'Debian:10' }, database_specific: { note: 'low' } });
    expect(skipped).toEqual(['DSA-list:11: DLA-3380-1: unknown Debian release "hamster"', 'DSA-list:13: unreadable line in DLA-3380-1: "garbage line"']);
  });
});

describe('native advisory formats', () => {
  it('rubysec: aliases, references, ranges from patched and unaffected versions', () => {
    const yml = [
      'gem: RedCloth',
      'cve: 2023-31606',
      'ghsa: qcm3-vfq5-wfr2',
      'url: https://example.test/a',
      'title: ReDoS',
      'date: 2023-06-06',
      'unaffected_versions:',
      '  - "< 4.0.0"',
      'patched_versions:',
      '  - ">= 4.3.3"',
    ].join('\n');
    const { items, skipped } = run('rubysec', 'gems/RedCloth/CVE-2023-31606.yml', yml);
    expect(skipped).toEqual([]);
    expect(records(items)[0]).toMatchObject({
      id: 'RUBYSEC-RedCloth-CVE-2023-31606',
      aliases: ['CVE-2023-31606', 'GHSA-qcm3-vfq5-wfr2'],
      published: '2023-06-06T00:00:00Z',
      affected: [{ package: { ecosystem: 'RubyGems', name: 'RedCloth' }, ranges: [{ events: [{ introduced: '4.0.0' }, { fixed: '4.3.3' }] }] }],
      references: [{ type: 'ADVISORY', url: 'https://example.test/a' }],
    });
  });

  it.each([
    ['an interpreter advisory', 'rubies/jruby/CVE-2010-1330.yml', 'engine: jruby\ncve: 2010-1330\ntitle: t\n', /no gem: key/],
    ['a bad constraint', 'gems/x/bad.yml', 'gem: x\ntitle: t\npatched_versions:\n  - "about 1.0"\n', /bad version constraint/],
    ['not YAML', 'gems/x/broken.yml', 'gem: [unclosed\n', /not valid YAML/],
  ])('rubysec skips %s', (_s, name, text, why) => {
    const { items, skipped } = run('rubysec', name, text);
    expect(items).toEqual([]);
    expect(skipped).toEqual([expect.stringMatching(why)]);
    expect(skipped[0].startsWith(name)).toBe(true);
  });

  it('FriendsOfPHP: one range per branch, bad references skipped', () => {
    const good = "title: XSS\nlink: https://example.test\ncve: CVE-2016-4855\nbranches:\n  master:\n    time: 2016-08-28 23:50:00\n    versions: ['>=5.0', '<5.20.6']\n  '4.x':\n    time: ~\n    versions: ['<=4.9']\nreference: composer://adodb/adodb-php\n";
    const ok = run('packagist', 'adodb/adodb-php/CVE-2016-4855.yaml', good);
    expect(records(ok.items)[0]).toMatchObject({
      id: 'FRIENDSOFPHP-adodb/adodb-php/CVE-2016-4855',
      aliases: ['CVE-2016-4855'],
      published: '2016-08-28T23:50:00Z',
      affected: [{ package: { ecosystem: 'Packagist', name: 'adodb/adodb-php' }, ranges: [{ events: [{ introduced: '5.0' }, { fixed: '5.20.6' }, { introduced: '0' }, { last_affected: '4.9' }] }] }],
    });
    const bad = run('packagist', 'a/b/x.yaml', 'title: t\nbranches: {}\nreference: https://example.test\n');
    expect(bad.skipped).toEqual([expect.stringMatching(/^a\/b\/x\.yaml: not a FriendsOfPHP advisory: reference: expected composer:\/\/vendor\/package/)]);
  });

  it('Alpine secdb JSON: one record per id, version "0" means not affected, bad ids reported', () => {
    const json = JSON.stringify({
      distroversion: 'v3.19',
      reponame: 'main',
      packages: [
        { pkg: { name: 'openssl', secfixes: { '3.1.4-r1': ['CVE-2023-5363', 'CVE-????-?????'], '0': ['CVE-2022-0001'] } } },
        { pkg: { name: 'libssl-extra', secfixes: { '3.1.4-r2': ['CVE-2023-5363 (partly)'] } } },
      ],
    });
    const { items, skipped } = run('alpine', 'v3.19/main.json', json);
    const r = records(items);
    // (JSON objects list integer-like keys first: the "0" entry is read before the others)
    expect(r.map((x) => x.id)).toEqual(['ALPINE-v3.19-CVE-2022-0001', 'ALPINE-v3.19-CVE-2023-5363']);
    expect(r[1].affected?.map((a) => [a.package?.ecosystem, a.package?.name, a.ranges?.[0].events])).toEqual([
      ['Alpine:v3.19', 'openssl', [{ introduced: '0' }, { fixed: '3.1.4-r1' }]],
      ['Alpine:v3.19', 'libssl-extra', [{ introduced: '0' }, { fixed: '3.1.4-r2' }]],
    ]);
    expect(r[0]).toMatchObject({ affected: [], database_specific: { not_affected: ['openssl'] } });
    expect(skipped).toEqual(['v3.19/main.json: openssl 3.1.4-r1: unreadable vulnerability id "CVE-????-?????"']);
  });

  it('OSV: YAML records, arrays of records, missing modified falls back to published', () => {
    const yaml = run('osv', 'vulns/x/PYSEC-1.yaml', 'id: PYSEC-1\npublished: 2020-01-01T00:00:00Z\naffected:\n  - package: {ecosystem: PyPI, name: x}\n');
    expect(records(yaml.items)[0]).toMatchObject({ id: 'PYSEC-1', modified: '2020-01-01T00:00:00Z' });
    const arr = run('osv', 'many.json', JSON.stringify([{ id: 'A-1', modified: 'x' }, { id: '' }, { id: 'A-2', modified: 'y', aliases: null }]));
    expect(records(arr.items).map((r) => r.id)).toEqual(['A-1', 'A-2']);
    expect(records(arr.items)[1].aliases).toBeUndefined();
    expect(arr.skipped).toEqual([expect.stringMatching(/^many\.json\[1\]: not an OSV record: id/)]);
  });
});

describe('enrichment formats', () => {
  it('EPSS: FIRST daily layout (gzipped, comment header) and the semicolon per-year layout', async () => {
    const daily = '#model_version:v2023.03.01,score_date:2024-10-01T00:00:00+0000\ncve,epss,percentile\nCVE-2021-44228,0.97565,0.99996\nCVE-X,1,1\n';
    // FIRST ships it gzipped: the archive reader unwraps it and names the entry without .gz.
    const dir = await mkdtemp(join(tmpdir(), 'vigil-epss-'));
    await writeFile(join(dir, 'epss_scores-2024-10-01.csv.gz'), gzipSync(daily));
    const entries = [];
    for await (const e of readEntries(join(dir, 'epss_scores-2024-10-01.csv.gz'))) entries.push(e);
    await rm(dir, { recursive: true });
    expect(entries.map((e) => [e.name, e.data.toString()])).toEqual([['epss_scores-2024-10-01.csv', daily]]);
    const plain = run('epss', entries[0].name, entries[0].data);
    expect(enrichment(plain.items)).toEqual([{ cveId: 'CVE-2021-44228', epss: { cveId: 'CVE-2021-44228', score: 0.97565, percentile: 0.99996, date: '2024-10-01' } }]);
    expect(plain.skipped).toEqual(['epss_scores-2024-10-01.csv:4: not an EPSS row: "CVE-X,1,1"']);
    const yearly = run('epss', 'EPSS_CVE_data/CVE_2021_EPSS.csv', 'CVE-2021-44228;0.999990000;1.000000000\nCVE-2021-1;1.5;0.1\n');
    expect(enrichment(yearly.items)).toEqual([{ cveId: 'CVE-2021-44228', epss: { cveId: 'CVE-2021-44228', score: 0.99999, percentile: 1 } }]);
    expect(yearly.skipped).toHaveLength(1);
  });

  it('KEV: a bad entry is skipped, the rest kept', () => {
    const catalog = { catalogVersion: '1', vulnerabilities: [{ cveID: 'CVE-2021-44228', dateAdded: '2021-12-10', dueDate: '2021-12-24', knownRansomwareCampaignUse: 'Known' }, { cveID: 'nope', dateAdded: '2021-12-10' }] };
    const { items, skipped } = run('kev', 'kev.json', JSON.stringify(catalog));
    expect(enrichment(items)).toEqual([{ cveId: 'CVE-2021-44228', kev: expect.objectContaining({ dateAdded: '2021-12-10', dueDate: '2021-12-24', knownRansomwareCampaignUse: 'Known' }) }]);
    expect(skipped).toEqual([expect.stringMatching(/^kev\.json\[1\]: not a KEV entry: cveID/)]);
  });

  it('NVD: feed files and single records; NVD vs CNA sources; rejected CVEs skipped', () => {
    const cve = (id: string, status = 'Analyzed') => ({
      id,
      vulnStatus: status,
      metrics: {
        cvssMetricV31: [{ source: 'nvd@nist.gov', cvssData: { vectorString: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' } }],
        cvssMetricV40: [{ source: 'cna@example.test', cvssData: { vectorString: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N' } }],
      },
      weaknesses: [{ description: [{ value: 'CWE-79' }, { value: 'NVD-CWE-noinfo' }] }],
      references: [{ url: 'https://example.test' }],
    });
    const feed = run('nvd', 'nvdcve-2.0-2021.json', JSON.stringify({ vulnerabilities: [{ cve: cve('CVE-2021-1') }, { cve: cve('CVE-2021-2', 'Rejected') }, { cve: { id: 'bad' } }] }));
    expect(enrichment(feed.items)).toEqual([
      {
        cveId: 'CVE-2021-1',
        cvss: [
          { version: '4.0', vector: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', baseScore: 9.3, source: 'cna' },
          { version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', baseScore: 9.8, source: 'nvd' },
        ],
        cwes: ['CWE-79'],
        references: ['https://example.test'],
      },
    ]);
    expect(feed.skipped).toEqual(['nvdcve-2.0-2021.json[1]: CVE-2021-2 is rejected', expect.stringMatching(/^nvdcve-2\.0-2021\.json\[2\]: not an NVD CVE record: id/)]);
    expect(enrichment(run('nvd', 'CVE-2021-1.json', JSON.stringify(cve('CVE-2021-1'))).items)).toHaveLength(1);
  });

  it('CVE JSON 5: CNA and CISA-ADP scores apart; rejected records skipped', () => {
    const rec = (state: string) => ({
      dataType: 'CVE_RECORD',
      cveMetadata: { cveId: 'CVE-2024-1', state },
      containers: {
        cna: { metrics: [{ cvssV3_1: { vectorString: 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H' } }], problemTypes: [{ descriptions: [{ cweId: 'CWE-787' }] }] },
        adp: [
          { providerMetadata: { shortName: 'CISA-ADP' }, metrics: [{ cvssV3_1: { vectorString: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' } }, { other: { type: 'ssvc' } }] },
          { providerMetadata: { shortName: 'CVE' }, references: [{ url: 'https://example.test' }] },
        ],
      },
    });
    const ok = run('cve5', '2024/0xxx/CVE-2024-1.json', JSON.stringify(rec('PUBLISHED')));
    expect(enrichment(ok.items)[0].cvss?.map((c) => [c.source, c.baseScore])).toEqual([
      ['cna', 7.8],
      ['cisa-adp', 9.8],
    ]);
    expect(enrichment(ok.items)[0]).toMatchObject({ cwes: ['CWE-787'], references: ['https://example.test'] });
    expect(run('cve5', '2024/0xxx/CVE-2024-1.json', JSON.stringify(rec('REJECTED'))).skipped).toEqual(['2024/0xxx/CVE-2024-1.json: CVE-2024-1 is rejected']);
  });
});

describe('CVSS', () => {
  it.each([
    ['AV:N/AC:L/Au:N/C:P/I:P/A:P', '2.0', 7.5],
    ['CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N', '3.0', 6.1],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', '3.1', 9.8],
    ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', '4.0', 9.3],
  ])('%s is v%s, base %s', (vector, version, score) => {
    expect(cvssVersionOf(vector)).toBe(version);
    expect(cvssBaseScore(vector)).toBe(score);
  });
  it.each(['CVSS:3.1/AV:X', 'high', ''])('%j has no score', (vector) => expect(cvssBaseScore(vector)).toBeUndefined());
});

describe('--source specs', () => {
  it.each([
    ['osv=https://mirror.test/osv/', { kind: 'osv', location: 'https://mirror.test/osv', remote: true }],
    ['debian-dsa=data/DSA/list', { kind: 'debian', location: '/work/x/data/DSA/list', remote: false }],
    ['VULNRICHMENT=/v.zip', { kind: 'cve5', location: '/v.zip', remote: false }],
  ])('%s', (text, spec) => expect(parseSourceSpec(text, '/work/x')).toEqual(spec));
  it.each([
    ['osv', /expected KIND=URL or KIND=PATH/],
    ['nope=/x', /unknown kind "nope"/],
    ['kev=', /missing URL or path/],
    ['kev=ftp://x/y', /only http\(s\) URLs and local paths/],
  ])('rejects %s', (text, why) => expect(() => parseSourceSpec(text)).toThrow(why));
});
