/**
 * `vigil scan` end to end, through the real CLI, against the full shared advisory data: the
 * debootstrapped bookworm root filesystem checked against Debian's own changelogs
 * (`debian12-truth.json`), the npm demo project, every output format validated, and the
 * flags that gate CI.
 */
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import { beforeAll, describe, expect, it } from 'vitest';
import { canonicalEcosystem } from '../../src/ecosystems.js';
import { scanTarget } from '../../src/inventory/index.js';
import { scanInventory } from '../../src/matching/engine.js';
import { renderScan, type ScanFormat } from '../../src/matching/output/index.js';
import type { ScanResult } from '../../src/matching/types.js';
import { schemeFor } from '../../src/versioning/index.js';
import { VulnDb } from '../../src/vulndb/store.js';
import { runVigil } from '../helpers/cli.js';
import { debianRootfs } from '../helpers/images.js';
import { sharedVulnDb, vulndataDir } from '../vulndb/shared-db.js';
import { sarifErrors } from './sarif-validate.js';

interface TruthEntry {
  source: string;
  point_release_version: string | null;
  security_version: string;
  cves: string[];
  osv_ids: string[];
}

let db: string;
let rootfs: string;
const demo = join(vulndataDir, 'demo', 'npm-project');

beforeAll(async () => {
  [db, rootfs] = await Promise.all([sharedVulnDb().then((d) => d.path), debianRootfs()]);
}, 900_000);

async function scanJson(target: string, ...flags: string[]): Promise<ScanResult> {
  const { code, stdout, stderr } = await runVigil(['scan', target, '--vulndb', db, '--offline', '--format', 'json', ...flags]);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  return JSON.parse(stdout) as ScanResult;
}

describe('the debootstrapped bookworm root filesystem', () => {
  let result: ScanResult;
  beforeAll(async () => {
    result = await scanJson(`dir:${rootfs}`);
  });

  it('reports every CVE Debian fixed after the point release, with the right fixed version, and nothing else', () => {
    const truth = JSON.parse(readFileSync(join(vulndataDir, 'debian12-truth.json'), 'utf8')) as TruthEntry[];
    const dpkg = schemeFor('Debian:12');
    const index = new VulnDb(db);
    try {
      // Installed source packages, as the scan saw them.
      const findingsBySource = new Map<string, Map<string, string | undefined>>();
      for (const f of result.findings) {
        const source = f.package.source?.name ?? f.package.name;
        const cves = findingsBySource.get(source) ?? new Map<string, string | undefined>();
        cves.set(f.id, f.fixedVersion);
        findingsBySource.set(source, cves);
      }
      const { stdout } = { stdout: readFileSync(join(rootfs, 'var/lib/dpkg/status'), 'utf8') };
      const installedSources = new Set(
        stdout.split('\n\n').flatMap((stanza) => {
          const pkg = /^Package: (.+)$/m.exec(stanza)?.[1];
          const source = /^Source: (\S+)/m.exec(stanza)?.[1];
          return pkg ? [source ?? pkg] : [];
        }),
      );
      const relevant = truth.filter((t) => installedSources.has(t.source));
      // The minbase tree holds sources with security updates after 12.15 (apt, perl, pcre2…):
      // without them this test would prove nothing.
      expect(relevant.filter((t) => t.cves.length > 0).length).toBeGreaterThanOrEqual(3);

      for (const entry of relevant) {
        // The expected fix of each CVE: every upload record naming it opens at "0" and ends at
        // its upload, so the lowest version that leaves all of them is the latest such upload.
        const records = index.advisoriesFor('Debian:12', entry.source).filter((a) => entry.osv_ids.includes(a.record.id));
        const expected = new Map<string, string>();
        for (const { record, affected } of records) {
          const fixed = affected.flatMap((a) => (a.ranges ?? []).flatMap((r) => r.events.flatMap((e) => (e.fixed ? [e.fixed] : []))));
          for (const cve of record.aliases ?? []) {
            for (const fix of fixed) {
              const prev = expected.get(cve);
              if (prev === undefined || dpkg.compare(fix, prev) > 0) expected.set(cve, fix);
            }
          }
        }
        const reported = findingsBySource.get(entry.source) ?? new Map<string, string | undefined>();
        expect(new Set(reported.keys()), entry.source).toEqual(new Set(entry.cves));
        for (const cve of entry.cves) expect(reported.get(cve), `${entry.source} ${cve}`).toBe(expected.get(cve));
      }
      // Sources truth does not list have no security update newer than the point release.
      const listed = new Set(relevant.map((t) => t.source));
      expect([...findingsBySource.keys()].filter((s) => !listed.has(s))).toEqual([]);
    } finally {
      index.close();
    }
  });

  it('describes the target and its OS', () => {
    expect(result.schemaVersion).toBe(1);
    expect(result.target).toEqual({ type: 'dir', name: `dir:${rootfs}` });
    expect(result.os).toEqual({ ecosystem: 'Debian:12', name: 'Debian GNU/Linux', version: '12' });
    expect(result.packageCount).toBeGreaterThan(80);
    expect(canonicalEcosystem(result.findings[0].package.ecosystem)).toBe('Debian:12');
  });
});

describe('the npm demo project', () => {
  let result: ScanResult;
  beforeAll(async () => {
    result = await scanJson(`dir:${demo}`);
  });

  it('reports lodash and minimist under their CVEs with the GHSA ids as aliases', () => {
    const lodash = result.findings.find((f) => f.package.name === 'lodash');
    const minimist = result.findings.find((f) => f.package.name === 'minimist' && f.package.version === '1.2.0');
    // The stored GHSA revision says fixed in 4.17.20, and only GHSA scores it (no NVD record here).
    expect(lodash).toMatchObject({ id: 'CVE-2020-8203', package: { version: '4.17.15', ecosystem: 'npm', purl: 'pkg:npm/lodash@4.17.15' }, fixAvailable: 'YES', fixedVersion: '4.17.20' });
    expect(lodash).toMatchObject({ severity: 'HIGH', score: 7.4, scoreSource: 'ghsa:3.1' });
    expect(lodash?.aliases).toContain('GHSA-p6mc-m468-83gw');
    expect(minimist).toMatchObject({ id: 'CVE-2021-44906', package: { version: '1.2.0' }, fixAvailable: 'YES', fixedVersion: '1.2.6' });
    expect(minimist?.aliases).toContain('GHSA-xvch-5gv4-984h');
    // NVD's v3.1 vector for CVE-2021-44906 is in the data: the score comes from it.
    expect(minimist).toMatchObject({ severity: 'CRITICAL', score: 9.8, scoreSource: 'nvd:3.1' });
    expect(minimist?.epss?.score).toBeGreaterThan(0);
  });

  it('lowers a network vector when the target is not internet-reachable, and says why', async () => {
    const adjusted = await scanJson(`dir:${demo}`, '--context', 'internet-reachable=false');
    const minimist = adjusted.findings.find((f) => f.package.name === 'minimist' && f.package.version === '1.2.0');
    expect(minimist).toMatchObject({ score: 8.8, severity: 'HIGH', cvss: { baseScore: 9.8 } });
    expect(minimist?.adjustments.map((a) => [a.metric, a.from, a.to])).toEqual([
      ['AV', 'N', 'A'],
      ['score', 9.8, 8.8],
    ]);
  });

  it('gates CI with --fail-on: 1 at or above the threshold, 0 below', async () => {
    const fail = await runVigil(['scan', `dir:${demo}`, '--vulndb', db, '--offline', '--fail-on', 'critical']);
    expect(fail.code).toBe(1);
    expect(fail.stdout).toContain('CRITICAL (');
    expect(fail.stderr).toContain('--fail-on CRITICAL');
    const pass = await runVigil(['scan', `dir:${demo}`, '--vulndb', db, '--offline', '--fail-on', 'critical', '--severity', 'LOW,MEDIUM,HIGH']);
    expect(pass.code).toBe(0);
    expect(pass.stdout).not.toContain('CRITICAL (');
  });

  it('applies .vigilignore.yaml from the working directory, warning about stale entries', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'vigil-ignore-'));
    // runVigil loads tsx from the working directory's node_modules.
    symlinkSync(fileURLToPath(new URL('../../node_modules', import.meta.url)), join(cwd, 'node_modules'));
    writeFileSync(
      join(cwd, '.vigilignore.yaml'),
      ['ignore:', '  - id: GHSA-xvch-5gv4-984h', '    reason: only parses our own arguments', '  - id: CVE-1999-0001', '    reason: long gone'].join('\n'),
    );
    const { code, stdout } = await runVigil(['scan', `dir:${demo}`, '--vulndb', db, '--offline', '--format', 'json'], { cwd });
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as ScanResult;
    expect(result.findings.some((f) => f.id === 'CVE-2021-44906')).toBe(false);
    expect(result.suppressed).toEqual([
      { id: 'CVE-2021-44906', package: 'pkg:npm/minimist@0.0.10', reason: 'only parses our own arguments' },
      { id: 'CVE-2021-44906', package: 'pkg:npm/minimist@1.2.0', reason: 'only parses our own arguments' },
    ]);
    expect(result.warnings).toContainEqual({ path: '.vigilignore.yaml', reason: 'stale ignore entry: CVE-1999-0001 matched no finding' });
  });

  it('writes valid SARIF 2.1.0 to a file with -o, and the summary to stderr', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'vigil-sarif-')), 'scan.sarif');
    const { code, stdout, stderr } = await runVigil(['scan', `dir:${demo}`, '--vulndb', db, '--offline', '--format', 'sarif', '-o', out]);
    expect(code).toBe(0);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^\d+ findings .* packages scanned(, \d+ warnings?)?\n$/);
    const log = JSON.parse(readFileSync(out, 'utf8')) as { runs: { results: { ruleId: string }[] }[] };
    expect(sarifErrors(log)).toEqual([]);
    expect(log.runs[0].results.map((r) => r.ruleId)).toContain('CVE-2020-8203');
  });

  // The SBOM formats are rendered in-process (the same code the CLI calls) to keep the suite fast.
  it.each(['cyclonedx', 'cyclonedx-vex'] as const)('writes %s that the CycloneDX library validates', async (format) => {
    const text = await renderInProcess(format);
    const errors = await new Validation.JsonStrictValidator(Spec.Version.v1dot6).validate(text);
    expect(errors).toBeNull();
    const bom = JSON.parse(text) as { components: { 'bom-ref': string; purl?: string }[]; vulnerabilities: { id: string; affects: { ref: string }[]; analysis: { state: string } }[] };
    const lodash = bom.vulnerabilities.find((v) => v.id === 'CVE-2020-8203');
    expect(lodash?.analysis.state).toBe('in_triage');
    const ref = lodash?.affects[0].ref;
    expect(bom.components.find((c) => c['bom-ref'] === ref)?.purl).toBe('pkg:npm/lodash@4.17.15');
    // The VEX document holds only the packages it speaks about.
    if (format === 'cyclonedx-vex') expect(bom.components.map((c) => c.purl).sort()).toEqual(['pkg:npm/lodash@4.17.15', 'pkg:npm/minimist@0.0.10', 'pkg:npm/minimist@1.2.0']);
    else expect(bom.components.length).toBeGreaterThan(200);
  });

  it('writes SPDX with security references on the affected packages', async () => {
    const doc = JSON.parse(await renderInProcess('spdx')) as { spdxVersion: string; packages: { name: string; externalRefs?: { referenceCategory: string; referenceLocator: string }[] }[] };
    expect(doc.spdxVersion).toBe('SPDX-2.3');
    const lodash = doc.packages.find((p) => p.name === 'lodash');
    expect(lodash?.externalRefs).toContainEqual({ referenceCategory: 'SECURITY', referenceType: 'advisory', referenceLocator: 'https://nvd.nist.gov/vuln/detail/CVE-2020-8203' });
  });
});

async function renderInProcess(format: ScanFormat): Promise<string> {
  const inventory = await scanTarget(`dir:${demo}`);
  const index = new VulnDb(db);
  try {
    return await renderScan(format, scanInventory(inventory, index), { inventory, toolVersion: '0.1.0' });
  } finally {
    index.close();
  }
}

describe('errors exit 2 with a message naming the problem', () => {
  const cases: [string, string[], RegExp][] = [
    ['an unknown format', ['--format', 'xml'], /--format "xml": expected one of table, json/],
    ['a bad context', ['--context', 'internet-reachable=maybe'], /internet-reachable takes true or false/],
    ['a missing ignore file', ['--ignore-file', '/nonexistent/ignore.yaml'], /ignore file \/nonexistent\/ignore\.yaml: cannot be read/],
  ];
  it.each(cases)('%s', async (_name, flags, message) => {
    const { code, stderr } = await runVigil(['scan', `dir:${demo}`, '--vulndb', db, '--offline', ...flags]);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });

  it('a missing database when offline', async () => {
    const { code, stderr } = await runVigil(['scan', `dir:${demo}`, '--vulndb', '/nonexistent/vulndb.sqlite', '--offline']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/no advisory database at \/nonexistent\/vulndb\.sqlite/);
  });

  it('a target that does not exist', async () => {
    const { code, stderr } = await runVigil(['scan', 'dir:/nonexistent/target', '--vulndb', db, '--offline']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/\/nonexistent\/target/);
  });
});
