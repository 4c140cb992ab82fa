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
});
