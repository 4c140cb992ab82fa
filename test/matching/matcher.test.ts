/**
 * Matcher rules on a tiny declared advisory set. Every advisory says why it is here; every
 * test compares whole findings or whole warning lists, so a rule that breaks shows as a diff.
 */
import { describe, expect, it } from 'vitest';
import { runScan, scanInventory } from '../../src/matching/engine.js';
import { isKernelSourceOnly } from '../../src/matching/kernel.js';
import { renderScan } from '../../src/matching/output/index.js';
import type { Finding } from '../../src/matching/types.js';
import type { OsvRecord } from '../../src/vulndb/types.js';
import { advisory, tinyAdvisoryDb } from '../helpers/tiny-advisory-db.js';
import { deb, inventory, pkg } from './fixtures.js';

const records: OsvRecord[] = [
  // Source keying: Debian's data names the source package `openssl`, never `libssl3`.
  advisory('DSA-9001-1', 'Debian:12', 'openssl', [[{ introduced: '0' }, { fixed: '3.0.13-1~deb12u1' }]], {
    aliases: ['CVE-2024-0001'],
    summary: 'openssl: security update',
  }),
  // Release separation: the same source in Debian 11 data, with a fix far above anything
  // installed; it must never answer for a Debian 12 package.
  advisory('DSA-9002-1', 'Debian:11', 'openssl', [[{ introduced: '0' }, { fixed: '9.9.9-1' }]], { aliases: ['CVE-2024-0002'] }),
  // binNMU: the binary is `1.2-3+b1`, the source `1.2-3`; the fix is the source version, so
  // a matcher comparing the binary version would report a fixed package.
  advisory('DSA-9003-1', 'Debian:12', 'zlib', [[{ introduced: '0' }, { fixed: '1.2-3' }]], { aliases: ['CVE-2024-0003'] }),
  // Epochs (dpkg): 1:9.18.19 is older than 1:9.18.24 but newer than any epoch-0 version.
  advisory('DSA-9004-1', 'Debian:12', 'bind9', [[{ introduced: '0' }, { fixed: '1:9.18.24-1~deb12u1' }]], { aliases: ['CVE-2024-0004'] }),
  // Epochs (rpm): bind is at epoch 32; an advisory fixed at epoch 0 is older than anything installed.
  advisory('RLSA-2024:0001', 'Rocky Linux:9', 'bind', [[{ introduced: '0' }, { fixed: '9.16.23-99.el9' }]], { aliases: ['CVE-2024-0005'] }),
  advisory('RLSA-2024:0002', 'Rocky Linux:9', 'bind', [[{ introduced: '0' }, { fixed: '32:9.16.23-15.el9' }]], { aliases: ['CVE-2024-0006'] }),
  // Unfixed: no `fixed` event at all; a finding with fix status NO, not a silent skip.
  advisory('DEBIAN-CVE-2024-0007', 'Debian:12', 'tar', [[{ introduced: '0' }]], { upstream: ['CVE-2024-0007'] }),
  // Partial: GHSA has a fix, the PyPI advisory for the same CVE has an open-ended range.
  advisory('GHSA-aaaa-bbbb-cccc', 'PyPI', 'requests', [[{ introduced: '0' }, { fixed: '2.31.0' }]], {
    aliases: ['CVE-2024-0008'],
    summary: 'Requests leaks Proxy-Authorization headers',
  }),
  advisory('PYSEC-2024-8', 'PyPI', 'requests', [[{ introduced: '2.0' }]], { aliases: ['CVE-2024-0008', 'GHSA-aaaa-bbbb-cccc'] }),
  // Aliases without a CVE: a RUSTSEC and a GHSA for the same flaw become one finding named by the GHSA.
  advisory('RUSTSEC-2024-0001', 'crates.io', 'smallvec', [[{ introduced: '0' }, { fixed: '1.6.1' }]], { aliases: ['GHSA-dddd-eeee-ffff'] }),
  advisory('GHSA-dddd-eeee-ffff', 'crates.io', 'smallvec', [[{ introduced: '0' }, { fixed: '1.6.1' }]], { aliases: ['RUSTSEC-2024-0001'] }),
  // One record naming two CVEs (a changelog fixing both): one finding per CVE.
  advisory('DEBCL-expat-2.5.0-1_deb12u2', 'Debian:12', 'expat', [[{ introduced: '0' }, { fixed: '2.5.0-1+deb12u2' }]], {
    aliases: ['CVE-2024-0009', 'CVE-2024-0010'],
  }),
  // The same CVE named again by a later upload: by the data the first upload is still affected,
  // so the fix is the later upload (the lowest version that leaves both records).
  advisory('DEBCL-expat-2.5.0-1_deb12u3', 'Debian:12', 'expat', [[{ introduced: '0' }, { fixed: '2.5.0-1+deb12u3' }]], { aliases: ['CVE-2024-0010'] }),
  // Withdrawn: published in error; must never produce a finding.
  advisory('GHSA-wwww-wwww-wwww', 'npm', 'left-pad', [[{ introduced: '0' }]], { withdrawn: '2024-02-01T00:00:00Z', aliases: ['CVE-2024-0011'] }),
  // Kernels: Debian's `linux` source; only the running kernel on a host, never in an image.
  advisory('DSA-9005-1', 'Debian:12', 'linux', [[{ introduced: '0' }, { fixed: '6.1.90-1' }]], {
    aliases: ['CVE-2024-0012'],
    severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H' }],
  }),
  // OS-owned language packages: Debian's python3-jinja2 ships Jinja2; its fix is Debian's to backport.
  advisory('PYSEC-2024-13', 'PyPI', 'jinja2', [[{ introduced: '0' }, { fixed: '3.1.3' }]], { aliases: ['CVE-2024-0013'] }),
  // Lowest fix above the installed version: two branches; 2.0.5 is fixed by 2.1.0, not by 1.2.3.
  advisory('GHSA-gggg-hhhh-iiii', 'npm', 'branchy', [[{ introduced: '0' }, { fixed: '1.2.3' }, { introduced: '2.0.0' }, { fixed: '2.1.0' }]], { aliases: ['CVE-2024-0014'] }),
  // Ecosystem separation: an npm advisory for a name that also exists on PyPI.
  advisory('GHSA-jjjj-kkkk-llll', 'npm', 'requests', [[{ introduced: '0' }]], { aliases: ['CVE-2024-0015'] }),
  // Alpine keys by origin: libcrypto3 is built from openssl.
  advisory('ALPINE-CVE-2024-0016', 'Alpine:v3.19', 'openssl', [[{ introduced: '0' }, { fixed: '3.1.4-r5' }]], { aliases: ['CVE-2024-0016'] }),
  // Commits only: a GIT range and no versions list cannot place a version number; a warning, not a verdict.
  {
    id: 'OSV-2024-GIT',
    modified: '2024-01-01T00:00:00Z',
    affected: [{ package: { ecosystem: 'npm', name: 'gitonly' }, ranges: [{ type: 'GIT', repo: 'https://example.org/r.git', events: [{ introduced: '0' }, { fixed: 'abc123' }] }] }],
  },
  // Two records for one CVE, the second starting where the first one's fix is: 0.5 matches only
  // the first, and its fix 1.0 is inside the second, so the fix is the second's 1.1.
  advisory('GHSA-mmmm-nnnn-oooo', 'npm', 'handover', [[{ introduced: '0' }, { fixed: '1.0.0' }]], { aliases: ['CVE-2024-0018'] }),
  advisory('OSV-2024-18', 'npm', 'handover', [[{ introduced: '1.0.0' }, { fixed: '1.1.0' }]], { aliases: ['CVE-2024-0018'] }),
  // A line that ends at last_affected, with a later line fixed: upgrading across lines fixes it.
  advisory('GHSA-pppp-qqqq-rrrr', 'npm', 'oldline', [[{ introduced: '1.0.0' }, { last_affected: '1.9.0' }, { introduced: '2.0.0' }, { fixed: '2.3.0' }]], { aliases: ['CVE-2024-0019'] }),
  // A Java archive whose group is unknown (`widget-1.0.jar`, no pom.properties, not a known
  // artifact) can still be this artifact: matched by artifact id, marked LOW confidence.
  advisory('GHSA-ssss-tttt-uuuu', 'Maven', 'org.example:widget', [[{ introduced: '0' }, { fixed: '2.0' }]], { aliases: ['CVE-2024-0020'] }),
  // PEP 503 names: the advisory writes `Python_Dateutil`, the inventory `python-dateutil`.
  advisory('PYSEC-2024-17', 'PyPI', 'Python_Dateutil', [[{ introduced: '0' }, { fixed: '2.9.0' }]], { aliases: ['CVE-2024-0017'] }),
];

const db = tinyAdvisoryDb(records);

function brief(f: Finding): Record<string, unknown> {
  return {
    id: f.id,
    aliases: f.aliases,
    package: `${f.package.name}@${f.package.version}`,
    fixAvailable: f.fixAvailable,
    ...(f.fixedVersion ? { fixedVersion: f.fixedVersion } : {}),
    advisories: f.advisories,
  };
}

function scanBrief(...args: Parameters<typeof scanInventory>) {
  const result = scanInventory(...args);
  return { findings: result.findings.map(brief).sort((a, b) => `${a.id}${a.package}`.localeCompare(`${b.id}${b.package}`)), warnings: result.warnings.map((w) => w.reason) };
}

describe('distribution matching', () => {
  it('keys Debian by source package and release, every binary reported', () => {
    const { findings } = scanBrief(
      inventory([deb('libssl3', '3.0.11-1~deb12u2', ['openssl', '3.0.11-1~deb12u2']), deb('openssl', '3.0.11-1~deb12u2', ['openssl', '3.0.11-1~deb12u2'])]),
      db,
    );
    expect(findings).toEqual([
      { id: 'CVE-2024-0001', aliases: ['DSA-9001-1'], package: 'libssl3@3.0.11-1~deb12u2', fixAvailable: 'YES', fixedVersion: '3.0.13-1~deb12u1', advisories: ['DSA-9001-1'] },
      { id: 'CVE-2024-0001', aliases: ['DSA-9001-1'], package: 'openssl@3.0.11-1~deb12u2', fixAvailable: 'YES', fixedVersion: '3.0.13-1~deb12u1', advisories: ['DSA-9001-1'] },
    ]);
  });

  it('never answers a Debian 11 package with Debian 12 data, nor the other way round', () => {
    const eleven = { ...deb('libssl1.1', '1.1.1w-0+deb11u1', ['openssl', '1.1.1w-0+deb11u1']), ecosystem: 'Debian:11' };
    const { findings } = scanBrief(inventory([eleven]), db);
    expect(findings.map((f) => f.id)).toEqual(['CVE-2024-0002']);
  });

  it('compares the source version, so a binNMU of the fixed source is fixed', () => {
    expect(scanBrief(inventory([deb('zlib1g', '1:1.2-3+b1', ['zlib', '1.2-3'])]), db).findings).toEqual([]);
    expect(scanBrief(inventory([deb('zlib1g', '1.2-2+b1', ['zlib', '1.2-2'])]), db).findings.map((f) => f.fixedVersion)).toEqual(['1.2-3']);
  });

  it('honours dpkg epochs', () => {
    const { findings } = scanBrief(inventory([deb('bind9', '1:9.18.19-1~deb12u1', ['bind9', '1:9.18.19-1~deb12u1'])]), db);
    expect(findings).toEqual([
      { id: 'CVE-2024-0004', aliases: ['DSA-9004-1'], package: 'bind9@1:9.18.19-1~deb12u1', fixAvailable: 'YES', fixedVersion: '1:9.18.24-1~deb12u1', advisories: ['DSA-9004-1'] },
    ]);
  });

  it('keys RPM distributions by package name and honours epochs', () => {
    const bind = pkg({ purlType: 'rpm', ecosystem: 'Rocky Linux:9', name: 'bind', version: '32:9.16.23-14.el9' });
    const { findings } = scanBrief(inventory([bind]), db);
    // RLSA-2024:0001's fix has epoch 0: older than epoch 32, so not affected.
    expect(findings).toEqual([
      { id: 'CVE-2024-0006', aliases: ['RLSA-2024:0002'], package: 'bind@32:9.16.23-14.el9', fixAvailable: 'YES', fixedVersion: '32:9.16.23-15.el9', advisories: ['RLSA-2024:0002'] },
    ]);
  });

  it('reports unfixed vulnerabilities with fix status NO, named by the upstream CVE', () => {
    const { findings } = scanBrief(inventory([deb('tar', '1.34+dfsg-1.2', ['tar', '1.34+dfsg-1.2'])]), db);
    expect(findings).toEqual([{ id: 'CVE-2024-0007', aliases: ['DEBIAN-CVE-2024-0007'], package: 'tar@1.34+dfsg-1.2', fixAvailable: 'NO', advisories: ['DEBIAN-CVE-2024-0007'] }]);
  });

  it('splits a record naming several CVEs, and takes the lowest fix that leaves every record of the CVE', () => {
    const { findings } = scanBrief(inventory([deb('libexpat1', '2.5.0-1', ['expat', '2.5.0-1'])]), db);
    expect(findings).toEqual([
      { id: 'CVE-2024-0009', aliases: ['DEBCL-expat-2.5.0-1_deb12u2'], package: 'libexpat1@2.5.0-1', fixAvailable: 'YES', fixedVersion: '2.5.0-1+deb12u2', advisories: ['DEBCL-expat-2.5.0-1_deb12u2'] },
      {
        id: 'CVE-2024-0010',
        aliases: ['DEBCL-expat-2.5.0-1_deb12u2', 'DEBCL-expat-2.5.0-1_deb12u3'],
        package: 'libexpat1@2.5.0-1',
        fixAvailable: 'YES',
        fixedVersion: '2.5.0-1+deb12u3',
        advisories: ['DEBCL-expat-2.5.0-1_deb12u2', 'DEBCL-expat-2.5.0-1_deb12u3'],
      },
    ]);
    // Between the two uploads only the later one still applies.
    const between = scanBrief(inventory([deb('libexpat1', '2.5.0-1+deb12u2', ['expat', '2.5.0-1+deb12u2'])]), db).findings;
    expect(between.map((f) => [f.id, f.fixedVersion])).toEqual([['CVE-2024-0010', '2.5.0-1+deb12u3']]);
  });

  it('keys Alpine by origin and branch', () => {
    const libcrypto = pkg({ purlType: 'apk', ecosystem: 'Alpine:v3.19', name: 'libcrypto3', version: '3.1.4-r1', source: { name: 'openssl', version: '3.1.4-r1' } });
    expect(scanBrief(inventory([libcrypto]), db).findings.map((f) => [f.id, f.fixedVersion])).toEqual([['CVE-2024-0016', '3.1.4-r5']]);
    const otherBranch = { ...libcrypto, ecosystem: 'Alpine:v3.18' };
    expect(scanBrief(inventory([otherBranch]), db).findings).toEqual([]);
  });
});

describe('kernels', () => {
  const running = deb('linux-image-6.1.0-18-amd64', '6.1.76-1', ['linux', '6.1.76-1'], { kernel: true });
  const older = deb('linux-image-6.1.0-17-amd64', '6.1.69-1', ['linux', '6.1.69-1'], { kernel: true });
  const headers = deb('linux-libc-dev', '6.1.76-1', ['linux', '6.1.76-1']);
  const perf = deb('linux-perf', '6.1.76-1', ['linux', '6.1.76-1']);

  it('drops kernel findings in container images and says how many', () => {
    const result = runScan(inventory([running, headers], { type: 'oci-dir', name: 'oci-dir:/img' }), db);
    expect(result.result.findings).toEqual([]);
    expect(result.stats.kernelFindingsDropped).toBe(2);
    expect(result.result.warnings.map((w) => w.reason)).toEqual(["2 findings in kernel packages dropped: a container image runs on the host's kernel, not its own"]);
  });

  it('matches only the running kernel on a host; headers and tools built from its source are INFORMATIONAL', () => {
    const result = scanBrief(
      inventory([running, older, headers, perf], { type: 'host', name: 'web-1' }, { id: 'debian', ecosystem: 'Debian:12', runningKernel: '6.1.0-18-amd64' }),
      db,
    );
    expect(result.findings.map((f) => f.package)).toEqual(['linux-image-6.1.0-18-amd64@6.1.76-1', 'linux-libc-dev@6.1.76-1', 'linux-perf@6.1.76-1']);
    expect(result.warnings).toEqual([
      '1 kernel packages not matched: installed but not the running kernel (6.1.0-18-amd64)',
      '2 findings in packages built from the kernel source but not the kernel (headers, tools) scored INFORMATIONAL: kernel source package policy',
    ]);
    const full = scanInventory(inventory([running, headers], { type: 'host', name: 'web-1' }, { id: 'debian', ecosystem: 'Debian:12', runningKernel: '6.1.0-18-amd64' }), db).findings;
    const kernel = full.find((f) => f.package.name === 'linux-image-6.1.0-18-amd64')!;
    const libc = full.find((f) => f.package.name === 'linux-libc-dev')!;
    // The running kernel is judged normally: its base score, no policy adjustment.
    expect([kernel.score, kernel.severity]).toEqual([7.8, 'HIGH']);
    expect(kernel.adjustments).toEqual([]);
    expect({ score: libc.score, severity: libc.severity, adjustments: libc.adjustments }).toEqual({
      score: 0,
      severity: 'INFORMATIONAL',
      adjustments: [
        {
          metric: 'score',
          from: kernel.score,
          to: 0,
          reason: "kernel source package policy: linux-libc-dev is built from the kernel source (linux) but is not the kernel; the vulnerability is in kernel code, judged on the running kernel's package",
        },
      ],
    });
  });

  it('keeps the kernel source package policy when the running kernel is unknown', () => {
    const result = scanInventory(inventory([running, older, headers], { type: 'host', name: 'web-1' }), db);
    expect(result.findings.map((f) => [f.package.name, f.severity === 'INFORMATIONAL'])).toEqual(
      expect.arrayContaining([
        ['linux-image-6.1.0-18-amd64', false],
        ['linux-image-6.1.0-17-amd64', false],
        ['linux-libc-dev', true],
      ]),
    );
    expect(result.warnings.map((w) => w.reason)).toEqual([
      '1 findings in packages built from the kernel source but not the kernel (headers, tools) scored INFORMATIONAL: kernel source package policy',
      '2 kernel packages matched without knowing the running kernel: some findings may be for kernels that are not running',
    ]);
  });

  it.each<[string, string, string | undefined, boolean]>([
    ['linux-libc-dev', 'deb', 'linux', true],
    ['linux-headers-6.1.0-18-amd64', 'deb', 'linux', true],
    ['linux-kbuild-6.1', 'deb', 'linux', true],
    ['bpftool', 'deb', 'linux', true],
    ['linux-image-6.1.0-18-amd64', 'deb', 'linux-signed-amd64', false],
    ['linux-modules-6.5.0-14-generic', 'deb', 'linux', false],
    ['linux-base', 'deb', 'linux-base', false],
    ['kernel-headers', 'rpm', 'kernel', true],
    ['perf', 'rpm', 'kernel', true],
    ['kernel-core', 'rpm', 'kernel', false],
    ['linux-lts', 'apk', 'linux-lts', false],
  ])('%s (%s, source %s) is a kernel source package only: %s', (name, purlType, source, expected) => {
    const p = pkg({ purlType, ecosystem: purlType === 'deb' ? 'Debian:12' : purlType === 'rpm' ? 'Rocky Linux:9' : 'Alpine:v3.19', name, version: '1', ...(source ? { source: { name: source, version: '1' } } : {}) });
    expect(isKernelSourceOnly(p)).toBe(expected);
  });

  it('matches every kernel, with a warning, when the running kernel is unknown', () => {
    const result = scanBrief(inventory([running, older], { type: 'host', name: 'web-1' }), db);
    expect(result.findings).toHaveLength(2);
    expect(result.warnings).toEqual(['2 kernel packages matched without knowing the running kernel: some findings may be for kernels that are not running']);
  });
});

describe('language matching', () => {
  it('merges aliases into one finding named by the CVE, PARTIAL when one range has no fix', () => {
    const requests = pkg({ purlType: 'pypi', ecosystem: 'PyPI', name: 'requests', version: '2.28.1' });
    const { findings } = scanBrief(inventory([requests]), db);
    // GHSA's 2.31.0 is inside PYSEC's open range: no version leaves both, so no fixedVersion.
    expect(findings).toEqual([
      {
        id: 'CVE-2024-0008',
        aliases: ['GHSA-aaaa-bbbb-cccc', 'PYSEC-2024-8'],
        package: 'requests@2.28.1',
        fixAvailable: 'PARTIAL',
        advisories: ['GHSA-aaaa-bbbb-cccc', 'PYSEC-2024-8'],
      },
    ]);
    expect(scanInventory(inventory([requests]), db).findings[0].fixNote).toBe(
      'no fix on the line of 2.28.1 (PYSEC-2024-8: introduced 2.0, no fix); 2.31.0 is still affected (PYSEC-2024-8)',
    );
  });

  it('takes the fix that leaves the records of the same CVE that did not match the installed version', () => {
    const result = scanInventory(inventory([pkg({ purlType: 'npm', ecosystem: 'npm', name: 'handover', version: '0.5.0' })]), db);
    expect(result.findings.map((f) => [f.id, f.fixAvailable, f.fixedVersion, f.advisories])).toEqual([['CVE-2024-0018', 'YES', '1.1.0', ['GHSA-mmmm-nnnn-oooo']]]);
  });

  it('PARTIAL with a fixed version on another line, naming the line that has none', () => {
    const [finding] = scanInventory(inventory([pkg({ purlType: 'npm', ecosystem: 'npm', name: 'oldline', version: '1.5.0' })]), db).findings;
    expect([finding.fixAvailable, finding.fixedVersion, finding.fixNote]).toEqual([
      'PARTIAL',
      '2.3.0',
      'no fix on the line of 1.5.0 (GHSA-pppp-qqqq-rrrr: introduced 1.0.0, last affected 1.9.0); 2.3.0 leaves every affected range',
    ]);
  });

  it('matches a Maven artifact without a group by artifact id, with LOW confidence, and says so', async () => {
    const jar = pkg({ purlType: 'maven', ecosystem: 'Maven', name: 'widget', version: '1.0' });
    const result = scanInventory(inventory([jar]), db);
    expect(result.findings.map((f) => [f.id, f.package.name, f.fixedVersion, f.confidence, f.confidenceNote])).toEqual([
      ['CVE-2024-0020', 'widget', '2.0', 'LOW', 'the archive\'s Maven group is unknown; matched by artifact id "widget" as org.example:widget'],
    ]);
    // With its group known, the match is exact.
    const exact = scanInventory(inventory([pkg({ purlType: 'maven', ecosystem: 'Maven', name: 'org.example:widget', version: '1.0' })]), db).findings;
    expect(exact.map((f) => [f.id, f.confidence])).toEqual([['CVE-2024-0020', undefined]]);
    expect(await renderScan('table', result, { inventory: inventory([jar]), toolVersion: 'test' })).toContain('LOW confidence');
    expect(JSON.parse(await renderScan('json', result, { inventory: inventory([jar]), toolVersion: 'test' })).findings[0].confidence).toBe('LOW');
  });

  it('merges CVE-less aliases under the GHSA', () => {
    const smallvec = pkg({ purlType: 'cargo', ecosystem: 'crates.io', name: 'smallvec', version: '1.6.0' });
    expect(scanBrief(inventory([smallvec]), db).findings).toEqual([
      {
        id: 'GHSA-dddd-eeee-ffff',
        aliases: ['RUSTSEC-2024-0001'],
        package: 'smallvec@1.6.0',
        fixAvailable: 'YES',
        fixedVersion: '1.6.1',
        advisories: ['GHSA-dddd-eeee-ffff', 'RUSTSEC-2024-0001'],
      },
    ]);
  });

  it('ignores withdrawn advisories', () => {
    expect(scanBrief(inventory([pkg({ purlType: 'npm', ecosystem: 'npm', name: 'left-pad', version: '1.0.0' })]), db).findings).toEqual([]);
  });

  it('reports the lowest fixing version above the installed one', () => {
    const at = (version: string) => scanBrief(inventory([pkg({ purlType: 'npm', ecosystem: 'npm', name: 'branchy', version })]), db).findings.map((f) => f.fixedVersion);
    expect(at('1.0.0')).toEqual(['1.2.3']);
    expect(at('2.0.5')).toEqual(['2.1.0']);
    expect(at('1.5.0')).toEqual([]);
  });

  it('keeps ecosystems apart and normalises names per ecosystem', () => {
    const packages = [
      pkg({ purlType: 'pypi', ecosystem: 'PyPI', name: 'requests', version: '3.0.0' }),
      pkg({ purlType: 'pypi', ecosystem: 'PyPI', name: 'python-dateutil', version: '2.8.2' }),
    ];
    // requests 3.0.0 is only inside PYSEC-2024-8's open range; the npm `requests` advisory must not apply.
    expect(scanBrief(inventory(packages), db).findings.map((f) => `${f.id} ${f.package}`)).toEqual(['CVE-2024-0008 requests@3.0.0', 'CVE-2024-0017 python-dateutil@2.8.2']);
  });

  it('takes the ecosystem from the PURL type when the inventory has no OS', () => {
    const noEcosystem = pkg({ purlType: 'pypi', ecosystem: '', name: 'python-dateutil', version: '2.8.2' });
    expect(scanBrief(inventory([noEcosystem]), db).findings.map((f) => f.id)).toEqual(['CVE-2024-0017']);
  });

  it('skips language packages owned by OS packages unless asked, and counts them', () => {
    const jinja = pkg({ purlType: 'pypi', ecosystem: 'PyPI', name: 'Jinja2', version: '3.1.2', ownedBy: { purlType: 'deb', name: 'python3-jinja2', version: '3.1.2-1' } });
    const skipped = runScan(inventory([jinja]), db);
    expect(skipped.result.findings).toEqual([]);
    expect(skipped.stats.osOwnedSkipped).toBe(1);
    expect(skipped.result.warnings.map((w) => w.reason)).toEqual([
      "1 language packages installed by OS packages were not matched against language advisories: the distribution's advisories cover them (--include-os-owned matches them too)",
    ]);
    const included = scanBrief(inventory([jinja]), db, { includeOsOwned: true });
    expect(included.findings.map((f) => f.id)).toEqual(['CVE-2024-0013']);
    expect(included.warnings).toEqual([]);
  });
});

describe('uncertain decisions are warnings', () => {
  it('warns about an unparseable version that has advisories, once per package', () => {
    const bad = pkg({ purlType: 'npm', ecosystem: 'npm', name: 'branchy', version: 'not a version' });
    const result = scanBrief(inventory([bad, bad]), db);
    expect(result.findings).toEqual([]);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatch(/^branchy not a version in npm: .*not a version.*; 1 advisories for it were checked only against the versions they list$/);
  });

  it('warns about a package with no version (an unpinned requirement) that has advisories', () => {
    const result = scanBrief(inventory([pkg({ purlType: 'npm', ecosystem: 'npm', name: 'branchy', version: '' })]), db);
    expect(result.findings).toEqual([]);
    expect(result.warnings).toEqual(['branchy in npm has no version; 1 advisories for it were not evaluated']);
  });

  it('warns about an advisory that names the package only by commits', () => {
    const result = scanBrief(inventory([pkg({ purlType: 'npm', ecosystem: 'npm', name: 'gitonly', version: '1.0.0' })]), db);
    expect(result.findings).toEqual([]);
    expect(result.warnings).toEqual([expect.stringMatching(/^gitonly 1\.0\.0: advisory OSV-2024-GIT was not evaluated: .*GIT/)]);
  });

  it('stays quiet about an unparseable version nobody has advisories for', () => {
    expect(scanBrief(inventory([pkg({ purlType: 'npm', ecosystem: 'npm', name: 'nobody', version: '???' })]), db).warnings).toEqual([]);
  });

  it('warns about packages whose ecosystem is unknown', () => {
    const result = scanBrief(
      inventory([
        deb('libssl3', '3.0.11-1', ['openssl', '3.0.11-1'], { ecosystem: '' }),
        pkg({ purlType: 'generic', ecosystem: 'Plan9', name: 'rc', version: '1' }),
      ]),
      db,
    );
    expect(result.findings).toEqual([]);
    expect(result.warnings).toEqual(['1 deb packages not matched: the OS release is unknown (libssl3)', '1 packages not matched: ecosystem "Plan9" is not known to Vigil (rc)']);
  });
});

describe('the result', () => {
  it('is the same when the index already matched the versions in an earlier scan, warnings included', () => {
    const index = tinyAdvisoryDb(records);
    const packages = [
      pkg({ purlType: 'npm', ecosystem: 'npm', name: 'branchy', version: '2.0.5' }),
      pkg({ purlType: 'npm', ecosystem: 'npm', name: 'branchy', version: 'not a version' }),
      pkg({ purlType: 'npm', ecosystem: 'npm', name: 'gitonly', version: '1.0.0' }),
      deb('libssl3', '3.0.11-1~deb12u2', ['openssl', '3.0.11-1~deb12u2']),
    ];
    const first = scanInventory(inventory(packages), index);
    const again = scanInventory(inventory(packages), index);
    expect(first.warnings.map((w) => w.reason)).toEqual([expect.stringMatching(/^branchy not a version/), expect.stringMatching(/^gitonly 1\.0\.0: advisory OSV-2024-GIT/)]);
    expect(first.findings.map(brief)).toHaveLength(2);
    expect(again).toEqual(first);
  });

  it('carries target, OS and package count, and looks each source up once', () => {
    const index = tinyAdvisoryDb(records);
    const result = scanInventory(
      inventory(
        [deb('libssl3', '3.0.11-1~deb12u2', ['openssl', '3.0.11-1~deb12u2']), deb('openssl', '3.0.11-1~deb12u2', ['openssl', '3.0.11-1~deb12u2'])],
        { type: 'oci-dir', name: 'oci-dir:/img', digest: 'sha256:abc' },
        { id: 'debian', ecosystem: 'Debian:12', name: 'Debian GNU/Linux', versionId: '12' },
      ),
      index,
    );
    expect(index.lookups).toBe(1);
    expect(result.schemaVersion).toBe(1);
    expect(result.target).toEqual({ type: 'oci-dir', name: 'oci-dir:/img', digest: 'sha256:abc' });
    expect(result.os).toEqual({ ecosystem: 'Debian:12', name: 'Debian GNU/Linux', version: '12' });
    expect(result.packageCount).toBe(2);
    expect(result.findings[0]).toMatchObject({
      title: 'openssl: security update',
      package: { name: 'libssl3', source: { name: 'openssl', version: '3.0.11-1~deb12u2' }, locations: ['/var/lib/dpkg/status'] },
      severity: 'UNTRIAGED',
      scoreSource: 'none',
    });
  });
});
