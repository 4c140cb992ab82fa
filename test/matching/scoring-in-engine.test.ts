/**
 * How the engine feeds scoring: which vectors it offers (the distribution's record, GHSA,
 * NVD/CISA-ADP enrichment), KEV and EPSS by CVE, and the context adjustment, on a tiny
 * declared data set.
 */
import { describe, expect, it } from 'vitest';
import { scanInventory } from '../../src/matching/engine.js';
import type { Enrichment } from '../../src/vulndb/types.js';
import { advisory, tinyAdvisoryDb } from '../helpers/tiny-advisory-db.js';
import { deb, inventory, pkg } from './fixtures.js';

const NVD_CRITICAL = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'; // 9.8
const VENDOR_MEDIUM = 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N'; // 5.9
const GHSA_HIGH = 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H'; // 7.4

const db = tinyAdvisoryDb(
  [
    // A distribution record with its own vector: for a Debian package it beats NVD's.
    advisory('DSA-1-1', 'Debian:12', 'curl', [[{ introduced: '0' }, { fixed: '7.88.1-10+deb12u5' }]], {
      aliases: ['CVE-2024-1000'],
      severity: [{ type: 'CVSS_V3', score: VENDOR_MEDIUM }],
    }),
    // A GHSA with its own vector: NVD's v3.1 (from enrichment) is preferred.
    advisory('GHSA-1111-2222-3333', 'npm', 'minimist', [[{ introduced: '0' }, { fixed: '1.2.6' }]], {
      aliases: ['CVE-2024-2000'],
      severity: [{ type: 'CVSS_V3', score: GHSA_HIGH }],
    }),
    // A GHSA with only the vendor's word: severity from the word, no score.
    advisory('GHSA-4444-5555-6666', 'npm', 'wordy', [[{ introduced: '0' }, { fixed: '2.0.0' }]], { database_specific: { severity: 'MODERATE' } }),
    // In CISA KEV: never scored down, even off the internet.
    advisory('GHSA-7777-8888-9999', 'Maven', 'org.apache.logging.log4j:log4j-core', [[{ introduced: '2.0' }, { fixed: '2.15.0' }]], { aliases: ['CVE-2021-44228'] }),
  ],
  [
    { cveId: 'CVE-2024-1000', cvss: [{ version: '3.1', vector: NVD_CRITICAL, baseScore: 9.8, source: 'nvd' }], cwes: [], references: ['https://nvd.example/CVE-2024-1000'] },
    { cveId: 'CVE-2024-2000', cvss: [{ version: '3.1', vector: NVD_CRITICAL, baseScore: 9.8, source: 'nvd' }], cwes: [], references: [], epss: { cveId: 'CVE-2024-2000', score: 0.5, percentile: 0.97 } },
    {
      cveId: 'CVE-2021-44228',
      cvss: [{ version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', baseScore: 10, source: 'nvd' }],
      cwes: [],
      references: [],
      kev: { cveId: 'CVE-2021-44228', dateAdded: '2021-12-10', dueDate: '2021-12-24' },
    },
  ] satisfies Enrichment[],
);

const packages = [
  deb('curl', '7.88.1-10+deb12u4', ['curl', '7.88.1-10+deb12u4']),
  pkg({ purlType: 'npm', ecosystem: 'npm', name: 'minimist', version: '1.2.0' }),
  pkg({ purlType: 'npm', ecosystem: 'npm', name: 'wordy', version: '1.0.0' }),
  pkg({ purlType: 'maven', ecosystem: 'Maven', name: 'org.apache.logging.log4j:log4j-core', version: '2.14.1' }),
];

describe('scores in the engine', () => {
  it('picks the base per package kind and carries EPSS, KEV and references', () => {
    const byPkg = new Map(scanInventory(inventory(packages), db).findings.map((f) => [f.package.name, f]));
    expect(byPkg.get('curl')).toMatchObject({ id: 'CVE-2024-1000', score: 5.9, severity: 'MEDIUM', scoreSource: 'vendor:3.1', references: ['https://nvd.example/CVE-2024-1000'] });
    expect(byPkg.get('minimist')).toMatchObject({ score: 9.8, severity: 'CRITICAL', scoreSource: 'nvd:3.1', epss: { score: 0.5, percentile: 0.97 } });
    expect(byPkg.get('wordy')).toMatchObject({ id: 'GHSA-4444-5555-6666', score: 0, severity: 'MEDIUM', scoreSource: 'vendor-severity' });
    expect(byPkg.get('org.apache.logging.log4j:log4j-core')).toMatchObject({ score: 10, severity: 'CRITICAL', kev: { dateAdded: '2021-12-10', dueDate: '2021-12-24' } });
  });

  it('adjusts network vectors off the internet, except for KEV, and orders by risk', () => {
    const findings = scanInventory(inventory(packages), db, { internetReachable: false }).findings;
    expect(findings.map((f) => [f.package.name, f.score, f.severity])).toEqual([
      ['org.apache.logging.log4j:log4j-core', 10, 'CRITICAL'],
      ['minimist', 8.8, 'HIGH'],
      ['curl', 5.3, 'MEDIUM'],
      ['wordy', 0, 'MEDIUM'],
    ]);
    expect(findings[0].adjustments).toEqual([{ metric: 'AV', from: 'N', to: 'N', reason: expect.stringContaining('CISA KEV') }]);
    expect(findings[3].adjustments).toEqual([]);
  });

  it('scores each scan in its own context, whatever the index scored before', () => {
    const scan = (context: Parameters<typeof scanInventory>[2]) => scanInventory(inventory(packages), db, context).findings.map((f) => [f.package.name, f.score, f.adjustments.map((a) => a.reason)]);
    const open = scan({});
    const behindA = scan({ internetReachable: false, reachabilityReason: 'no route from the internet to host A' });
    const behindB = scan({ internetReachable: false, reachabilityReason: 'no route from the internet to host B' });
    expect(behindA).not.toEqual(open);
    expect(behindA.find(([name]) => name === 'minimist')).toEqual(['minimist', 8.8, [expect.stringContaining('host A'), expect.stringContaining('recomputed')]]);
    expect(behindB.find(([name]) => name === 'minimist')).toEqual(['minimist', 8.8, [expect.stringContaining('host B'), expect.stringContaining('recomputed')]]);
    expect(scan({})).toEqual(open);
  });
});

describe('vendor severity when no CVSS exists', () => {
  const ubuntuPkg = (name: string): ReturnType<typeof pkg> =>
    pkg({ purlType: 'deb', ecosystem: 'Ubuntu:22.04', name, version: '1.0-1', source: { name, version: '1.0-1' } });
  const vendorDb = tinyAdvisoryDb([
    // Ubuntu's priority lives in the record's severity list, beside any vectors.
    advisory('UBUNTU-CVE-2026-0001', 'Ubuntu:22.04', 'libfoo', [[{ introduced: '0' }, { fixed: '1.0-2' }]], {
      aliases: ['CVE-2026-0001'],
      severity: [{ type: 'Ubuntu', score: 'high' }],
    }),
    // Debian's tracker urgency is per affected entry (osv.dev's DEBIAN-CVE records); `**` is dropped.
    {
      id: 'DEBIAN-CVE-2026-0002',
      modified: '2026-01-01T00:00:00Z',
      aliases: ['CVE-2026-0002'],
      affected: [{ package: { ecosystem: 'Debian:12', name: 'libbar' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.0-2' }] }], ecosystem_specific: { urgency: 'low**' } }],
    },
    // A changelog's upload urgency rates the upload, not the flaw: nobody rated this CVE.
    advisory('DEBCL-libbaz-2.0-2', 'Debian:12', 'libbaz', [[{ introduced: '0' }, { fixed: '2.0-2' }]], { aliases: ['CVE-2026-0003'], database_specific: { urgency: 'high' } }),
    // An Amazon Linux advisory's severity word (as the updateinfo importer stores it).
    advisory('ALAS2023-2026-001', 'Amazon Linux:2023', 'qux', [[{ introduced: '0' }, { fixed: '0:1.1-1.amzn2023' }]], { aliases: ['CVE-2026-0004'], database_specific: { severity: 'important' } }),
    // A vendor word and an enrichment vector: the vector wins, and the reason says it is NVD's.
    advisory('UBUNTU-CVE-2026-0005', 'Ubuntu:22.04', 'libvec', [[{ introduced: '0' }, { fixed: '1.0-2' }]], { aliases: ['CVE-2026-0005'], severity: [{ type: 'Ubuntu', score: 'low' }] }),
  ], [{ cveId: 'CVE-2026-0005', cvss: [{ version: '3.1', vector: NVD_CRITICAL, baseScore: 9.8, source: 'nvd' }], cwes: [], references: [] }]);

  it('uses the distribution word with its source, and UNTRIAGED only when nobody rated it', () => {
    const findings = scanInventory(
      inventory([
        ubuntuPkg('libfoo'),
        ubuntuPkg('libvec'),
        deb('libbar', '2.0-1', ['libbar', '2.0-1']),
        deb('libbaz', '2.0-1', ['libbaz', '2.0-1']),
        pkg({ purlType: 'rpm', ecosystem: 'Amazon Linux:2023', name: 'qux', version: '1.0-1.amzn2023' }),
      ]),
      vendorDb,
    ).findings;
    const byId = new Map(findings.map((f) => [f.id, f]));
    expect(byId.get('CVE-2026-0001')).toMatchObject({
      severity: 'HIGH',
      score: 0,
      scoreSource: 'vendor-severity',
      vendorSeverity: { rating: 'high', source: 'Ubuntu priority' },
      scoreReason: 'severity HIGH from Ubuntu priority "high" (no CVSS published)',
    });
    expect(byId.get('CVE-2026-0002')).toMatchObject({ severity: 'LOW', vendorSeverity: { rating: 'low', source: 'Debian security tracker urgency' } });
    expect(byId.get('CVE-2026-0003')).toMatchObject({ severity: 'UNTRIAGED', scoreSource: 'none', scoreReason: 'untriaged: no CVSS published and no vendor severity in any source' });
    expect(byId.get('CVE-2026-0004')).toMatchObject({ severity: 'HIGH', vendorSeverity: { rating: 'important', source: 'Amazon Linux severity' } });
    expect(byId.get('CVE-2026-0005')).toMatchObject({ severity: 'CRITICAL', score: 9.8, scoreSource: 'nvd:3.1', scoreReason: 'base 9.8 from NVD CVSS v3.1 (no vendor vector)' });
    expect(byId.get('CVE-2026-0005')?.vendorSeverity).toBeUndefined();
  });

  it("names the distribution when its own vector is used", () => {
    const curl = scanInventory(inventory(packages), db).findings.find((f) => f.package.name === 'curl');
    expect(curl?.scoreReason).toBe("base 5.9 from Debian CVSS v3.1 (the distribution's own vector comes first)");
  });
});

describe('vectors of another package for the same CVE', () => {
  const V40 = 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:A/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N'; // 5.1
  const crossDb = tinyAdvisoryDb([
    // Debian's record for a toolchain that vendors the crate: no vector of its own.
    advisory('DEBCL-rustc-web-1.96.0-1', 'Debian:12', 'rustc-web', [[{ introduced: '0' }, { fixed: '1.96.0-1' }]], { aliases: ['CVE-2026-33055'] }),
    // The crate's own advisory scores it.
    advisory('RUSTSEC-2026-0068', 'crates.io', 'tar', [[{ introduced: '0' }, { fixed: '0.4.45' }]], { aliases: ['CVE-2026-33055'], severity: [{ type: 'CVSS_V4', score: V40 }] }),
    // A vector the package's own record has is used before anyone else's.
    advisory('DEBCL-other-1.0-2', 'Debian:12', 'other', [[{ introduced: '0' }, { fixed: '1.0-2' }]], { aliases: ['CVE-2026-40000'], severity: [{ type: 'CVSS_V3', score: VENDOR_MEDIUM }] }),
    advisory('GHSA-aaaa-aaaa-aaaa', 'npm', 'other', [[{ introduced: '0' }, { fixed: '9' }]], { aliases: ['CVE-2026-40000'], severity: [{ type: 'CVSS_V3', score: NVD_CRITICAL }] }),
  ]);

  it('score a distribution finding nothing closer scores, and name the advisory', () => {
    const findings = scanInventory(inventory([deb('rustc-web', '1.95.0-1', ['rustc-web', '1.95.0-1']), deb('other', '1.0-1', ['other', '1.0-1'])]), crossDb).findings;
    const byId = new Map(findings.map((f) => [f.id, f]));
    expect(byId.get('CVE-2026-33055')).toMatchObject({
      severity: 'MEDIUM',
      score: 5.1,
      scoreSource: 'osv:4.0',
      scoreReason: 'base 5.1 from RUSTSEC-2026-0068 CVSS v4.0 (no vendor vector; no CVSS v3 vector; the advisory of another package for this vulnerability; nothing closer scores it)',
    });
    expect(byId.get('CVE-2026-40000')).toMatchObject({ score: 5.9, scoreSource: 'vendor:3.1' });
  });
});
