/**
 * VEX documents as published (test/fixtures/vex, see SOURCES.md there) read into statements,
 * and applied to a scan result the way `vigil scan --vex` applies them; bad documents
 * rejected with their name.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Finding, ScanResult } from '../../src/matching/types.js';
import { readVexDocument } from '../../src/vex/read.js';
import { applyVexToScan, readVexFile } from '../../src/vex/scan.js';

const fixtures = fileURLToPath(new URL('../fixtures/vex/', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'vigil-vex-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function finding(id: string, name: string, version: string, purl: string): Finding {
  return {
    id,
    aliases: [],
    title: id,
    package: { name, version, ecosystem: 'x', purl, locations: [] },
    fixAvailable: 'NO',
    severity: 'HIGH',
    score: 7.5,
    scoreSource: 'nvd:3.1',
    adjustments: [],
    references: [],
    advisories: [id],
  };
}

function result(findings: Finding[]): ScanResult {
  return { schemaVersion: 1, target: { type: 'dir', name: 'x' }, packageCount: findings.length, findings, suppressed: [], warnings: [] };
}

describe('VEX documents as published', () => {
  it('reads the vexctl OpenVEX demo: a fixed statement for two git builds', () => {
    const doc = readVexFile(join(fixtures, 'openvex-demo.vex.json'));
    expect(doc).toMatchObject({ format: 'openvex', author: 'Wolfi J Inkinson', id: expect.stringMatching(/^https:\/\/openvex\.dev\/docs\/public\/vex-d765/) });
    expect(doc.statements).toHaveLength(1);
    expect(doc.statements[0]).toMatchObject({ vulnerability: 'CVE-2014-123456', status: 'fixed', products: [{ purl: 'pkg:apk/distro/git@2.39.0-r1?arch=armv7' }, { purl: 'pkg:apk/distro/git@2.39.0-r1?arch=x86_64' }] });
  });

  it("reads CISA's CycloneDX case 1: not_affected, code_not_present, resolved through the metadata component", () => {
    const doc = readVexFile(join(fixtures, 'cyclonedx-cisa-case1-not_affected.json'));
    expect(doc.format).toBe('cyclonedx-vex');
    expect(doc.statements).toEqual([
      expect.objectContaining({
        vulnerability: 'CVE-2021-44228',
        status: 'not_affected',
        justification: 'vulnerable_code_not_present',
        products: [{ name: 'ABC', version: '4.2' }],
        detail: expect.stringMatching(/^This version of Product ABC is not affected/),
        action: 'will_not_fix',
      }),
    ]);
  });

  it('suppresses what fixed and not_affected statements cover, with the statement as the reason, and leaves the rest', () => {
    const docs = [readVexFile(join(fixtures, 'openvex-demo.vex.json')), readVexFile(join(fixtures, 'cyclonedx-cisa-case1-not_affected.json'))];
    const out = applyVexToScan(
      result([
        finding('CVE-2014-123456', 'git', '2.39.0-r1', 'pkg:apk/distro/git@2.39.0-r1?arch=x86_64&distro=3.18'),
        // Another version of git: the statement names 2.39.0-r1 only.
        finding('CVE-2014-123456', 'git', '2.40.0-r0', 'pkg:apk/distro/git@2.40.0-r0?arch=x86_64'),
        finding('CVE-2021-44228', 'ABC', '4.2', 'pkg:generic/ABC@4.2'),
        // Product ABC 4.3 is not the version the statement is about.
        finding('CVE-2021-44228', 'ABC', '4.3', 'pkg:generic/ABC@4.3'),
      ]),
      docs,
    );
    expect(out.findings.map((f) => `${f.id} ${f.package.version}`)).toEqual(['CVE-2014-123456 2.40.0-r0', 'CVE-2021-44228 4.3']);
    expect(out.suppressed).toEqual([
      { id: 'CVE-2014-123456', package: 'pkg:apk/distro/git@2.39.0-r1?arch=x86_64&distro=3.18', reason: expect.stringMatching(/^VEX https:\/\/openvex\.dev\/docs\/public\/vex-d765.* \(Wolfi J Inkinson\): fixed$/) },
      { id: 'CVE-2021-44228', package: 'pkg:generic/ABC@4.2', reason: expect.stringMatching(/cyclonedx-cisa-case1-not_affected\.json: not_affected — vulnerable_code_not_present; This version/) },
    ]);
  });

  it('keeps an affected finding open with the statement as a note', () => {
    const doc = readVexDocument(
      {
        '@context': 'https://openvex.dev/ns/v0.2.0',
        '@id': 'urn:test:affected',
        author: 'Ops',
        statements: [{ vulnerability: { name: 'CVE-2020-8203' }, products: [{ '@id': 'pkg:npm/lodash' }], status: 'affected', action_statement: 'Upgrade to 4.17.21' }],
      },
      'inline',
    );
    const out = applyVexToScan(result([finding('CVE-2020-8203', 'lodash', '4.17.15', 'pkg:npm/lodash@4.17.15')]), [doc]);
    expect(out.suppressed).toEqual([]);
    expect(out.findings[0].notes).toEqual(['VEX urn:test:affected (Ops): affected — Upgrade to 4.17.21']);
  });

  it.each([
    ['not JSON', '{', /VEX document .*bad\.json: not JSON/],
    ['neither format', '{"hello": 1}', /neither OpenVEX \(@context\) nor CycloneDX \(bomFormat\)/],
    ['an OpenVEX status that does not exist', JSON.stringify({ '@context': 'https://openvex.dev/ns/v0.2.0', statements: [{ vulnerability: { name: 'X' }, status: 'fine' }] }), /not OpenVEX: statements\.0\.status/],
    ['a CycloneDX state that does not exist', JSON.stringify({ bomFormat: 'CycloneDX', vulnerabilities: [{ id: 'X', analysis: { state: 'meh' } }] }), /unknown analysis state "meh"/],
    [
      'a product PURL with broken percent-encoding',
      JSON.stringify({ '@context': 'https://openvex.dev/ns/v0.2.0', statements: [{ vulnerability: { name: 'CVE-2024-1' }, products: [{ '@id': 'pkg:npm/foo%ZZ@1.0' }], status: 'not_affected' }] }),
      /statement on CVE-2024-1: product "pkg:npm\/foo%ZZ@1.0" is not a valid package URL/,
    ],
  ])('rejects %s, naming the file', (_, body, message) => {
    const file = join(work, 'bad.json');
    writeFileSync(file, body);
    expect(() => readVexFile(file)).toThrow(message);
  });
});
