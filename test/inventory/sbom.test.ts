/**
 * SBOM output and input: CycloneDX 1.6 (validated with the CycloneDX library's strict JSON
 * schema validator), SPDX 2.3, and Vigil's inventory JSON; owner relationships for
 * OS-owned language packages; reading SBOMs back (`sbom:` targets); the `vigil sbom` CLI.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanTarget } from '../../src/inventory/index.js';
import { dpkgStatus } from '../../src/inventory/extractors/os/dpkg-status.js';
import { fromCycloneDx, fromSpdx, toCycloneDxJson, toSpdx } from '../../src/inventory/sbom/index.js';
import type { Inventory, Package } from '../../src/inventory/types.js';
import { runVigil, sharedDir } from '../helpers/cli.js';
import { distInfoStandIn } from '../helpers/dist-info-extractor.js';

let work: string;
let rootfs: string;
let inventory: Inventory;

const METADATA = '/usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA';
const STATUS = [
  'Package: python3-six\nStatus: install ok installed\nArchitecture: all\nVersion: 1.16.0-4\nSource: six\n',
  'Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2.36-9+deb12u4\nSource: glibc\n',
  'Package: linux-image-6.1.0-18-amd64\nStatus: install ok installed\nArchitecture: amd64\nVersion: 6.1.76-1\nSource: linux-signed-amd64 (6.1.76+1)\n',
].join('\n');


beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'vigil-sbom-'));
  rootfs = join(work, 'rootfs');
  await mkdir(join(rootfs, 'var/lib/dpkg/info'), { recursive: true });
  await mkdir(join(rootfs, 'etc'), { recursive: true });
  await mkdir(join(rootfs, METADATA, '..'), { recursive: true });
  await writeFile(join(rootfs, 'etc/os-release'), 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n');
  await writeFile(join(rootfs, 'var/lib/dpkg/status'), STATUS);
  await writeFile(join(rootfs, 'var/lib/dpkg/info/python3-six.list'), `/.\n/usr\n/usr/lib/python3/dist-packages/six.py\n${METADATA}\n`);
  await writeFile(join(rootfs, METADATA), 'Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\n');
  inventory = await scanTarget(`dir:${rootfs}`, { extractors: [dpkgStatus, distInfoStandIn] });
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** The facts an SBOM must carry back, without scan-time fields. */
function essence(p: Package) {
  return { ecosystem: p.ecosystem, purlType: p.purlType, name: p.name, version: p.version, purl: p.purl, source: p.source, locations: p.locations, kernel: p.kernel, ownedBy: p.ownedBy, arch: p.arch, extractor: p.extractor };
}

describe('inventory of the fixture', () => {
  it('fills ecosystem, PURL, kernel and owner', () => {
    expect(inventory.packages.map(essence)).toEqual([
      {
        ecosystem: 'Debian:12', purlType: 'deb', name: 'libc6', version: '2.36-9+deb12u4', arch: 'amd64',
        purl: 'pkg:deb/debian/libc6@2.36-9+deb12u4?arch=amd64&distro=debian-12&upstream=glibc',
        source: { name: 'glibc', version: '2.36-9+deb12u4' }, locations: ['/var/lib/dpkg/status'], kernel: undefined, ownedBy: undefined, extractor: 'os/dpkg-status@1',
      },
      {
        ecosystem: 'Debian:12', purlType: 'deb', name: 'linux-image-6.1.0-18-amd64', version: '6.1.76-1', arch: 'amd64',
        purl: 'pkg:deb/debian/linux-image-6.1.0-18-amd64@6.1.76-1?arch=amd64&distro=debian-12&upstream=linux-signed-amd64%406.1.76%2B1',
        source: { name: 'linux-signed-amd64', version: '6.1.76+1' }, locations: ['/var/lib/dpkg/status'], kernel: true, ownedBy: undefined, extractor: 'os/dpkg-status@1',
      },
      {
        ecosystem: 'Debian:12', purlType: 'deb', name: 'python3-six', version: '1.16.0-4', arch: 'all',
        purl: 'pkg:deb/debian/python3-six@1.16.0-4?arch=all&distro=debian-12&upstream=six',
        source: { name: 'six', version: '1.16.0-4' }, locations: ['/var/lib/dpkg/status'], kernel: undefined, ownedBy: undefined, extractor: 'os/dpkg-status@1',
      },
      {
        ecosystem: 'PyPI', purlType: 'pypi', name: 'six', version: '1.16.0', arch: undefined, purl: 'pkg:pypi/six@1.16.0', source: undefined,
        locations: [METADATA], kernel: undefined, ownedBy: { purlType: 'deb', name: 'python3-six', version: '1.16.0-4' }, extractor: 'test/dist-info@1',
      },
    ]);
  });
});

describe('CycloneDX 1.6', () => {
  it('is valid against the CycloneDX 1.6 JSON schema', async () => {
    const json = toCycloneDxJson(inventory);
    const validator = new Validation.JsonStrictValidator(Spec.Version.v1dot6);
    expect(await validator.validate(json)).toBeNull();
    const doc = JSON.parse(json);
    expect(doc.specVersion).toBe('1.6');
    expect(doc.metadata.component).toMatchObject({ type: 'file', name: `dir:${rootfs}` });
  });

  it('nests an OS-owned language package inside its owner', () => {
    const doc = JSON.parse(toCycloneDxJson(inventory));
    const six = doc.components.find((c: { name: string }) => c.name === 'python3-six');
    expect(six.components.map((c: { purl: string }) => c.purl)).toEqual(['pkg:pypi/six@1.16.0']);
    expect(doc.components.some((c: { purl?: string }) => c.purl === 'pkg:pypi/six@1.16.0')).toBe(false);
    expect(doc.components.find((c: { type: string }) => c.type === 'operating-system')).toMatchObject({ name: 'debian', version: '12' });
  });

  it('reads back into the same packages', () => {
    const back = fromCycloneDx(JSON.parse(toCycloneDxJson(inventory)), { type: 'sbom', name: 'x.cdx.json' });
    expect(back.os?.ecosystem).toBe('Debian:12');
    expect(back.packages.map(essence).sort((a, b) => a.purl.localeCompare(b.purl))).toEqual(inventory.packages.map(essence).sort((a, b) => a.purl.localeCompare(b.purl)));
  });

  it('reads a foreign SBOM: ecosystems from PURL distro qualifiers, components without PURL counted', () => {
    const foreign = {
      bomFormat: 'CycloneDX',
      specVersion: '1.5',
      components: [
        { type: 'library', name: 'openssl', version: '3.1.4-r5', purl: 'pkg:apk/alpine/openssl@3.1.4-r5?arch=x86_64&distro=alpine-3.19.1' },
        { type: 'library', name: 'core', version: '7.0.0', purl: 'pkg:npm/%40babel/core@7.0.0' },
        { type: 'library', name: 'mystery' },
      ],
    };
    const inv = fromCycloneDx(foreign, { type: 'sbom', name: 'foreign.json' });
    expect(inv.packages.map((p) => [p.ecosystem, p.name, p.version])).toEqual([
      ['Alpine:v3.19', 'openssl', '3.1.4-r5'],
      ['npm', '@babel/core', '7.0.0'],
    ]);
    expect(inv.warnings).toEqual([{ path: 'foreign.json', reason: '1 components without a PURL were skipped (they cannot be matched)' }]);
  });

  it('reads Go components as Go tools write them: `v`-versions packageurl-js refuses, and stdlib as go1.20.1', () => {
    const foreign = {
      bomFormat: 'CycloneDX',
      specVersion: '1.5',
      components: [
        // packageurl-js 2.0.1 throws on a `v` version that is not full SemVer.
        { type: 'library', name: 'stdlib', purl: 'pkg:golang/stdlib@v1.20' },
        { type: 'library', name: 'stdlib', version: 'go1.20.1', purl: 'pkg:golang/stdlib@go1.20.1' },
        { type: 'library', name: 'stdlib', version: 'go1.22-20231128-RC02 X:boringcrypto', purl: 'pkg:golang/stdlib@go1.22-20231128-RC02' },
        { type: 'library', name: 'net', purl: 'pkg:golang/golang.org/x/net@v0.1' },
        { type: 'library', name: 'b', version: 'v1.2.3', purl: 'pkg:golang/github.com/a/b@v1.2.3' },
      ],
    };
    const inv = fromCycloneDx(foreign, { type: 'sbom', name: 'go.json' });
    expect(inv.packages.map((p) => [p.ecosystem, p.name, p.version, p.purl])).toEqual([
      ['Go', 'stdlib', '1.20', 'pkg:golang/stdlib@v1.20'],
      ['Go', 'stdlib', '1.20.1', 'pkg:golang/stdlib@go1.20.1'],
      ['Go', 'stdlib', '1.22.0-20231128-RC02', 'pkg:golang/stdlib@go1.22-20231128-RC02'],
      ['Go', 'golang.org/x/net', 'v0.1', 'pkg:golang/golang.org/x/net@v0.1'],
      ['Go', 'github.com/a/b', 'v1.2.3', 'pkg:golang/github.com/a/b@v1.2.3'],
    ]);
    expect(inv.warnings).toEqual([]);
  });
});

describe('SPDX 2.3', () => {
  it('describes the target, which contains the packages; the owner contains the owned package', () => {
    const doc = toSpdx(inventory);
    expect(doc).toMatchObject({ spdxVersion: 'SPDX-2.3', dataLicense: 'CC0-1.0', SPDXID: 'SPDXRef-DOCUMENT' });
    expect(doc.documentNamespace).toMatch(/^https:\/\//);
    const ids = new Set(doc.packages.map((p) => p.SPDXID));
    expect(ids.size).toBe(doc.packages.length);
    for (const r of doc.relationships) {
      expect(r.spdxElementId === 'SPDXRef-DOCUMENT' || ids.has(r.spdxElementId)).toBe(true);
      expect(ids.has(r.relatedSpdxElement)).toBe(true);
    }
    for (const p of doc.packages) expect(p.SPDXID).toMatch(/^SPDXRef-[A-Za-z0-9.-]+$/);
    const byPurl = (purl: string) => doc.packages.find((p) => p.externalRefs?.[0].referenceLocator === purl)!.SPDXID;
    expect(doc.relationships).toContainEqual({ spdxElementId: byPurl(inventory.packages[2].purl), relationshipType: 'CONTAINS', relatedSpdxElement: byPurl('pkg:pypi/six@1.16.0') });
  });

  it('reads back into the same packages', () => {
    const back = fromSpdx(JSON.parse(JSON.stringify(toSpdx(inventory))), { type: 'sbom', name: 'x.spdx.json' });
    expect(back.packages.map(essence)).toEqual(inventory.packages.map(essence));
    expect(back.os?.ecosystem).toBe('Debian:12');
  });
});

describe('vigil sbom', () => {
  it('writes CycloneDX by default, and reads it back as an sbom: target', async () => {
    const out = join(work, 'out.cdx.json');
    const r = await runVigil(['sbom', rootfs, '-o', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const doc = JSON.parse(await readFile(out, 'utf8'));
    expect(doc.bomFormat).toBe('CycloneDX');
    const back = await runVigil(['sbom', `sbom:${out}`, '--format', 'json']);
    expect(back.code).toBe(0);
    const inv = JSON.parse(back.stdout) as Inventory;
    expect(inv.target).toEqual({ type: 'sbom', name: `sbom:${out}`, subject: rootfs });
    expect(inv.packages.filter((p) => p.purlType === 'deb').map((p) => p.name)).toEqual(['libc6', 'linux-image-6.1.0-18-amd64', 'python3-six']);
  });

  it('writes SPDX to stdout', async () => {
    const spdx = await runVigil(['sbom', `dir:${rootfs}`, '--format', 'spdx-json']);
    expect(spdx.code).toBe(0);
    expect(JSON.parse(spdx.stdout).spdxVersion).toBe('SPDX-2.3');
    expect(spdx.stderr).toBe('');
  });

  it('hands a lone lockfile to the extractors', async () => {
    const r = await runVigil(['sbom', join(sharedDir, 'vulndata/demo/npm-project/package-lock.json'), '--format', 'json']);
    expect(r.code).toBe(0);
    const inv = JSON.parse(r.stdout) as Inventory;
    expect(inv.target.type).toBe('file');
    expect(inv.packages.find((p) => p.name === 'lodash')).toMatchObject({ ecosystem: 'npm', version: '4.17.15', purl: 'pkg:npm/lodash@4.17.15' });
  });

  const failures: [string, string[], RegExp][] = [
    ['an unknown format', ['sbom', 'dir:/', '--format', 'xml'], /unknown format "xml"; choose one of cyclonedx-json, spdx-json, json/],
    ['a missing path', ['sbom', '/nonexistent/vigil-target'], /\/nonexistent\/vigil-target: no such file or directory/],
    ['a bad limit', ['sbom', 'dir:/', '--max-layers', '-3'], /--max-layers must be a positive integer/],
  ];
  it('refuses a lone file no extractor reads, naming it', async () => {
    const file = join(work, 'notes.txt');
    await writeFile(file, 'hello');
    await expect(scanTarget(`file:${file}`)).rejects.toThrow(/notes\.txt: no extractor reads a file named notes\.txt/);
  });

  it.each(failures)('exits 2 for %s', async (_name, args, message) => {
    const r = await runVigil(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
