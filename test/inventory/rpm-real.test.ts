/**
 * Vigil's rpm extractor against Debian's real `rpm`: packages built with rpmbuild and
 * installed (`--justdb`) into a SQLite rpmdb made by `rpm --initdb`, and the BerkeleyDB
 * rpmdbs of CentOS 5–8 shipped in Debian's golang-github-knqyf263-go-rpmdb-dev package, each
 * compared with `rpm --dbpath DIR -qa`. Debian's rpm cannot write BerkeleyDB (read-only
 * backend) or NDB at all, so the NDB case re-packs the SQLite database's real header blobs
 * into NDB's layout (rpm's backend/ndb/rpmpkg.c) and expects the same list.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireComponent } from '../helpers/components.js';
import { installRpms, type RpmSpec } from '../helpers/rpm.js';
import { rpmDb } from '../../src/inventory/extractors/os/rpm-db.js';
import { scanTarget } from '../../src/inventory/index.js';
import type { FoundPackage } from '../../src/inventory/types.js';
import { runExtractor } from '../helpers/extractor-harness.js';
import { distInfoStandIn } from '../helpers/dist-info-extractor.js';

const GO_RPMDB = '/usr/share/gocode/src/github.com/knqyf263/go-rpmdb/pkg/testdata';
const QF = '%{NAME}\\t%{EPOCHNUM}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\t%{SOURCERPM}\\t%{MODULARITYLABEL}\\n';

/** `rpm -qa` as sorted lines of name, epoch, version, release, arch, source rpm, modularity label. */
function rpmQa(dbpath: string, backend?: string): string[] {
  const args = [...(backend ? ['--define', `_db_backend ${backend}`] : []), '--dbpath', dbpath, '-qa', '--qf', QF.replace(/\\\\/g, '\\')];
  const out = execFileSync('rpm', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return out
    .trim()
    .split('\n')
    .filter((l) => l && !l.startsWith('gpg-pubkey\t'))
    .map((l) => l.replace(/\(none\)/g, ''))
    .sort();
}

/** The same line for a package Vigil found. */
function line(p: FoundPackage): string {
  const epoch = p.metadata?.epoch ?? '0';
  const vr = p.version.replace(/^\d+:/, '');
  const release = vr.slice(vr.lastIndexOf('-') + 1);
  const version = vr.slice(0, vr.lastIndexOf('-'));
  return [p.name, epoch, version, release, p.arch ?? '', p.metadata?.sourceRpm ?? '', p.metadata?.modularityLabel ?? ''].join('\t');
}

const specs: RpmSpec[] = [
  { name: 'vigil-epoch', version: '1.2.3', release: '4.el9', epoch: 2, files: ['/usr/share/vigil-epoch/README'], modularityLabel: 'perl:5.30:8040020210610:abcd1234' },
  { name: 'kernel-core', version: '5.14.0', release: '362.8.1.el9_3', files: ['/lib/modules/5.14.0-362.8.1.el9_3.x86_64/vmlinuz'] },
  { name: 'python3-vigil-owned', version: '1.0', release: '1.el9', files: ['/usr/lib/python3.9/site-packages/vigil_owned-1.0.dist-info/METADATA'] },
  { name: 'vigil-plain', version: '0.1', release: '1', files: [] },
];

let work: string;
let sqliteDb: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'vigil-rpm-'));
  sqliteDb = join(work, 'rootfs/var/lib/rpm');
  await installRpms(specs, sqliteDb, work);
  await mkdir(join(work, 'rootfs/etc'), { recursive: true });
  await writeFile(join(work, 'rootfs/etc/os-release'), 'NAME="Rocky Linux"\nID="rocky"\nVERSION_ID="9.3"\n');
}, 120_000);
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Re-packs header blobs into rpm's NDB layout: 16-byte header, slot pages, blobs in 16-byte blocks. */
function ndbFrom(blobs: Buffer[]): Buffer {
  const slotPages = 1;
  const slotsEnd = slotPages * 4096;
  const parts: Buffer[] = [];
  const header = Buffer.alloc(16);
  header.writeUInt32LE(0x506d7052, 0);
  header.writeUInt32LE(0, 4);
  header.writeUInt32LE(1, 8);
  header.writeUInt32LE(slotPages, 12);
  const slots = Buffer.alloc(slotsEnd - 16);
  let offset = slotsEnd;
  const data: Buffer[] = [];
  for (let i = 0; i < 255; i++) {
    slots.writeUInt32LE(0x746f6c53, i * 16);
    const blob = blobs[i];
    if (!blob) continue;
    slots.writeUInt32LE(i + 1, i * 16 + 4);
    slots.writeUInt32LE(offset / 16, i * 16 + 8);
    const len = Math.ceil((16 + blob.length + 12) / 16) * 16;
    slots.writeUInt32LE(len / 16, i * 16 + 12);
    const b = Buffer.alloc(len);
    b.writeUInt32LE(0x53626c42, 0);
    b.writeUInt32LE(i + 1, 4);
    b.writeUInt32LE(blob.length, 12);
    blob.copy(b, 16);
    data.push(b);
    offset += len;
  }
  parts.push(header, slots, ...data);
  return Buffer.concat(parts);
}

describe('rpm databases vs rpm -qa', () => {
  it('SQLite rpmdb built by rpm --initdb and rpm -i --justdb', async () => {
    const want = rpmQa(sqliteDb);
    expect(want).toHaveLength(specs.length);
    const run = await runExtractor(rpmDb, join(sqliteDb, 'rpmdb.sqlite'), { targetPath: '/var/lib/rpm/rpmdb.sqlite' });
    expect(run.error).toBeUndefined();
    expect(run.packages.map(line).sort()).toEqual(want);
    const epoch = run.packages.find((p) => p.name === 'vigil-epoch')!;
    expect(epoch.version).toBe('2:1.2.3-4.el9');
    expect(epoch.source).toEqual({ name: 'vigil-epoch', version: '2:1.2.3-4.el9' });
    expect(epoch.metadata).toMatchObject({ epoch: '2', vendor: 'Vigil Tests', license: 'MIT', modularityLabel: 'perl:5.30:8040020210610:abcd1234' });
    expect(epoch.ownedFiles).toContain('/usr/share/vigil-epoch/README');
    expect(run.packages.find((p) => p.name === 'kernel-core')?.kernel).toBe(true);
    expect(run.packages.find((p) => p.name === 'vigil-plain')?.kernel).toBeUndefined();
  });

  it('NDB database holding the same header blobs', async () => {
    const db = new Database(join(sqliteDb, 'rpmdb.sqlite'), { readonly: true });
    const blobs = (db.prepare('SELECT blob FROM Packages ORDER BY hnum').all() as { blob: Buffer }[]).map((r) => r.blob);
    db.close();
    const file = join(work, 'Packages.db');
    await writeFile(file, ndbFrom(blobs));
    const run = await runExtractor(rpmDb, file, { targetPath: '/usr/lib/sysimage/rpm/Packages.db' });
    expect(run.error).toBeUndefined();
    expect(run.packages.map(line).sort()).toEqual(rpmQa(sqliteDb));
  });

  const bdbFixtures = existsSync(GO_RPMDB) ? readdirSync(GO_RPMDB).filter((d) => existsSync(join(GO_RPMDB, d, 'Packages'))) : [];
  it('has the go-rpmdb BerkeleyDB fixtures (apt golang-github-knqyf263-go-rpmdb-dev)', () => {
    requireComponent('golang-github-knqyf263-go-rpmdb-dev');
    expect(bdbFixtures.length).toBeGreaterThanOrEqual(8);
  });
  it.each(bdbFixtures)('BerkeleyDB %s', async (name) => {
    const dir = join(work, 'bdb', name);
    await cp(join(GO_RPMDB, name), dir, { recursive: true });
    const want = rpmQa(dir, 'bdb_ro');
    expect(want.length).toBeGreaterThan(0);
    const run = await runExtractor(rpmDb, join(dir, 'Packages'), { targetPath: '/var/lib/rpm/Packages' });
    expect(run.error).toBeUndefined();
    expect(run.packages.map(line).sort()).toEqual(want);
  });
});

describe('rpm-based root filesystem', () => {

  it('gets the Rocky ecosystem, rpm PURLs with epoch, kernels and file ownership', async () => {
    const root = join(work, 'rootfs');
    const metadata = '/usr/lib/python3.9/site-packages/vigil_owned-1.0.dist-info/METADATA';
    await mkdir(join(root, metadata, '..'), { recursive: true });
    await writeFile(join(root, metadata), 'Metadata-Version: 2.1\nName: vigil-owned\nVersion: 1.0\n');
    const inv = await scanTarget(`dir:${root}`, { extractors: [rpmDb, distInfoStandIn] });
    expect(inv.os?.ecosystem).toBe('Rocky Linux:9');
    const epoch = inv.packages.find((p) => p.name === 'vigil-epoch')!;
    expect(epoch.ecosystem).toBe('Rocky Linux:9');
    expect(epoch.purl).toBe('pkg:rpm/rocky/vigil-epoch@1.2.3-4.el9?arch=noarch&distro=rocky-9.3&epoch=2&upstream=vigil-epoch-1.2.3-4.el9.src.rpm');
    expect(epoch.extractor).toBe('os/rpm-db@1');
    expect(inv.packages.find((p) => p.name === 'kernel-core')?.kernel).toBe(true);
    const owned = inv.packages.find((p) => p.purlType === 'pypi')!;
    expect(owned).toMatchObject({ ecosystem: 'PyPI', name: 'vigil-owned', locations: [metadata], ownedBy: { purlType: 'rpm', name: 'python3-vigil-owned', version: '1.0-1.el9' } });
  });
});
