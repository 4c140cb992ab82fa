/**
 * yum/dnf updateinfo → OSV records (hand-written documents in `fixtures/updateinfo/`), the
 * `updateinfo=LOCATION#ECOSYSTEM:RELEASE` source, and finding the file the way Amazon Linux
 * publishes it (mirror.list → repodata/repomd.xml → updateinfo.xml.gz) on a loopback mirror
 * and in a `--source-dir` folder.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseUpdateinfo, updateinfoDate } from '../../src/vulndb/importers/updateinfo.js';
import { DEFAULT_SOURCES, parseSourceSpec, vulndataSpecs } from '../../src/vulndb/sources.js';
import { VulnDb } from '../../src/vulndb/store.js';
import { updateVulnDb } from '../../src/vulndb/update.js';
import type { OsvRecord } from '../../src/vulndb/types.js';
import { startStaticServer, type StaticServer } from './static-server.js';

const fixtures = new URL('./fixtures/updateinfo/', import.meta.url).pathname;

function parse(file: string, text?: string): { records: OsvRecord[]; skipped: string[] } {
  const skipped: string[] = [];
  const records = [...parseUpdateinfo(file, text ?? '', 'Amazon Linux:2023', { skip: (item, why) => skipped.push(`${item}: ${why}`) })];
  return { records, skipped };
}

describe('updateinfo documents', () => {
  let al2023: { records: OsvRecord[]; skipped: string[] };
  beforeAll(async () => {
    al2023 = parse('amazon-linux-2023.xml', await readFile(join(fixtures, 'amazon-linux-2023.xml'), 'utf8'));
  });

  it('become one record per security update, each package fixed in its epoch:version-release', () => {
    expect(al2023.records.map((r) => r.id)).toEqual(['ALAS2023-2024-0001', 'ALAS2023-2024-0002', 'ALAS2023-2024-0003', 'ALAS2023-2024-0005']);
    expect(al2023.records[0]).toEqual({
      id: 'ALAS2023-2024-0001',
      modified: '2024-01-11T18:00:00Z',
      published: '2024-01-09T21:32:00Z',
      aliases: ['CVE-2023-5678', 'CVE-2023-6129'],
      summary: 'Amazon Linux 2023 - ALAS2023-2024-0001: important priority package update for openssl',
      details: expect.stringContaining('may be very slow & hang.'),
      affected: [
        {
          package: { ecosystem: 'Amazon Linux:2023', name: 'openssl-libs', purl: 'pkg:rpm/amazon/openssl-libs?distro=amzn-2023' },
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1:3.0.8-1.amzn2023.0.9' }] }],
          ecosystem_specific: { arches: ['aarch64', 'x86_64'] },
        },
        {
          package: { ecosystem: 'Amazon Linux:2023', name: 'openssl', purl: 'pkg:rpm/amazon/openssl?distro=amzn-2023' },
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1:3.0.8-1.amzn2023.0.9' }] }],
          ecosystem_specific: { arches: ['x86_64'] },
        },
      ],
      references: [{ type: 'ADVISORY', url: 'https://www.cve.org/CVERecord?id=CVE-2023-5678' }, { type: 'ADVISORY', url: 'https://www.cve.org/CVERecord?id=CVE-2023-6129' }],
      database_specific: { source: 'updateinfo', type: 'security', severity: 'important', status: 'final' },
    });
  });

  it('leave epoch 0 out, read epoch-second dates and CVEs named only in the text', () => {
    const [, curl, epochs] = al2023.records;
    expect(curl.affected?.map((a) => [a.package?.name, a.ranges?.[0].events[1]])).toEqual([
      ['curl-minimal', { fixed: '8.5.0-1.amzn2023.0.2' }],
      ['libcurl-minimal', { fixed: '8.5.0-1.amzn2023.0.2' }],
    ]);
    expect(epochs).toMatchObject({ published: '2024-02-01T00:00:00Z', modified: '2024-02-01T00:00:00Z', aliases: ['CVE-2024-99999'], database_specific: { severity: 'low' } });
    expect(updateinfoDate('2024-01-09T21:32:00+02:00')).toBe('2024-01-09T19:32:00Z');
    expect(updateinfoDate('not a date')).toBeUndefined();
  });

  it('skip unreadable packages by name and reason, keeping the rest of the update', () => {
    expect(al2023.skipped).toEqual(['amazon-linux-2023.xml: update ALAS2023-2024-0005 package 0.0: unreadable package: release: missing or not text']);
    expect(al2023.records[3].affected?.map((a) => a.ranges?.[0].events[1])).toEqual([{ fixed: '1.2.13-3.amzn2023.0.2' }]);
  });

  it('refuse what is not updateinfo, naming the file', async () => {
    expect(parse('truncated.xml', await readFile(join(fixtures, 'truncated.xml'), 'utf8')).skipped).toEqual([expect.stringMatching(/^truncated\.xml: not valid XML: /)]);
    expect(parse('bomb.xml', '<?xml version="1.0"?><!DOCTYPE u [<!ENTITY a "aaaa">]><updates/>').skipped).toEqual(['bomb.xml: declares XML entities, which updateinfo never does']);
    expect(parse('other.xml', '<repomd><data/></repomd>').skipped).toEqual([expect.stringMatching(/^other\.xml: not an updateinfo document: updates: /)]);
    expect(parse('empty.xml', '<updates></updates>')).toEqual({ records: [], skipped: [] });
  });
});

describe('updateinfo sources', () => {
  it('name the ecosystem and release after #', () => {
    expect(parseSourceSpec('updateinfo=https://cdn.example/al2023/mirror.list#amazon linux:2023')).toEqual({
      kind: 'updateinfo',
      location: 'https://cdn.example/al2023/mirror.list#Amazon Linux:2023',
      remote: true,
      ecosystem: 'Amazon Linux:2023',
    });
    expect(parseSourceSpec('yum=mirror#Oracle Linux:9', '/data')).toMatchObject({ location: '/data/mirror#Oracle Linux:9', remote: false, ecosystem: 'Oracle Linux:9' });
    for (const bad of ['updateinfo=/data/mirror', 'updateinfo=/data/mirror#Debian:12', 'updateinfo=/data/mirror#Amazon Linux', 'updateinfo=#Amazon Linux:2']) {
      expect(() => parseSourceSpec(bad), bad).toThrow(/updateinfo source ends with #ECOSYSTEM:RELEASE|missing URL or path/);
    }
  });

  it('are default for Amazon Linux 2 and 2023', () => {
    expect(DEFAULT_SOURCES).toContain('updateinfo=https://cdn.amazonlinux.com/2/core/latest/x86_64/mirror.list#Amazon Linux:2');
    expect(DEFAULT_SOURCES).toContain('updateinfo=https://cdn.amazonlinux.com/al2023/core/mirrors/latest/x86_64/mirror.list#Amazon Linux:2023');
  });
});

describe('finding updateinfo in a repository', () => {
  let work: string;
  let server: StaticServer;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'vigil-updateinfo-'));
    server = await startStaticServer(join(work, 'www'));
    // Amazon Linux's layout: a mirror list naming a repository by GUID, whose repomd.xml names
    // the updateinfo file by content hash.
    const repo = join(work, 'www/al2023/core/guids/0123abcd/x86_64');
    await mkdir(join(repo, 'repodata'), { recursive: true });
    await mkdir(join(work, 'www/al2023/core/mirrors/latest/x86_64'), { recursive: true });
    await writeFile(join(work, 'www/al2023/core/mirrors/latest/x86_64/mirror.list'), `${server.url}/al2023/core/guids/0123abcd/x86_64/\n`);
    await writeFile(join(repo, 'repodata/feedbeef-updateinfo.xml.gz'), gzipSync(await readFile(join(fixtures, 'amazon-linux-2023.xml'))));
    await writeFile(
      join(repo, 'repodata/repomd.xml'),
      `<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">
  <revision>1706745600</revision>
  <data type="primary"><location href="repodata/aaaa-primary.xml.gz"/></data>
  <data type="updateinfo"><checksum type="sha256">feedbeef</checksum><location href="repodata/feedbeef-updateinfo.xml.gz"/></data>
</repomd>
`,
    );
  });
  afterAll(async () => {
    await server?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('follows mirror.list and repomd.xml, then fetches updateinfo by fingerprint', async () => {
    const dbPath = join(work, 'http.sqlite');
    const source = `updateinfo=${server.url}/al2023/core/mirrors/latest/x86_64/mirror.list#Amazon Linux:2023`;
    const first = await updateVulnDb({ dbPath, sources: [source] });
    expect(first.units).toMatchObject([{ kind: 'updateinfo', status: 'updated', records: 4, skipped: 1 }]);
    const db = new VulnDb(dbPath);
    try {
      expect(db.advisoriesFor('Amazon Linux:2023', 'openssl-libs').map((a) => a.id)).toEqual(['ALAS2023-2024-0001']);
      expect(db.advisoriesFor('Amazon Linux:2', 'openssl-libs')).toEqual([]);
      expect((await db.status()).ecosystems).toContainEqual(expect.objectContaining({ ecosystem: 'Amazon Linux:2023', advisories: 4, packages: 7 }));
    } finally {
      db.close();
    }
    const seen = server.requests.length;
    // The database remembers the source: a bare update repeats it.
    const again = await updateVulnDb({ dbPath });
    expect(again.units).toMatchObject([{ name: source, status: 'unchanged' }]);
    expect(server.requests.slice(seen).map((r) => [r.path.split('/').pop(), r.status])).toEqual([
      ['mirror.list', 200],
      ['repomd.xml', 200],
      ['feedbeef-updateinfo.xml.gz', 304],
    ]);
  });

  it('reports a repository without updateinfo by name', async () => {
    await mkdir(join(work, 'www/empty/repodata'), { recursive: true });
    await writeFile(join(work, 'www/empty/repodata/repomd.xml'), '<repomd><data type="primary"><location href="repodata/p.xml.gz"/></data></repomd>');
    const result = await updateVulnDb({ dbPath: join(work, 'kept.sqlite'), sources: [`updateinfo=${server.url}/empty#Amazon Linux:2`, `updateinfo=${join(fixtures, 'amazon-linux-2.xml')}#Amazon Linux:2`] });
    expect(result.units[0]).toMatchObject({ status: 'failed', error: `source updateinfo=${server.url}/empty#Amazon Linux:2: ${server.url}/empty/repodata/repomd.xml: the repository publishes no updateinfo` });
    expect(result.units[1]).toMatchObject({ status: 'updated', records: 1 });
  });

  it('reads a --source-dir mirror: updateinfo/<os-release ID>-<release>/', async () => {
    const dir = join(work, 'vulndata');
    await mkdir(join(dir, 'updateinfo/amzn-2023/repodata'), { recursive: true });
    await mkdir(join(dir, 'updateinfo/amzn-2'), { recursive: true });
    await copyFile(join(work, 'www/al2023/core/guids/0123abcd/x86_64/repodata/repomd.xml'), join(dir, 'updateinfo/amzn-2023/repodata/repomd.xml'));
    await copyFile(join(work, 'www/al2023/core/guids/0123abcd/x86_64/repodata/feedbeef-updateinfo.xml.gz'), join(dir, 'updateinfo/amzn-2023/repodata/feedbeef-updateinfo.xml.gz'));
    await writeFile(join(dir, 'updateinfo/amzn-2/updateinfo.xml.gz'), gzipSync(await readFile(join(fixtures, 'amazon-linux-2.xml'))));
    const specs = vulndataSpecs(dir);
    expect(specs).toEqual([`updateinfo=${dir}/updateinfo/amzn-2#Amazon Linux:2`, `updateinfo=${dir}/updateinfo/amzn-2023#Amazon Linux:2023`]);
    const result = await updateVulnDb({ dbPath: join(work, 'dir.sqlite'), sources: specs });
    expect(result.units.map((u) => [u.status, u.records])).toEqual([
      ['updated', 1],
      ['updated', 4],
    ]);
    // --only leaves out the repositories of other ecosystems without fetching them.
    const other = await updateVulnDb({ dbPath: join(work, 'only.sqlite'), sources: specs, only: ['Debian'] });
    expect(other.units).toEqual([]);
  });
});
