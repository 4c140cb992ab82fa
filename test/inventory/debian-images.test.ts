/**
 * Real images, built without Docker (debootstrap → umoci → skopeo, see test/helpers/images.ts):
 * Vigil's dpkg inventory of the root filesystem, its OCI layout, docker-archive, oci-archive
 * and registry copies must equal `dpkg-query --admindir=ROOT/var/lib/dpkg -W` on the same
 * tree; whiteouts, opaque whiteouts, layer attribution and image metadata are checked on
 * the same images.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dpkgStatus } from '../../src/inventory/extractors/os/dpkg-status.js';
import { scanTarget } from '../../src/inventory/index.js';
import type { Extractor, Inventory } from '../../src/inventory/types.js';
import { debianImages, startRegistry, type DebianImages, type TestRegistry } from '../helpers/images.js';

let images: DebianImages;
let registry: TestRegistry;
let dpkgQuery: string[];

beforeAll(async () => {
  images = await debianImages();
  registry = await startRegistry();
  await registry.push(images.ociRef('bookworm-node'), 'test/debian:bookworm-node');
  await registry.push(images.ociRef('bookworm-node'), 'test/debian-v2s2:node', { format: 'v2s2' });
  dpkgQuery = execFileSync('dpkg-query', [`--admindir=${images.rootfs}/var/lib/dpkg`, '-W', '-f', '${Package}\t${Version}\t${source:Package}\t${source:Version}\n'], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .sort();
}, 600_000);
afterAll(async () => {
  await registry?.stop();
});

function dpkgLines(inv: Inventory): string[] {
  return inv.packages
    .filter((p) => p.purlType === 'deb')
    .map((p) => `${p.name}\t${p.version}\t${p.source?.name}\t${p.source?.version}`)
    .sort();
}

/**
 * A stand-in for the npm extractors (which live with the language extractors): one package
 * per `node_modules/<name>/package.json`, plus `/etc/motd` as a marker file, so whiteout
 * handling is checked on its own.
 */
const nodeModules: Extractor = {
  id: 'test/node-modules',
  version: 1,
  fileRequired: (path) => /^\/app\/node_modules\/[^/@]+\/package\.json$/.test(path) || path === '/etc/motd',
  async extract(file) {
    if (file.path === '/etc/motd') return [{ purlType: 'generic', name: 'motd', version: '1' }];
    const json = JSON.parse((await file.read()).toString('utf8')) as { name: string; version: string };
    return [{ purlType: 'npm', name: json.name, version: json.version }];
  },
};

describe('dpkg inventory equals dpkg-query on the same tree', () => {
  const targets: [string, () => string][] = [
    ['dir', () => `dir:${images.rootfs}`],
    ['auto-detected directory', () => images.rootfs],
    ['oci-dir', () => `oci-dir:${images.ociRef('bookworm')}`],
    ['oci-dir, app image', () => `oci-dir:${images.ociRef('bookworm-node')}`],
    ['docker-archive', () => `docker-archive:${images.dockerArchive('bookworm')}`],
    ['auto-detected docker-archive', () => images.dockerArchive('bookworm-node-del')],
    ['oci-archive', () => `oci-archive:${images.ociArchive}`],
    ['registry (OCI media types)', () => `registry:${registry.host}/test/debian:bookworm-node`],
    ['registry (Docker v2 schema 2)', () => `registry:${registry.host}/test/debian-v2s2:node`],
  ];
  it.each(targets)('%s', async (_name, target) => {
    const inv = await scanTarget(target(), { registry: { insecure: true }, extractors: [dpkgStatus] });
    expect(dpkgQuery.length).toBe(88);
    expect(dpkgLines(inv)).toEqual(dpkgQuery);
    expect(inv.os?.ecosystem).toBe('Debian:12');
    expect(inv.partial).toBe(false);
    const libc = inv.packages.find((p) => p.name === 'libc6')!;
    expect(libc.purl).toMatch(/^pkg:deb\/debian\/libc6@[^?]+\?arch=amd64&distro=debian-12&upstream=glibc$/);
    expect(libc.ecosystem).toBe('Debian:12');
    expect(libc.extractor).toBe('os/dpkg-status@1');
  });
});

describe('layers', () => {
  it('attributes each package to the layer that introduced it, and keeps image metadata', async () => {
    const inv = await scanTarget(`oci-dir:${images.ociRef('bookworm-node')}`, { extractors: [dpkgStatus, nodeModules] });
    const image = inv.target.image!;
    expect(image.layers).toHaveLength(2);
    const [base, app] = image.layers.map((l) => l.digest);
    expect(inv.packages.filter((p) => p.purlType === 'deb').every((p) => p.layer === base)).toBe(true);
    expect(inv.packages.filter((p) => p.purlType === 'npm').map((p) => [p.name, p.version, p.layer])).toEqual([
      ['lodash', '4.17.15', app],
      ['minimist', '1.2.0', app],
    ]);
    expect(image.baseImage).toEqual({ name: 'docker.io/library/debian:bookworm', digest: undefined });
    expect(image.labels['org.opencontainers.image.title']).toBe('vigil-test-app');
    expect(image).toMatchObject({ os: 'linux', architecture: 'amd64', tags: ['bookworm-node'] });
    expect(image.manifestDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(image.configDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(image.layers.every((l) => /^sha256:/.test(l.diffId ?? ''))).toBe(true);
    expect(image.history.length).toBeGreaterThanOrEqual(2);
    expect(inv.target.digest).toBe(image.manifestDigest);
  });

  it('applies whiteouts: deleted files and packages are gone from the final view', async () => {
    const before = await scanTarget(`oci-dir:${images.ociRef('bookworm-node')}`, { extractors: [nodeModules] });
    const after = await scanTarget(`docker-archive:${images.dockerArchive('bookworm-node-del')}`, { extractors: [nodeModules] });
    expect(before.packages.map((p) => p.name)).toEqual(['motd', 'lodash', 'minimist']);
    expect(after.packages.map((p) => p.name)).toEqual(['minimist']);
  });

  it('applies opaque whiteouts to lower layers only, keeping what the same layer wrote', async () => {
    const inv = await scanTarget(`oci-dir:${images.ociRef('bookworm-opq')}`, { extractors: [nodeModules, dpkgStatus] });
    const npm = inv.packages.filter((p) => p.purlType === 'npm');
    // minimist 1.2.8 comes from the opaque layer itself (written before its .wh..wh..opq marker).
    expect(npm.map((p) => `${p.name}@${p.version}`)).toEqual(['minimist@1.2.8']);
    expect(npm[0].layer).toBe(inv.target.image!.layers[2].digest);
    expect(inv.packages.filter((p) => p.purlType === 'deb')).toHaveLength(88);
  });
});
