/**
 * Amazon Linux end to end: rpm packages built with rpmbuild and installed (`--justdb`) into an
 * rpmdb made by Debian's `rpm --initdb`, under an Amazon Linux 2023 os-release, matched against
 * the hand-written updateinfo documents of `test/vulndb/fixtures/updateinfo/` (imported for
 * Amazon Linux 2023 and 2). Scanned as `dir:`, as an OCI layout and as a docker-archive: the
 * advisory is found with the right fixed version, and not found when the installed build is at
 * or above the fix — epochs deciding either way.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanTarget } from '../../src/inventory/index.js';
import { scanInventory } from '../../src/matching/engine.js';
import type { ScanResult } from '../../src/matching/types.js';
import { VulnDb } from '../../src/vulndb/store.js';
import { updateVulnDb } from '../../src/vulndb/update.js';
import { imageFromRootfs, type RootfsImage } from '../helpers/images.js';
import { installRpms, type RpmSpec } from '../helpers/rpm.js';

const fixtures = new URL('../vulndb/fixtures/updateinfo/', import.meta.url).pathname;

const installed: RpmSpec[] = [
  // Below the fix 1:3.0.8-1.amzn2023.0.9 (ALAS2023-2024-0001); AL2's ALAS2 for it must not count.
  { name: 'openssl-libs', epoch: 1, version: '3.0.8', release: '1.amzn2023.0.8' },
  // Exactly the fix (epoch 0 written out in the advisory): not affected.
  { name: 'curl-minimal', version: '8.5.0', release: '1.amzn2023.0.2' },
  // 2:1.0 is above the fix 1:2.0: the epoch wins over the lower version.
  { name: 'vigil-epoch', epoch: 2, version: '1.0', release: '1.amzn2023' },
  // 5.0 without epoch is below the fix 1:1.0.
  { name: 'vigil-noepoch', version: '5.0', release: '1.amzn2023' },
  // One release below the fix 1.2.13-3.amzn2023.0.2.
  { name: 'zlib', version: '1.2.13', release: '3.amzn2023.0.1' },
];

let work: string;
let rootfs: string;
let dbPath: string;
let db: VulnDb;
let image: RootfsImage;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'vigil-amazon-'));
  rootfs = join(work, 'rootfs');
  await installRpms(installed, join(rootfs, 'var/lib/rpm'), work);
  await mkdir(join(rootfs, 'etc'), { recursive: true });
  await writeFile(
    join(rootfs, 'etc/os-release'),
    'NAME="Amazon Linux"\nVERSION="2023"\nID="amzn"\nID_LIKE="fedora"\nVERSION_ID="2023"\nPLATFORM_ID="platform:al2023"\nPRETTY_NAME="Amazon Linux 2023.3.20240117"\n',
  );
  dbPath = join(work, 'vulndb.sqlite');
  const update = await updateVulnDb({
    dbPath,
    sources: [`updateinfo=${join(fixtures, 'amazon-linux-2023.xml')}#Amazon Linux:2023`, `updateinfo=${join(fixtures, 'amazon-linux-2.xml')}#Amazon Linux:2`],
  });
  expect(update.failed).toBe(0);
  db = new VulnDb(dbPath);
  image = await imageFromRootfs(rootfs, join(work, 'images'), 'al2023');
}, 300_000);

afterAll(async () => {
  db?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

/** package → id → fixed version, for comparing whole results. */
function summary(result: ScanResult): Record<string, Record<string, string | undefined>> {
  const out: Record<string, Record<string, string | undefined>> = {};
  for (const f of result.findings) (out[`${f.package.name} ${f.package.version}`] ??= {})[f.id] = f.fixedVersion;
  return out;
}

const expected = {
  'openssl-libs 1:3.0.8-1.amzn2023.0.8': { 'CVE-2023-5678': '1:3.0.8-1.amzn2023.0.9', 'CVE-2023-6129': '1:3.0.8-1.amzn2023.0.9' },
  'vigil-noepoch 5.0-1.amzn2023': { 'CVE-2024-99999': '1:1.0-1.amzn2023' },
  'zlib 1.2.13-3.amzn2023.0.1': { 'CVE-2023-45853': '1.2.13-3.amzn2023.0.2' },
};

describe('an Amazon Linux 2023 root with an rpm database', () => {
  it.each([
    ['dir', () => `dir:${rootfs}`],
    ['oci-dir', () => `oci-dir:${image.ociRef}`],
    ['docker-archive', () => `docker-archive:${image.dockerArchive}`],
  ])('as %s: finds the ALAS advisories below their fix, with the fixed version, and nothing at or above it', async (_kind, target) => {
    const inventory = await scanTarget(target());
    expect(inventory.os?.ecosystem).toBe('Amazon Linux:2023');
    expect(inventory.packages.map((p) => `${p.name} ${p.version}`).sort()).toEqual([
      'curl-minimal 8.5.0-1.amzn2023.0.2',
      'openssl-libs 1:3.0.8-1.amzn2023.0.8',
      'vigil-epoch 2:1.0-1.amzn2023',
      'vigil-noepoch 5.0-1.amzn2023',
      'zlib 1.2.13-3.amzn2023.0.1',
    ]);
    const result = scanInventory(inventory, db);
    expect(summary(result)).toEqual(expected);
    const openssl = result.findings.find((f) => f.id === 'CVE-2023-5678');
    expect(openssl).toMatchObject({
      aliases: ['ALAS2023-2024-0001'],
      advisories: ['ALAS2023-2024-0001'],
      fixAvailable: 'YES',
      severity: 'HIGH',
      scoreSource: 'vendor-severity',
      vendorSeverity: { rating: 'important', source: 'Amazon Linux severity' },
      package: { ecosystem: 'Amazon Linux:2023' },
    });
  });
});
