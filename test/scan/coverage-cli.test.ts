/**
 * Issue 13's reproductions, through the real CLI: roots and projects scanned against an
 * advisory database that holds nothing for their OS release or language must say so in every
 * output format (never a bare "No vulnerabilities found"), and `--fail-on-gaps` must fail
 * them; end-of-life releases must warn with their date. The Amazon Linux root carries a real
 * rpm database made by Debian's `rpm` and `rpmbuild`.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScanResult } from '../../src/matching/types.js';
import { runVigil } from '../helpers/cli.js';
import { installRpms } from '../helpers/rpm.js';
import { advisory, writeAdvisoryDb } from '../helpers/tiny-advisory-db.js';
import { vulndataDir } from '../vulndb/shared-db.js';
import { sarifErrors } from './sarif-validate.js';

let work: string;
let db: string;
const roots: Record<string, string> = {};
const demo = join(vulndataDir, 'demo', 'npm-project');

/** A dpkg status stanza of one installed package. */
function dpkgStatus(name: string, version: string): string {
  return `Package: ${name}\nStatus: install ok installed\nPriority: optional\nSection: utils\nArchitecture: amd64\nVersion: ${version}\nDescription: ${name}\n\n`;
}

async function root(name: string, files: Record<string, string>): Promise<string> {
  const dir = join(work, name);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  roots[name] = dir;
  return dir;
}

/** An rpm database (SQLite, as Amazon Linux 2023 has) holding one package built with rpmbuild. */
function amazonRpmDb(dir: string): Promise<void> {
  return installRpms([{ name: 'openssl-libs', epoch: 1, version: '3.0.8', release: '1.amzn2023.0.14' }], join(dir, 'var/lib/rpm'), work);
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'vigil-coverage-cli-'));
  // Debian 12, Debian 10 and Alpine 3.15 data, one PyPI record: no Ubuntu, no Amazon Linux, no npm.
  db = writeAdvisoryDb(join(work, 'vulndb.sqlite'), [
    advisory('DSA-0001-1', 'Debian:12', 'openssl', [[{ introduced: '0' }, { fixed: '3.0.13-1~deb12u1' }]], { aliases: ['CVE-2099-0001'] }),
    advisory('DLA-0001-1', 'Debian:10', 'openssl', [[{ introduced: '0' }, { fixed: '1.1.1n-0+deb10u4' }]], { aliases: ['CVE-2099-0002'] }),
    advisory('ALPINE-0001', 'Alpine:v3.15', 'busybox', [[{ introduced: '0' }, { fixed: '1.34.1-r8' }]], { aliases: ['CVE-2099-0003'] }),
    advisory('PYSEC-0001', 'PyPI', 'requests', [[{ introduced: '0' }, { fixed: '2.31.0' }]]),
  ]);
  await root('ubuntu-22.04', {
    'etc/os-release': 'NAME="Ubuntu"\nVERSION="22.04.4 LTS (Jammy Jellyfish)"\nID=ubuntu\nID_LIKE=debian\nPRETTY_NAME="Ubuntu 22.04.4 LTS"\nVERSION_ID="22.04"\nVERSION_CODENAME=jammy\n',
    'var/lib/dpkg/status': dpkgStatus('openssl', '3.0.2-0ubuntu1'),
  });
  await amazonRpmDb(
    await root('amazon-linux-2023', {
      'etc/os-release': 'NAME="Amazon Linux"\nVERSION="2023"\nID="amzn"\nID_LIKE="fedora"\nVERSION_ID="2023"\nPRETTY_NAME="Amazon Linux 2023.6.20241010"\n',
    }),
  );
  await root('debian-10', {
    'etc/os-release': 'PRETTY_NAME="Debian GNU/Linux 10 (buster)"\nNAME="Debian GNU/Linux"\nVERSION_ID="10"\nVERSION="10 (buster)"\nVERSION_CODENAME=buster\nID=debian\n',
    'var/lib/dpkg/status': dpkgStatus('openssl', '1.1.1n-0+deb10u3'),
  });
  await root('alpine-3.15', {
    'etc/os-release': 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.15.11\nPRETTY_NAME="Alpine Linux v3.15"\n',
    'lib/apk/db/installed': 'C:Q1AAAAAAAAAAAAAAAAAAAAAAAAAAA=\nP:busybox\nV:1.34.1-r7\nA:x86_64\no:busybox\nT:Size optimized toolbox\n\n',
  });
}, 120_000);
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function scan(target: string, ...flags: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runVigil(['scan', target, '--vulndb', db, '--offline', ...flags]);
}

/** A JSON scan; with `--fail-on-gaps` it must exit 1 and say why on standard error. */
async function scanJson(target: string, failOnGaps = false): Promise<ScanResult> {
  const r = await scan(target, '--format', 'json', ...(failOnGaps ? ['--fail-on-gaps'] : []));
  if (failOnGaps) expect(r.stderr).toMatch(/^vigil: \d+ ecosystems? without advisory data or at end of life \(.+\): failing \(--fail-on-gaps\)\n$/);
  else expect(r.stderr).toBe('');
  expect(r.code).toBe(failOnGaps ? 1 : 0);
  return JSON.parse(r.stdout) as ScanResult;
}

describe('an Ubuntu 22.04 root against a database without Ubuntu data', () => {
  let result: ScanResult;
  beforeAll(async () => {
    result = await scanJson(`dir:${roots['ubuntu-22.04']}`);
  });

  it('reports the gap in the JSON coverage block and as a warning', () => {
    expect(result.findings).toEqual([]);
    expect(result.coverage).toEqual({
      gaps: 1,
      ecosystems: [
        {
          ecosystem: 'Ubuntu:22.04:LTS',
          kind: 'os',
          packages: 1,
          advisories: 0,
          status: 'no-data',
          detail: expect.stringMatching(/^Ubuntu:22\.04:LTS: the advisory database holds no advisories for this release, so its 1 package was not checked/),
          endOfLife: expect.objectContaining({ standard: '2027-04', extended: { until: '2032-04', name: 'Ubuntu Pro (ESM)' } }),
        },
      ],
    });
    expect(result.warnings.map((w) => w.reason)).toContain(result.coverage!.ecosystems[0].detail);
  });

  it('says it in the table instead of a bare "No vulnerabilities found", and fails with --fail-on-gaps', async () => {
    const r = await scan(`dir:${roots['ubuntu-22.04']}`, '--fail-on-gaps');
    expect(r.stdout).not.toContain('No vulnerabilities found.');
    expect(r.stdout).toContain('No vulnerabilities found, but 1 ecosystem could not be fully checked (see Coverage gaps).');
    expect(r.stdout).toMatch(/Coverage gaps \(1\)\n {2}NO DATA {2}Ubuntu:22\.04:LTS: the advisory database holds no advisories/);
    expect(r.stdout).toMatch(/1 coverage gap/);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('vigil: 1 ecosystem without advisory data or at end of life (Ubuntu:22.04:LTS): failing (--fail-on-gaps)\n');
  });

  it('says it in SARIF notifications and run properties', async () => {
    const r = await scan(`dir:${roots['ubuntu-22.04']}`, '--format', 'sarif');
    const log = JSON.parse(r.stdout) as { runs: { invocations: { toolExecutionNotifications: { level: string; message: { text: string } }[] }[]; properties: { coverage: unknown } }[] };
    expect(sarifErrors(log)).toEqual([]);
    expect(log.runs[0].invocations[0].toolExecutionNotifications).toContainEqual({ level: 'warning', message: { text: result.coverage!.ecosystems[0].detail } });
    expect(log.runs[0].properties.coverage).toEqual(result.coverage);
  });

  it('says it in CycloneDX metadata properties and SPDX annotations', async () => {
    const expected = `no-data: ${result.coverage!.ecosystems[0].detail}`;
    const r = await scan(`dir:${roots['ubuntu-22.04']}`, '--format', 'cyclonedx');
    expect(await new Validation.JsonStrictValidator(Spec.Version.v1dot6).validate(r.stdout)).toBeNull();
    const bom = JSON.parse(r.stdout) as { metadata: { properties: { name: string; value: string }[] } };
    expect(bom.metadata.properties).toContainEqual({ name: 'vigil:coverage', value: expected });
    const spdx = JSON.parse((await scan(`dir:${roots['ubuntu-22.04']}`, '--format', 'spdx')).stdout) as { packages: { SPDXID: string; annotations?: { comment: string }[] }[] };
    const target = spdx.packages.find((p) => p.SPDXID === 'SPDXRef-Target');
    expect(target?.annotations?.map((a) => a.comment)).toContain(`vigil:coverage=${expected}`);
  });
});

describe('an Amazon Linux 2023 root (real rpm database) against a database without Amazon Linux data', () => {
  it('warns, and fails with --fail-on-gaps', async () => {
    const result = await scanJson(`dir:${roots['amazon-linux-2023']}`, true);
    expect(result.os?.ecosystem).toBe('Amazon Linux:2023');
    expect(result.coverage?.ecosystems.map((e) => [e.ecosystem, e.packages, e.status])).toEqual([['Amazon Linux:2023', 1, 'no-data']]);
    expect(result.warnings.map((w) => w.reason)).toContainEqual(expect.stringMatching(/^Amazon Linux:2023: the advisory database holds no advisories for this release/));
  });
});

describe('an npm project against a database without npm data', () => {
  it('warns with the number of packages left unchecked, and fails with --fail-on-gaps', async () => {
    const result = await scanJson(`dir:${demo}`, true);
    const npm = result.coverage?.ecosystems.find((e) => e.ecosystem === 'npm');
    expect(npm).toMatchObject({ kind: 'language', advisories: 0, status: 'no-data' });
    expect(npm!.packages).toBe(result.packageCount);
    expect(npm!.packages).toBeGreaterThan(100);
    expect(result.warnings.map((w) => w.reason)).toContain(`npm: the advisory database holds no advisories for this ecosystem, so its ${npm!.packages} packages were not checked ("no vulnerabilities" here means no data, not none known)`);
  });
});

describe('end-of-life releases', () => {
  const cases: [root: string, ecosystem: string, sentence: string][] = [
    ['debian-10', 'Debian:10', 'Debian 10 is end of life: security support ended 2024-06-30; it gets no more security fixes'],
    ['alpine-3.15', 'Alpine:v3.15', 'Alpine 3.15 is end of life: security support ended 2023-11-01; it gets no more security fixes'],
  ];
  it.each(cases)('%s warns with the date, still matches its data, and fails with --fail-on-gaps', async (name, ecosystem, sentence) => {
    const result = await scanJson(`dir:${roots[name]}`, true);
    const entry = result.coverage?.ecosystems[0];
    expect(entry).toMatchObject({ ecosystem, status: 'eol', advisories: 1, endOfLife: { state: 'eol' } });
    expect(entry!.detail).toContain(sentence);
    expect(result.warnings.map((w) => w.reason)).toContain(entry!.detail);
    // The data it has still finds what it can.
    expect(result.findings.map((f) => f.id)).toEqual([name === 'debian-10' ? 'CVE-2099-0002' : 'CVE-2099-0003']);
  });

  it('are listed as END OF LIFE in the table', async () => {
    const table = await scan(`dir:${roots['debian-10']}`);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/Coverage gaps \(1\)\n {2}END OF LIFE {2}Debian:10: 1 advisory from test, newest modified 2024-01-01; Debian 10 is end of life/);
  });
});

describe('vigil db status', () => {
  it('lists coverage per ecosystem and release with sources, last update and end of life, in JSON and text', async () => {
    const json = await runVigil(['db', 'status', '--json', '--vulndb', db]);
    expect(json.code).toBe(0);
    const s = JSON.parse(json.stdout) as { ecosystems: { ecosystem: string; advisories: number; packages: number; sources: string[]; changedAt?: string; endOfLife?: { state: string } }[] };
    expect(s.ecosystems.map((e) => [e.ecosystem, e.advisories, e.packages, e.sources, e.endOfLife?.state])).toEqual([
      ['Alpine:v3.15', 1, 1, ['test'], 'eol'],
      ['Debian:10', 1, 1, ['test'], 'eol'],
      ['Debian:12', 1, 1, ['test'], expect.any(String)],
      ['PyPI', 1, 1, ['test'], undefined],
    ]);
    expect(s.ecosystems.every((e) => e.changedAt)).toBe(true);
    const text = await runVigil(['db', 'status', '--vulndb', db]);
    expect(text.stdout).toMatch(/^ {2}Debian:10 +1 advisories +1 packages {2}from test, newest 2024-01-01, source changed \d{4}-\d\d-\d\d \d\d:\d\d; END OF LIFE 2024-06-30$/m);
    expect(text.stdout).toMatch(/^ {2}PyPI +1 advisories +1 packages {2}from test, newest 2024-01-01, source changed [\d :-]+$/m);
  });
});
