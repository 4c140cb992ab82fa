/**
 * Language lockfiles matched against the full shared data. Fixtures come from
 * `../shared/testdata/extraction/` (copied to a temp dir under the name their extractor reads)
 * or, where none of those packages has an advisory, from `fixtures/` here. Every expectation
 * was checked against the raw advisory data (PyPI with Python's `packaging`, the others by
 * reading the records' ranges), as the comments say.
 */
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanTarget } from '../../src/inventory/index.js';
import { toCycloneDxJson, toSpdxJson } from '../../src/inventory/sbom/index.js';
import { scanInventory } from '../../src/matching/engine.js';
import type { ScanResult } from '../../src/matching/types.js';
import { VulnDb } from '../../src/vulndb/store.js';
import { sharedDir } from '../helpers/cli.js';
import { sharedVulnDb } from '../vulndb/shared-db.js';

const scalibr = join(sharedDir, 'testdata/extraction/osv-scalibr/extractor/filesystem/language');
const local = fileURLToPath(new URL('./fixtures', import.meta.url));

let db: VulnDb;
beforeAll(async () => {
  db = new VulnDb((await sharedVulnDb()).path);
}, 900_000);
afterAll(() => db?.close());

/** Scans one lockfile, copied into an empty directory as `name`. */
async function scanLockfile(file: string, name: string): Promise<ScanResult> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-lockfile-'));
  copyFileSync(file, join(dir, name));
  return scanInventory(await scanTarget(`dir:${dir}`), db);
}

function summary(result: ScanResult): string[] {
  return result.findings.map((f) => `${f.package.name}@${f.package.version} ${f.id} -> ${f.fixedVersion ?? 'none'}`).sort();
}

describe('PyPI', () => {
  it('requirements.txt with pinned versions: nltk 3.2.2', async () => {
    const result = await scanLockfile(join(scalibr, 'python/requirements/testdata/with_versions.txt'), 'requirements.txt');
    expect(summary(result)).toEqual([
      'nltk@3.2.2 CVE-2019-14751 -> 3.4.5',
      'nltk@3.2.2 CVE-2021-3828 -> 3.6.4',
      'nltk@3.2.2 CVE-2021-3842 -> 3.6.6',
      'nltk@3.2.2 CVE-2021-43854 -> 3.6.5',
    ]);
    // PYSEC and GHSA ids of the same CVE are one finding.
    expect(result.findings.find((f) => f.id === 'CVE-2021-3842')?.aliases).toEqual(['GHSA-rqjh-jp2r-59cj', 'PYSEC-2022-5']);
  });

  it('requirements.txt with extras: celery 4.4.7 and pyjwt 2.1.0', async () => {
    const result = await scanLockfile(join(scalibr, 'python/requirements/testdata/extras.txt'), 'requirements.txt');
    expect(summary(result)).toEqual(['celery@4.4.7 CVE-2021-23727 -> 5.2.2', 'pyjwt@2.1.0 CVE-2022-29217 -> 2.4.0']);
  });

  it('poetry.lock: redis 5.2.1 is only named by a withdrawn advisory (PYSEC-2023-73), so nothing', async () => {
    const result = await scanLockfile(join(scalibr, 'python/poetrylock/testdata/multiple-packages.v2.lock'), 'poetry.lock');
    expect(result.packageCount).toBe(11);
    expect(summary(result)).toEqual([]);
  });
});

describe('Go', () => {
  it('go.mod: golang.org/x/net v0.5.6 (replaced), by GO ids with their CVEs', async () => {
    const result = await scanLockfile(join(scalibr, 'golang/gomod/testdata/replace-not-required.mod'), 'go.mod');
    const net = summary(result).filter((s) => s.startsWith('golang.org/x/net@'));
    // GO-2023-1571 (CVE-2022-41723, fixed 0.7.0), GO-2023-2102 (CVE-2023-39325, fixed 0.17.0),
    // GO-2024-2687 (CVE-2023-45288, fixed 0.23.0), GO-2024-3333 (CVE-2024-45338, fixed 0.33.0)…
    expect(net).toEqual(
      expect.arrayContaining([
        'golang.org/x/net@0.5.6 CVE-2022-41723 -> 0.7.0',
        'golang.org/x/net@0.5.6 CVE-2023-39325 -> 0.17.0',
        'golang.org/x/net@0.5.6 CVE-2023-45288 -> 0.23.0',
        'golang.org/x/net@0.5.6 CVE-2024-45338 -> 0.33.0',
      ]),
    );
    expect(net).toHaveLength(17);
    expect(result.findings.find((f) => f.id === 'CVE-2023-45288')?.aliases).toEqual(['GHSA-4v7x-pqxf-cx7m', 'GO-2024-2687']);
  });
});

describe('crates.io', () => {
  it('Cargo.lock fixtures of osv-scalibr name no crate with a RustSec advisory', async () => {
    const result = await scanLockfile(join(scalibr, 'rust/cargolock/testdata/two-packages.lock'), 'Cargo.lock');
    expect(result.packageCount).toBe(2);
    expect(summary(result)).toEqual([]);
  });

  it('Cargo.lock with smallvec 0.6.9: four RustSec advisories, each fixed in 0.6.x', async () => {
    // RUSTSEC-2019-0012 (0.6.3 ≤ v < 0.6.10), RUSTSEC-2019-0009 (0.6.5 ≤ v < 0.6.10),
    // RUSTSEC-2018-0018 (< 0.6.13), RUSTSEC-2021-0003 (0.6.3 ≤ v < 0.6.14); RUSTSEC-2018-0003
    // stops at 0.6.3, so it does not apply.
    const result = await scanLockfile(join(local, 'cargo-smallvec-0.6.9/Cargo.lock'), 'Cargo.lock');
    expect(summary(result)).toEqual([
      'smallvec@0.6.9 CVE-2018-25023 -> 0.6.13',
      'smallvec@0.6.9 CVE-2019-15551 -> 0.6.10',
      'smallvec@0.6.9 CVE-2019-15554 -> 0.6.10',
      'smallvec@0.6.9 CVE-2021-25900 -> 0.6.14',
    ]);
  });
});

describe('RubyGems', () => {
  it('Gemfile.lock (rubocop): rexml 3.2.5, from the native RubySec data', async () => {
    const result = await scanLockfile(join(scalibr, 'ruby/gemfilelock/testdata/rubocop.lock'), 'Gemfile.lock');
    expect(summary(result)).toEqual([
      'rexml@3.2.5 CVE-2024-35176 -> 3.2.7',
      'rexml@3.2.5 CVE-2024-39908 -> 3.3.2',
      'rexml@3.2.5 CVE-2024-41123 -> 3.3.3',
      'rexml@3.2.5 CVE-2024-41946 -> 3.3.3',
      'rexml@3.2.5 CVE-2024-43398 -> 3.3.6',
      'rexml@3.2.5 CVE-2024-49761 -> 3.3.9',
    ]);
  });
});

describe('Packagist', () => {
  it('composer.lock fixtures of osv-scalibr: drupal/core 10.4.5 is newer than every FriendsOfPHP range', async () => {
    const result = await scanLockfile(join(scalibr, 'php/composerlock/testdata/drupal-packages.json'), 'composer.lock');
    expect(summary(result)).toEqual([]);
  });

  it('composer.lock with guzzlehttp/psr7 1.8.3: five FriendsOfPHP advisories', async () => {
    // `<1.8.4` (CVE-2022-24775), `<1.9.1` (CVE-2023-29197), `<2.10.2` (CVE-2026-48998,
    // CVE-2026-49214) and `<2.12.1` (CVE-2026-55766) all cover 1.8.3.
    const result = await scanLockfile(join(local, 'composer-psr7-1.8.3/composer.lock'), 'composer.lock');
    expect(summary(result)).toEqual([
      'guzzlehttp/psr7@1.8.3 CVE-2022-24775 -> 1.8.4',
      'guzzlehttp/psr7@1.8.3 CVE-2023-29197 -> 1.9.1',
      'guzzlehttp/psr7@1.8.3 CVE-2026-48998 -> 2.10.2',
      'guzzlehttp/psr7@1.8.3 CVE-2026-49214 -> 2.10.2',
      'guzzlehttp/psr7@1.8.3 CVE-2026-55766 -> 2.12.1',
    ]);
  });
});

describe('SBOM targets', () => {
  it.each(['cyclonedx', 'spdx'] as const)('a %s SBOM of the npm demo project finds what the project itself does', async (kind) => {
    const inventory = await scanTarget(`dir:${join(sharedDir, 'vulndata/demo/npm-project')}`);
    const dir = mkdtempSync(join(tmpdir(), 'vigil-sbom-'));
    const file = join(dir, `demo.${kind}.json`);
    writeFileSync(file, kind === 'cyclonedx' ? toCycloneDxJson(inventory) : toSpdxJson(inventory));
    const fromSbom = scanInventory(await scanTarget(`sbom:${file}`), db);
    const fromProject = scanInventory(inventory, db);
    expect(summary(fromSbom)).toEqual(summary(fromProject));
    expect(summary(fromSbom)).toContain('lodash@4.17.15 CVE-2020-8203 -> 4.17.20');
  });
});
