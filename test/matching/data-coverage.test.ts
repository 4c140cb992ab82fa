/**
 * Data coverage of a scan: each ecosystem (with release for OS packages) of an inventory
 * compared with what the index holds, end of life judged at an injected date, and the engine
 * turning gaps into warnings.
 */
import { describe, expect, it } from 'vitest';
import { assessCoverage, coverageWarnings, osGaps } from '../../src/matching/data-coverage.js';
import { runScan } from '../../src/matching/engine.js';
import type { EcosystemCoverage } from '../../src/vulndb/types.js';
import { advisory, tinyAdvisoryDb } from '../helpers/tiny-advisory-db.js';
import { deb, inventory, pkg } from './fixtures.js';

const NOW = new Date('2026-12-04T12:00:00Z');

function held(ecosystem: string, advisories: number, extra: Partial<EcosystemCoverage> = {}): EcosystemCoverage {
  return { ecosystem, advisories, withdrawn: 0, packages: advisories, sources: ['osv'], newestModified: '2026-08-21T00:00:00Z', ...extra };
}

const ubuntu = (name: string, version: string) =>
  pkg({ purlType: 'deb', ecosystem: 'Ubuntu:22.04:LTS', name, version, purl: `pkg:deb/ubuntu/${name}@${version}?distro=ubuntu-22.04` });
const npm = (name: string, version: string) => pkg({ purlType: 'npm', ecosystem: 'npm', name, version });

describe('assessCoverage', () => {
  it('calls an ecosystem covered when the index holds advisories for its exact key', () => {
    const c = assessCoverage(inventory([deb('openssl', '3.0.11-1~deb12u2'), deb('libssl3', '3.0.11-1~deb12u2', ['openssl', '3.0.11-1~deb12u2'])]), [held('Debian:12', 236, { sources: ['debian', 'osv-Debian'] })], { now: NOW });
    expect(c).toEqual({
      gaps: 0,
      ecosystems: [
        {
          ecosystem: 'Debian:12',
          kind: 'os',
          packages: 2,
          advisories: 236,
          status: 'covered',
          detail: 'Debian:12: 236 advisories from debian, osv-Debian, newest modified 2026-08-21',
          sources: ['debian', 'osv-Debian'],
          newestModified: '2026-08-21T00:00:00Z',
          endOfLife: { state: 'supported', standard: '2028-06-30', lifecycle: 'https://wiki.debian.org/LTS' },
        },
      ],
    });
    expect(coverageWarnings(c)).toEqual([]);
  });

  it('names an OS release without data, and a language ecosystem without data, as gaps', () => {
    const c = assessCoverage(inventory([ubuntu('openssl', '3.0.2-0ubuntu1'), npm('lodash', '4.17.20'), npm('minimist', '1.2.5')]), [held('Debian:12', 236), held('Ubuntu:20.04:LTS', 10)], { now: NOW });
    expect(c.gaps).toBe(2);
    expect(c.ecosystems.map((e) => [e.ecosystem, e.kind, e.packages, e.advisories, e.status])).toEqual([
      ['Ubuntu:22.04:LTS', 'os', 1, 0, 'no-data'],
      ['npm', 'language', 2, 0, 'no-data'],
    ]);
    expect(c.ecosystems[0].detail).toBe(
      'Ubuntu:22.04:LTS: the advisory database holds no advisories for this release, so its 1 package was not checked ("no vulnerabilities" here means no data, not none known)',
    );
    expect(coverageWarnings(c).map((w) => w.reason)).toEqual(c.ecosystems.map((e) => e.detail));
    expect(osGaps(c).map((e) => e.ecosystem)).toEqual(['Ubuntu:22.04:LTS']);
  });

  it('does not count withdrawn records as data', () => {
    const c = assessCoverage(inventory([npm('lodash', '4.17.20')]), [held('npm', 3, { withdrawn: 3 })], { now: NOW });
    expect(c.ecosystems[0]).toMatchObject({ status: 'no-data', advisories: 0 });
  });

  it('marks an end-of-life release with data as eol, with its date, and one past standard support only as a warning', () => {
    const debian10 = pkg({ purlType: 'deb', ecosystem: 'Debian:10', name: 'openssl', version: '1.1.1n-0+deb10u3' });
    const eol = assessCoverage(inventory([debian10]), [held('Debian:10', 900)], { now: NOW });
    expect(eol.ecosystems[0]).toMatchObject({ status: 'eol', endOfLife: { state: 'eol', standard: '2024-06-30' } });
    expect(eol.ecosystems[0].detail).toContain('Debian 10 is end of life: security support ended 2024-06-30; it gets no more security fixes');
    expect(eol.gaps).toBe(1);
    // The same release a year earlier was still in Debian LTS.
    expect(assessCoverage(inventory([debian10]), [held('Debian:10', 900)], { now: new Date('2023-12-01') }).ecosystems[0].status).toBe('covered');

    const focal = pkg({ purlType: 'deb', ecosystem: 'Ubuntu:20.04:LTS', name: 'openssl', version: '1.1.1f-1ubuntu2' });
    const esm = assessCoverage(inventory([focal]), [held('Ubuntu:20.04:LTS', 5000)], { now: NOW });
    expect(esm.ecosystems[0]).toMatchObject({ status: 'covered', endOfLife: { state: 'extended-only', standard: '2025-05', extended: { until: '2030-04', name: 'Ubuntu Pro (ESM)' } } });
    expect(esm.gaps).toBe(0);
    expect(coverageWarnings(esm).map((w) => w.reason)).toEqual([
      'Ubuntu:20.04:LTS: 5000 advisories from osv, newest modified 2026-08-21; Ubuntu 20.04: standard security support ended 2025-05; fixes continue only through Ubuntu Pro (ESM) until 2030-04 (https://ubuntu.com/about/release-cycle)',
    ]);
  });

  it('judges an end-of-life release without data as no-data, saying both', () => {
    const alpine = pkg({ purlType: 'apk', ecosystem: 'Alpine:v3.15', name: 'busybox', version: '1.34.1-r7' });
    const c = assessCoverage(inventory([alpine]), [], { now: NOW });
    expect(c.ecosystems[0].status).toBe('no-data');
    expect(c.ecosystems[0].detail).toContain('Alpine 3.15 is end of life: security support ended 2023-11-01');
  });

  it('groups OS packages of an unknown release as unknown-os, named after the OS', () => {
    const centos = pkg({ purlType: 'rpm', ecosystem: '', name: 'bash', version: '4.2.46-34.el7' });
    const c = assessCoverage(inventory([centos, { ...centos, name: 'glibc' }], {}, { id: 'centos', versionId: '7', prettyName: 'CentOS Linux 7 (Core)' }), [held('Red Hat:7', 10)], { now: NOW });
    expect(c.ecosystems).toEqual([
      {
        ecosystem: 'CentOS Linux 7 (Core)',
        kind: 'os',
        packages: 2,
        advisories: 0,
        status: 'unknown-os',
        detail: 'CentOS Linux 7 (Core): no advisory ecosystem is known for this OS release, so its 2 packages were not checked against any advisory',
      },
    ]);
    expect(c.gaps).toBe(1);
    // The engine's own warning already names these packages: no second one.
    expect(coverageWarnings(c)).toEqual([]);
  });

  it('counts and names packages whose versions the scheme cannot read', () => {
    const c = assessCoverage(inventory([npm('left-pad', 'not-a-version'), npm('lodash', '4.17.20'), npm('unpinned', '')]), [held('npm', 2)], { now: NOW });
    expect(c.ecosystems[0].unreadableVersions).toEqual({ count: 2, packages: ['left-pad not-a-version', 'unpinned (no version)'] });
    expect(c.ecosystems[0].detail).toContain('2 packages with versions that cannot be compared (left-pad not-a-version, unpinned (no version)) cannot be matched');
  });

  it('judges a version alike in every scan, each ecosystem by its own scheme (judgements are remembered across scans)', () => {
    const first = assessCoverage(inventory([npm('a', '1.0.0'), npm('b', '1.0')]), [held('npm', 2)], { now: NOW });
    const again = assessCoverage(inventory([npm('c', '1.0.0'), npm('d', '1.0')]), [held('npm', 2)], { now: NOW });
    expect(first.ecosystems[0].unreadableVersions).toEqual({ count: 1, packages: ['b 1.0'] });
    expect(again.ecosystems[0].unreadableVersions).toEqual({ count: 1, packages: ['d 1.0'] });
    // '1.0' is no semver version but a PEP 440 one.
    const pypi = assessCoverage(inventory([{ ...npm('e', '1.0'), ecosystem: 'PyPI', purlType: 'pypi' }]), [held('PyPI', 2)], { now: NOW });
    expect(pypi.ecosystems[0]).toMatchObject({ ecosystem: 'PyPI', packages: 1 });
    expect(pypi.ecosystems[0].unreadableVersions).toBeUndefined();
  });

  it('leaves language packages owned by OS packages to the distribution, unless they are matched too', () => {
    const owned = pkg({ purlType: 'pypi', ecosystem: 'PyPI', name: 'requests', version: '2.28.1', ownedBy: { purlType: 'deb', name: 'python3-requests', version: '2.28.1+dfsg-1' } });
    expect(assessCoverage(inventory([deb('python3-requests', '2.28.1+dfsg-1'), owned]), [held('Debian:12', 1)], { now: NOW }).ecosystems.map((e) => e.ecosystem)).toEqual(['Debian:12']);
    expect(assessCoverage(inventory([owned]), [], { now: NOW, includeOsOwned: true }).ecosystems.map((e) => [e.ecosystem, e.status])).toEqual([['PyPI', 'no-data']]);
  });
});

describe('the engine', () => {
  const records = [advisory('DSA-1', 'Debian:12', 'openssl', [[{ introduced: '0' }, { fixed: '3.0.13-1~deb12u1' }]])];

  it('adds the coverage block and puts gap warnings first, when the index can tell what it holds', () => {
    const index = tinyAdvisoryDb(records, [], { coverage: { source: 'test' } });
    const { result } = runScan(inventory([ubuntu('openssl', '3.0.2-0ubuntu1')]), index, {}, { now: NOW });
    expect(result.findings).toEqual([]);
    expect(result.coverage?.gaps).toBe(1);
    expect(result.warnings[0].reason).toMatch(/^Ubuntu:22\.04:LTS: the advisory database holds no advisories for this release/);
  });

  it('leaves the block out when the index cannot tell', () => {
    const { result } = runScan(inventory([ubuntu('openssl', '3.0.2-0ubuntu1')]), tinyAdvisoryDb(records), {}, { now: NOW });
    expect(result.coverage).toBeUndefined();
    expect(result.warnings).toEqual([]);
  });
});
