/**
 * The remediation plan from findings: grouping by (source) package, the lowest version that
 * fixes every finding by the ecosystem's ordering, risk order with KEV first, commands per
 * package manager, and the reasons a finding is set apart.
 */
import { describe, expect, it } from 'vitest';
import { upgradeCommand } from '../../src/remediation/commands.js';
import { planRemediation, type PlanFinding } from '../../src/remediation/plan.js';

/** A finding as the engine reports it, with only what the plan reads. */
function finding(id: string, pkg: { name: string; version: string; ecosystem: string; source?: { name: string; version: string } }, fix: string | undefined, score: number, extra: Partial<PlanFinding> = {}): PlanFinding {
  return {
    id,
    package: { ...pkg, purl: `pkg:x/${pkg.name}`, locations: [] },
    fixAvailable: fix === undefined ? 'NO' : 'YES',
    ...(fix !== undefined ? { fixedVersion: fix } : {}),
    severity: score >= 9 ? 'CRITICAL' : score >= 7 ? 'HIGH' : score >= 4 ? 'MEDIUM' : 'LOW',
    score,
    ...extra,
  };
}

const openssl = { name: 'openssl', version: '3.0.11-1~deb12u2' };
const libssl = { name: 'libssl3', version: '3.0.11-1~deb12u2', ecosystem: 'Debian:12', source: openssl };
const opensslBin = { name: 'openssl', version: '3.0.11-1~deb12u2', ecosystem: 'Debian:12', source: openssl };

describe('planRemediation', () => {
  it('moves every binary of a Debian source package in one action, to the highest fixed version by dpkg order', () => {
    const plan = planRemediation([
      finding('CVE-2024-0727', libssl, '3.0.13-1~deb12u1', 5.5),
      finding('CVE-2024-0727', opensslBin, '3.0.13-1~deb12u1', 5.5),
      // A later upload fixes a later CVE: "3.0.15-1~deb12u1" > "3.0.13-1~deb12u1", and an epoch would beat both.
      finding('CVE-2024-5535', libssl, '3.0.15-1~deb12u1', 9.1),
    ]);
    expect(plan.actions).toHaveLength(1);
    expect(plan.actions[0]).toMatchObject({
      ecosystem: 'Debian:12',
      package: 'openssl',
      packages: ['libssl3', 'openssl'],
      installedVersions: ['3.0.11-1~deb12u2'],
      targetVersion: '3.0.15-1~deb12u1',
      manager: 'apt',
      command: 'apt-get update && apt-get install --only-upgrade -y libssl3 openssl',
      summary: 'Upgrade openssl (libssl3, openssl) from 3.0.11-1~deb12u2 to 3.0.15-1~deb12u1 or later',
      riskRemoved: 20.1,
      kevCount: 0,
      severity: 'CRITICAL',
    });
    expect(plan.actions[0].findings.map((f) => [f.vulnerabilityId, f.package])).toEqual([
      ['CVE-2024-5535', 'libssl3'],
      ['CVE-2024-0727', 'libssl3'],
      ['CVE-2024-0727', 'openssl'],
    ]);
    expect(plan.totals).toEqual({ findings: 3, fixable: 3, unfixable: 0, risk: 20.1, riskRemovable: 20.1 });
  });

  it('compares with the ecosystem scheme, not as text: an epoch wins in dpkg, 1.10 beats 1.9 in semver', () => {
    const deb = { name: 'zlib1g', version: '1:1.2.13.dfsg-1', ecosystem: 'Debian:12', source: { name: 'zlib', version: '1:1.2.13.dfsg-1' } };
    const npm = { name: 'lodash', version: '1.2.0', ecosystem: 'npm' };
    const plan = planRemediation([
      finding('CVE-A', deb, '1:1.2.13.dfsg-1+deb12u1', 5),
      finding('CVE-B', deb, '2:0.1-1', 5),
      finding('CVE-C', npm, '1.9.0', 3),
      finding('CVE-D', npm, '1.10.0', 3),
    ]);
    expect(plan.actions.map((a) => [a.package, a.targetVersion, a.command])).toEqual([
      ['zlib', '2:0.1-1', 'apt-get update && apt-get install --only-upgrade -y zlib1g'],
      ['lodash', '1.10.0', 'npm install lodash@1.10.0'],
    ]);
  });

  it('orders actions by risk removed, any with a known-exploited finding first', () => {
    const plan = planRemediation([
      finding('CVE-BIG', { name: 'big', version: '1.0.0', ecosystem: 'npm' }, '2.0.0', 9.8),
      finding('CVE-BIG2', { name: 'big', version: '1.0.0', ecosystem: 'npm' }, '1.5.0', 7.5),
      finding('CVE-KEV', { name: 'kev', version: '1.0.0', ecosystem: 'npm' }, '1.0.1', 5.0, { kev: { dateAdded: '2024-01-01' } }),
      finding('CVE-MID', { name: 'mid', version: '1.0.0', ecosystem: 'PyPI' }, '1.1', 8.0),
    ]);
    expect(plan.actions.map((a) => [a.package, a.riskRemoved, a.kevCount])).toEqual([
      ['kev', 5, 1],
      ['big', 17.3, 0],
      ['mid', 8, 0],
    ]);
    expect(plan.actions[1].targetVersion).toBe('2.0.0');
    expect(plan.actions[2].command).toBe("pip install --upgrade 'mid>=1.1'");
  });

  it('sets apart what no upgrade fixes, per package and reason', () => {
    const plan = planRemediation(
      [
        finding('CVE-NOFIX', { name: 'libc6', version: '2.36-9', ecosystem: 'Debian:12', source: { name: 'glibc', version: '2.36-9' } }, undefined, 7.8),
        finding('CVE-NEWER', { name: 'libc6', version: '2.36-9', ecosystem: 'Debian:12', source: { name: 'glibc', version: '2.36-9' } }, undefined, 5.0),
        finding('CVE-SEE', { name: 'left', version: '1.0.0', ecosystem: 'npm' }, undefined, 4.0, { fixAvailable: 'YES' }),
        finding('CVE-BADV', { name: 'odd', version: '1.0.0', ecosystem: 'npm' }, 'not a version', 4.0),
        finding('CVE-PART', { name: 'line', version: '1.0.0', ecosystem: 'npm' }, undefined, 6.0, { fixAvailable: 'PARTIAL', fixNote: 'introduced 1.0.0, no fix' }),
      ],
      { newerRelease: (f) => (f.id === 'CVE-NEWER' ? { ecosystem: 'Debian:13', version: '2.41-6' } : undefined) },
    );
    expect(plan.actions).toEqual([]);
    expect(plan.unfixable.map((u) => [u.package, u.reason, u.findings.map((f) => f.vulnerabilityId), u.detail])).toEqual([
      ['glibc', 'NO_FIX_PUBLISHED', ['CVE-NOFIX'], 'no fixed version is published yet'],
      ['line', 'NO_FIX_PUBLISHED', ['CVE-PART'], 'no fixed version is published yet (introduced 1.0.0, no fix)'],
      ['glibc', 'FIX_IN_NEWER_RELEASE', ['CVE-NEWER'], 'fixed in Debian:13 (2.41-6); none in Debian:12'],
      ['left', 'FIX_VERSION_UNKNOWN', ['CVE-SEE'], 'a fix exists but the advisory names no version this ecosystem can read'],
      ['odd', 'FIX_VERSION_UNKNOWN', ['CVE-BADV'], 'a fix exists but the advisory names no version this ecosystem can read ("not a version" is not a version here)'],
    ]);
    expect(plan.unfixable[2].newerRelease).toEqual({ ecosystem: 'Debian:13', version: '2.41-6' });
    expect(plan.totals).toMatchObject({ findings: 5, fixable: 0, unfixable: 5, riskRemovable: 0 });
  });

  it('marks an action BASE_IMAGE, APPLICATION or MIXED by the origins of what it closes', () => {
    const pkg = (name: string) => ({ name, version: '1.0.0', ecosystem: 'npm' });
    const plan = planRemediation([
      finding('CVE-1', pkg('a'), '1.0.1', 5, { origin: 'BASE_IMAGE' }),
      finding('CVE-2', pkg('b'), '1.0.1', 2, { origin: 'APPLICATION' }),
      finding('CVE-3', pkg('c'), '1.0.1', 3, { origin: 'APPLICATION' }),
      finding('CVE-4', pkg('c'), '1.0.2', 1, { origin: 'BASE_IMAGE' }),
    ]);
    expect(plan.actions.map((a) => [a.package, a.origin])).toEqual([
      ['a', 'BASE_IMAGE'],
      ['c', 'MIXED'],
      ['b', 'APPLICATION'],
    ]);
  });

  it('plans nothing for no findings', () => {
    expect(planRemediation([])).toEqual({ actions: [], unfixable: [], totals: { findings: 0, fixable: 0, unfixable: 0, risk: 0, riskRemovable: 0 } });
  });
});

describe('upgradeCommand', () => {
  it.each([
    ['Debian:12', ['libssl3', 'openssl'], '3.0.15-1', 'apt', 'apt-get update && apt-get install --only-upgrade -y libssl3 openssl'],
    ['Ubuntu:22.04:LTS', ['curl'], '7.81.0-1ubuntu1.16', 'apt', 'apt-get update && apt-get install --only-upgrade -y curl'],
    ['Alpine:v3.19', ['libcrypto3', 'libssl3'], '3.1.4-r5', 'apk', 'apk upgrade --no-cache libcrypto3 libssl3'],
    ['Red Hat:9', ['openssl-libs'], '3.0.7-27.el9', 'dnf', 'dnf upgrade -y openssl-libs'],
    ['Red Hat:7', ['openssl-libs'], '1.0.2k-26.el7_9', 'yum', 'yum upgrade -y openssl-libs'],
    ['Amazon Linux:2', ['curl'], '8.3.0-1.amzn2.0.5', 'yum', 'yum upgrade -y curl'],
    ['Amazon Linux:2023', ['curl'], '8.3.0-1.amzn2023.0.2', 'dnf', 'dnf upgrade -y curl'],
    ['SUSE:15.5', ['libopenssl3'], '3.0.8-150500.5.8.1', 'zypper', 'zypper --non-interactive update libopenssl3'],
    ['npm', ['@babel/traverse'], '7.23.2', 'npm', 'npm install @babel/traverse@7.23.2'],
    ['PyPI', ['Django'], '4.2.7', 'pip', "pip install --upgrade 'Django>=4.2.7'"],
    ['Go', ['golang.org/x/net'], '0.17.0', 'go', 'go get golang.org/x/net@v0.17.0 && go mod tidy'],
    ['Go', ['stdlib'], '1.21.3', 'go', 'go get toolchain@go1.21.3'],
    ['Maven', ['org.apache.logging.log4j:log4j-core'], '2.17.1', 'mvn', 'mvn versions:use-dep-version -Dincludes=org.apache.logging.log4j:log4j-core -DdepVersion=2.17.1 -DforceVersion=true'],
    ['crates.io', ['h2'], '0.3.24', 'cargo', 'cargo update -p h2 --precise 0.3.24'],
    ['RubyGems', ['nokogiri'], '1.15.4', 'bundle', 'bundle update --conservative nokogiri'],
    ['NuGet', ['Newtonsoft.Json'], '13.0.1', 'dotnet', 'dotnet add package Newtonsoft.Json --version 13.0.1'],
    ['Packagist', ['guzzlehttp/guzzle'], '7.4.5', 'composer', 'composer require guzzlehttp/guzzle:^7.4.5'],
  ])('%s %s → %s', (ecosystem, names, version, manager, command) => {
    expect(upgradeCommand(ecosystem, names, version)).toMatchObject({ manager, command });
  });

  it('gives Maven a Gradle hint and Bundler a Gemfile line', () => {
    expect(upgradeCommand('Maven', ['com.fasterxml.jackson.core:jackson-databind'], '2.13.4.2')?.hint).toBe('Gradle: constraints { implementation("com.fasterxml.jackson.core:jackson-databind:2.13.4.2") }');
    expect(upgradeCommand('RubyGems', ['rack'], '2.2.8')?.hint).toBe("Gemfile: gem 'rack', '>= 2.2.8'");
  });

  it('quotes what a shell would read otherwise, and knows no command for an unknown ecosystem', () => {
    expect(upgradeCommand('npm', ["evil;rm -rf '/"], '1.0.0')?.command).toBe(`npm install 'evil;rm -rf '\\''/@1.0.0'`);
    expect(upgradeCommand('Nonesuch', ['x'], '1')).toBeUndefined();
  });
});
