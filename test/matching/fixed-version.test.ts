/**
 * The reported fixed version really fixes: it leaves every record and affected entry behind the
 * finding. Examples from issue 14, on the real OSV records of the shared import, and the property
 * over the whole import: a scan of any reported fixed version never reports the same finding.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Package } from '../../src/inventory/types.js';
import { runScan, scanInventory } from '../../src/matching/engine.js';
import { storeIndex } from '../../src/matching/store-index.js';
import type { Finding } from '../../src/matching/types.js';
import { tryParseEcosystem } from '../../src/ecosystems.js';
import { schemeFor } from '../../src/versioning/index.js';
import { VulnDb } from '../../src/vulndb/store.js';
import type { AdvisoryIndex } from '../../src/vulndb/types.js';
import { sharedVulnDb } from '../vulndb/shared-db.js';
import { inventory, pkg } from './fixtures.js';

let db: VulnDb;
let index: AdvisoryIndex;

beforeAll(async () => {
  db = new VulnDb((await sharedVulnDb()).path);
  index = storeIndex(db);
}, 600_000);
afterAll(() => db?.close());

const PURL_TYPE: Record<string, string> = { Go: 'golang', 'crates.io': 'cargo', PyPI: 'pypi', npm: 'npm', Maven: 'maven' };

function one(ecosystem: string, name: string, version: string): Package {
  return pkg({ purlType: PURL_TYPE[ecosystem], ecosystem, name, version });
}

/** The finding for `id` (the CVE or any alias) in a scan of one package. */
function findingFor(ecosystem: string, name: string, version: string, id: string): Finding | undefined {
  return scanInventory(inventory([one(ecosystem, name, version)]), index).findings.find((f) => f.id === id || f.aliases.includes(id));
}

function fixOf(f: Finding | undefined): Pick<Finding, 'fixAvailable' | 'fixedVersion'> | undefined {
  return f && { fixAvailable: f.fixAvailable, ...(f.fixedVersion !== undefined ? { fixedVersion: f.fixedVersion } : {}) };
}

describe('the fixed version leaves every entry of every record behind the finding (issue 14 examples)', () => {
  // [ecosystem, package, installed, advisory, expected fix, why]
  const cases: [string, string, string, string, string, string][] = [
    // Two entries in one record: 1.20.11 opens the second entry's range (the fix was redone).
    ['Go', 'stdlib', '1.20.10', 'GO-2023-2185', '1.20.12', 'the first entry fixes at 1.20.11, the second affects 1.20.11 up to 1.20.12'],
    ['Go', 'stdlib', '1.20.11', 'GO-2023-2185', '1.20.12', 'a scan of the old "fix" reports the real one'],
    ['Go', 'stdlib', '1.21.3', 'GO-2023-2185', '1.21.5', 'the same on the 1.21 line'],
    // Two entries [0, 0.38.17) and [0, 1.0.1): 0.38.17 is still inside the second.
    ['Go', 'github.com/cometbft/cometbft', '0.38.10', 'GO-2025-3442', '1.0.1', 'no version below 1.0.1 leaves the second entry'],
    // [9.5.1, 9.5.5), [0, 9.6.3), [9.7.0-beta.1, 9.7.3).
    ['Go', 'github.com/redis/go-redis/v9', '9.5.1', 'GO-2025-3540', '9.6.3', '9.5.5 is inside [0, 9.6.3)'],
    ['Go', 'github.com/redis/go-redis/v9', '9.7.0', 'GO-2025-3540', '9.7.3', 'the 9.7 line has its own fix, outside every other entry'],
    // [0, 2.0.6), [0, 2.1.5), [0, 2.2.2): only 2.2.2 leaves all three.
    ['Go', 'github.com/CosmWasm/wasmvm/v2', '2.0.5', 'GO-2025-3448', '2.2.2', '2.0.6 and 2.1.5 are inside later entries'],
    // Two records for the same CVEs: RUSTSEC-2022-0096 fixes 0.33.1, RUSTSEC-2022-0101 covers up to 0.38.2.
    ['crates.io', 'wasmtime', '0.33.0', 'CVE-2022-31169', '0.38.2', 'the aliased record still covers 0.33.1 and 0.34.1'],
  ];
  it.each(cases)('%s %s %s, %s: fixed in %s (%s)', (ecosystem, name, version, id, fixed) => {
    expect(fixOf(findingFor(ecosystem, name, version, id))).toEqual({ fixAvailable: 'YES', fixedVersion: fixed });
    expect(findingFor(ecosystem, name, fixed, id)).toBeUndefined();
  });
});

describe('versions listed literally are affected even when they do not parse (issue 14 item 3)', () => {
  it.each([
    ['paramiko', '0.9-horsea', 'PYSEC-2008-8', '1.7.2'],
    ['rope', '0.4m2', 'PYSEC-2018-100', '0.11.0'],
  ])('PyPI %s %s: %s, fixed in %s', (name, version, id, fixed) => {
    const result = scanInventory(inventory([one('PyPI', name, version)]), index);
    const finding = result.findings.find((f) => f.advisories.includes(id));
    expect(fixOf(finding)).toEqual({ fixAvailable: 'YES', fixedVersion: fixed });
    expect(result.warnings.map((w) => w.reason)).toContainEqual(expect.stringContaining(`${name} ${version} in PyPI: invalid pep440 version`));
    expect(findingFor('PyPI', name, fixed, id)).toBeUndefined();
  });
});

/** Versions worth scanning for a package: every bound its advisories name (valid under the scheme). */
function interestingVersions(ecosystem: string, name: string): string[] {
  const scheme = schemeFor(ecosystem);
  const out = new Set<string>();
  for (const a of index.advisoriesFor(ecosystem, name)) {
    for (const entry of a.match ?? a.affected) {
      for (const r of entry.ranges ?? []) {
        for (const e of r.events ?? []) {
          for (const v of [e.introduced, e.fixed, e.last_affected]) if (v && v !== '0' && scheme.isValid(v)) out.add(v);
        }
      }
    }
  }
  return [...out];
}

interface Brief {
  name: string;
  version: string;
  id: string;
  fixAvailable: string;
  fixedVersion?: string;
  fixNote?: string;
}

/** Scans the packages in slices (whole findings of every advisory bound would not fit in memory), keeping only what the property reads. */
function scanBriefly(packages: readonly Package[]): Brief[] {
  const out: Brief[] = [];
  for (let i = 0; i < packages.length; i += 250) {
    for (const f of runScan(inventory(packages.slice(i, i + 250)), index).result.findings) {
      out.push({ name: f.package.name, version: f.package.version, id: f.id, fixAvailable: f.fixAvailable, fixedVersion: f.fixedVersion, fixNote: f.fixNote });
    }
  }
  return out;
}

describe('property: a scan of any reported fixed version never reports the same finding', () => {
  it.each(['Go', 'crates.io', 'PyPI', 'npm', 'Maven', 'Debian:12'])('%s, every advisory bound as the installed version', (ecosystem) => {
    const info = tryParseEcosystem(ecosystem)!.info;
    const purlType = info.kind === 'os' ? 'deb' : PURL_TYPE[ecosystem];
    const packages: Package[] = [];
    for (const { name } of db.packages(ecosystem)) {
      for (const version of interestingVersions(ecosystem, name)) packages.push(pkg({ purlType, ecosystem, name, version }));
    }
    expect(packages.length).toBeGreaterThan(0);
    const first = scanBriefly(packages);
    const withFix = first.filter((f) => f.fixedVersion !== undefined);
    // The property must have material to bite on: most findings carry a fix.
    expect(withFix.length).toBeGreaterThan(first.length / 2);
    const fixedPackages = new Map<string, Package>();
    for (const f of withFix) fixedPackages.set(`${f.name}@${f.fixedVersion!}`, pkg({ purlType, ecosystem, name: f.name, version: f.fixedVersion! }));
    const reported = new Set(scanBriefly([...fixedPackages.values()]).map((f) => `${f.name}@${f.version} ${f.id}`));
    const repeated = withFix.filter((f) => reported.has(`${f.name}@${f.fixedVersion!} ${f.id}`)).map((f) => `${f.name}@${f.version} ${f.id} -> ${f.fixedVersion!}`);
    expect(repeated).toEqual([]);
    // PARTIAL says why.
    expect(first.filter((f) => f.fixAvailable === 'PARTIAL' && !f.fixNote)).toEqual([]);
  }, 600_000);
});
