/** A hand-built scan result covering every shape a finding can take, for the output tests. */
import type { Finding, ScanResult } from '../../src/matching/types.js';

const base: Omit<Finding, 'id' | 'package' | 'severity' | 'score' | 'fixAvailable'> = {
  aliases: [],
  title: 'a flaw',
  scoreSource: 'nvd:3.1',
  adjustments: [],
  references: ['https://example.org/advisory'],
  advisories: [],
};

/** Findings of each severity, KEV and EPSS marks, unfixed and partial fixes, an untriaged one. */
export function sampleResult(): ScanResult {
  return {
    schemaVersion: 1,
    target: { type: 'dir', name: '/srv/app' },
    os: { ecosystem: 'Debian:12', name: 'Debian GNU/Linux', version: '12' },
    packageCount: 42,
    findings: [
      {
        ...base,
        id: 'CVE-2021-44228',
        aliases: ['GHSA-jfh8-c2jp-5v3q'],
        title: 'Remote code injection in Log4j',
        description: 'Apache Log4j2 JNDI features do not protect against attacker controlled LDAP endpoints.',
        package: { name: 'org.apache.logging.log4j:log4j-core', version: '2.14.1', ecosystem: 'Maven', purl: 'pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1', locations: ['/srv/app/lib/log4j-core-2.14.1.jar'] },
        fixAvailable: 'YES',
        fixedVersion: '2.15.0',
        severity: 'CRITICAL',
        score: 10,
        cvss: { version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', baseScore: 10, source: 'nvd' },
        adjustments: [{ metric: 'AV', from: 'N', to: 'N', reason: 'listed in CISA KEV' }],
        kev: { dateAdded: '2021-12-10', dueDate: '2021-12-24' },
        epss: { score: 0.97, percentile: 0.9999 },
        advisories: ['GHSA-jfh8-c2jp-5v3q'],
      },
      {
        ...base,
        id: 'CVE-2024-0001',
        aliases: ['DSA-9001-1'],
        package: {
          name: 'libssl3',
          version: '3.0.11-1~deb12u2',
          ecosystem: 'Debian:12',
          purl: 'pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12',
          source: { name: 'openssl', version: '3.0.11-1~deb12u2' },
          layer: 'sha256:0123',
          locations: ['/var/lib/dpkg/status'],
        },
        fixAvailable: 'PARTIAL',
        fixedVersion: '3.0.13-1~deb12u1',
        severity: 'HIGH',
        score: 7.5,
        advisories: ['DSA-9001-1'],
      },
      {
        ...base,
        id: 'CVE-2024-0007',
        package: { name: 'tar', version: '1.34+dfsg-1.2', ecosystem: 'Debian:12', purl: 'pkg:deb/debian/tar@1.34%2Bdfsg-1.2?arch=amd64&distro=debian-12', locations: ['/var/lib/dpkg/status'] },
        fixAvailable: 'NO',
        severity: 'MEDIUM',
        score: 5.5,
        epss: { score: 0.0004, percentile: 0.1 },
      },
      {
        ...base,
        id: 'GHSA-dddd-eeee-ffff',
        package: { name: 'smallvec', version: '1.6.0', ecosystem: 'crates.io', purl: 'pkg:cargo/smallvec@1.6.0', locations: [] },
        fixAvailable: 'YES',
        fixedVersion: '1.6.1',
        severity: 'UNTRIAGED',
        score: 0,
        scoreSource: 'none',
        references: [],
      },
    ],
    suppressed: [{ id: 'CVE-2023-9999', package: 'pkg:npm/lodash@4.17.15', reason: 'only used at build time' }],
    warnings: [{ path: '/srv/app/broken.lock', extractor: 'javascript/package-lock-json@1', reason: 'not valid JSON' }, { reason: '1 findings in kernel packages dropped' }],
  };
}
