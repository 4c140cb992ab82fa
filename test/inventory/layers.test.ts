/**
 * The layer walk on small synthetic images (tar layers written byte by byte, see
 * scripts/make-hostile-fixtures.ts): layer attribution when a database changes across
 * layers, whiteouts against lower versus same layers, hard links, symlinked release files,
 * and a synthetic Alpine image. No real Alpine root filesystem is reachable from the test
 * machines (apk-tools is not in Debian and Alpine's mirrors are not reachable), so the apk
 * database here is hand-written in apk's format: it exercises the parser and OS detection,
 * not real Alpine binaries.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTar, writeLayout, type LayerSpec } from '../../scripts/make-hostile-fixtures.js';
import { scanTarget } from '../../src/inventory/index.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'vigil-layers-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const stanza = (name: string, version: string) => `Package: ${name}\nStatus: install ok installed\nVersion: ${version}\nArchitecture: amd64\n\n`;
const OS = { name: 'usr/lib/os-release', data: 'ID=debian\nVERSION_ID="12"\n' };
const OS_LINK = { name: 'etc/os-release', type: 'symlink' as const, linkname: '../usr/lib/os-release' };

async function scanLayers(name: string, layers: LayerSpec[]) {
  const dir = join(work, name);
  await writeLayout(dir, layers);
  const inv = await scanTarget(`oci-dir:${dir}`);
  const digests = inv.target.image!.layers.map((l) => l.digest);
  return { inv, digests, pkgs: inv.packages.map((p) => `${p.name}@${p.version}:L${digests.indexOf(p.layer!) + 1}`) };
}

describe('layer attribution', () => {
  it('credits each package to the lowest layer from which it stayed unchanged', async () => {
    const { inv, pkgs } = await scanLayers('attribution', [
      { tar: makeTar([OS, OS_LINK, { name: 'var/lib/dpkg/status', data: stanza('a', '1') + stanza('b', '1') }]) },
      { tar: makeTar([{ name: 'var/lib/dpkg/status', data: stanza('a', '1') + stanza('b', '2') + stanza('c', '1') }]), compression: 'zstd' },
      { tar: makeTar([{ name: 'var/lib/dpkg/status', data: stanza('a', '1') + stanza('b', '2') + stanza('c', '1') + stanza('d', '1') }]), compression: 'none' },
    ]);
    expect(pkgs).toEqual(['a@1:L1', 'b@2:L2', 'c@1:L2', 'd@1:L3']);
    expect(inv.os?.ecosystem).toBe('Debian:12');
  });

  it('starts over when a file is deleted and written again', async () => {
    const { pkgs } = await scanLayers('deleted-and-back', [
      { tar: makeTar([OS, { name: 'var/lib/dpkg/status', data: stanza('a', '1') }]) },
      { tar: makeTar([{ name: 'var/lib/dpkg/.wh.status', data: '' }]) },
      { tar: makeTar([{ name: 'var/lib/dpkg/status', data: stanza('a', '1') }]) },
    ]);
    expect(pkgs).toEqual(['a@1:L3']);
  });
});

describe('whiteouts', () => {
  it('a whiteout hides lower layers only; the same layer may write the name again', async () => {
    const { pkgs } = await scanLayers('same-layer-whiteout', [
      { tar: makeTar([OS, { name: 'var/lib/dpkg/status', data: stanza('old', '1') }]) },
      { tar: makeTar([{ name: 'var/lib/dpkg/status', data: stanza('new', '1') }, { name: 'var/lib/dpkg/.wh.status', data: '' }]) },
    ]);
    expect(pkgs).toEqual(['new@1:L2']);
  });

  it('an opaque directory hides the lower content of the whole subtree', async () => {
    const { pkgs } = await scanLayers('opaque-subtree', [
      { tar: makeTar([OS, { name: 'var/lib/dpkg/status', data: stanza('base', '1') }, { name: 'var/lib/dpkg/status.d/extra', data: stanza('extra', '1') }]) },
      { tar: makeTar([{ name: 'var/lib/.wh..wh..opq', data: '' }, { name: 'var/lib/dpkg/status.d/kept', data: stanza('kept', '2') }]) },
    ]);
    expect(pkgs).toEqual(['kept@2:L2']);
  });
});

describe('links', () => {
  it('reads a hard link to a file an extractor wanted, and a symlinked os-release', async () => {
    const { inv, pkgs } = await scanLayers('hardlink', [
      { tar: makeTar([OS, OS_LINK, { name: 'var/lib/dpkg/status', data: stanza('linked', '1') }]) },
      { tar: makeTar([{ name: 'var/lib/dpkg/status.d/copy', type: 'link', linkname: 'var/lib/dpkg/status' }]) },
    ]);
    expect(pkgs).toEqual(['linked@1:L1', 'linked@1:L2']);
    expect(inv.packages.map((p) => p.locations[0])).toEqual(['/var/lib/dpkg/status', '/var/lib/dpkg/status.d/copy']);
    expect(inv.warnings).toEqual([]);
  });
});

describe('synthetic Alpine image (hand-written apk database, not a real Alpine rootfs)', () => {
  it('finds apk packages with origin, Alpine ecosystem and PURL, and owned files', async () => {
    const installed = [
      'P:musl\nV:1.2.4_git20230717-r4\nA:x86_64\no:musl\nL:MIT\nF:lib\nR:ld-musl-x86_64.so.1\n',
      'P:libcrypto3\nV:3.1.4-r5\nA:x86_64\no:openssl\nL:Apache-2.0\nF:usr/lib\nR:libcrypto.so.3\n',
      'P:py3-six\nV:1.16.0-r8\nA:noarch\no:py3-six\nF:usr/lib/python3.11/site-packages/six-1.16.0.dist-info\nR:METADATA\n',
      'P:linux-lts\nV:6.6.14-r0\nA:x86_64\no:linux-lts\n',
    ].join('\n');
    const { inv } = await scanLayers('alpine', [
      {
        tar: makeTar([
          { name: 'etc/alpine-release', data: '3.19.1\n' },
          { name: 'etc/os-release', data: 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.19.1\n' },
          { name: 'lib/apk/db/installed', data: installed },
          { name: 'usr/lib/python3.11/site-packages/six-1.16.0.dist-info/METADATA', data: 'Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\n' },
        ]),
      },
    ]);
    expect(inv.os).toMatchObject({ id: 'alpine', ecosystem: 'Alpine:v3.19' });
    const apk = inv.packages.filter((p) => p.purlType === 'apk');
    expect(apk.map((p) => [p.name, p.version, p.source?.name, p.ecosystem, p.kernel ?? false])).toEqual([
      ['libcrypto3', '3.1.4-r5', 'openssl', 'Alpine:v3.19', false],
      ['linux-lts', '6.6.14-r0', 'linux-lts', 'Alpine:v3.19', true],
      ['musl', '1.2.4_git20230717-r4', 'musl', 'Alpine:v3.19', false],
      ['py3-six', '1.16.0-r8', 'py3-six', 'Alpine:v3.19', false],
    ]);
    expect(apk[0].purl).toBe('pkg:apk/alpine/libcrypto3@3.1.4-r5?arch=x86_64&distro=alpine-3.19.1&upstream=openssl');
    // The registry's Python extractor reads dist-info METADATA; apk's R: lines say who owns it.
    const six = inv.packages.find((p) => p.purlType === 'pypi');
    expect(six?.ownedBy).toEqual({ purlType: 'apk', name: 'py3-six', version: '1.16.0-r8' });
  });
});

describe('unknown OS', () => {
  it('warns, leaves OS packages without ecosystem, and still finds what it can', async () => {
    const { inv } = await scanLayers('unknown-os', [{ tar: makeTar([{ name: 'var/lib/dpkg/status', data: stanza('mystery', '1') }]) }]);
    expect(inv.os).toBeUndefined();
    expect(inv.packages.map((p) => [p.name, p.ecosystem])).toEqual([['mystery', '']]);
    expect(inv.warnings).toContainEqual(expect.objectContaining({ extractor: 'os/os-release@1', reason: expect.stringMatching(/operating system is unknown/) }));
  });
});
