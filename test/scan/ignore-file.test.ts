import { describe, expect, it } from 'vitest';
import { applyIgnoreEntries, IgnoreFileError, parseIgnoreFile, purlMatches } from '../../src/matching/ignore-file.js';
import { sampleResult } from './sample-result.js';

const NOW = new Date('2026-06-15T12:00:00Z');

describe('parseIgnoreFile', () => {
  it('reads entries with optional scope and expiry', () => {
    const text = [
      'ignore:',
      '  - id: CVE-2021-44228',
      '    reason: log4j is not on the classpath at run time',
      '    expires: 2026-12-31',
      '    purls: ["pkg:maven/org.apache.logging.log4j/log4j-core"]',
      '  - id: CVE-2024-0007',
      '    reason: tar is never run on untrusted archives',
      '    packages: [tar]',
    ].join('\n');
    expect(parseIgnoreFile(text, 'x.yaml')).toEqual([
      { id: 'CVE-2021-44228', reason: 'log4j is not on the classpath at run time', expires: '2026-12-31', purls: ['pkg:maven/org.apache.logging.log4j/log4j-core'] },
      { id: 'CVE-2024-0007', reason: 'tar is never run on untrusted archives', packages: ['tar'] },
    ]);
  });

  it('accepts a bare list and an empty file', () => {
    expect(parseIgnoreFile('- id: CVE-1\n  reason: r\n', 'x.yaml')).toEqual([{ id: 'CVE-1', reason: 'r' }]);
    expect(parseIgnoreFile('', 'x.yaml')).toEqual([]);
  });

  const bad: [string, string, RegExp][] = [
    ['not YAML', 'ignore: [', /x\.yaml: not valid YAML/],
    ['no reason', 'ignore:\n  - id: CVE-1\n', /x\.yaml: .*reason/],
    ['empty reason', 'ignore:\n  - id: CVE-1\n    reason: ""\n', /every entry needs a reason at ignore\.0\.reason/],
    ['a bad date', 'ignore:\n  - id: CVE-1\n    reason: r\n    expires: someday\n', /"someday" is not a date/],
    ['an unknown key', 'ignore:\n  - id: CVE-1\n    reason: r\n    until: 2026-01-01\n', /x\.yaml: .*until/],
    ['a scalar', '42', /x\.yaml/],
  ];
  it.each(bad)('rejects %s with an error naming the file', (_name, text, message) => {
    expect(() => parseIgnoreFile(text, 'x.yaml')).toThrow(IgnoreFileError);
    expect(() => parseIgnoreFile(text, 'x.yaml')).toThrow(message);
  });
});

describe('purlMatches', () => {
  const cases: [string, string, boolean][] = [
    ['pkg:npm/lodash', 'pkg:npm/lodash@4.17.15', true],
    ['pkg:npm/lodash', 'pkg:npm/lodash-es@4.17.15', false],
    ['pkg:npm/lodash@4.17.15', 'pkg:npm/lodash@4.17.15', true],
    ['pkg:npm/lodash@4.17.21', 'pkg:npm/lodash@4.17.15', false],
    ['pkg:deb/debian/libssl3@3.0.11-1~deb12u2', 'pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12', true],
    ['pkg:deb/debian/*', 'pkg:deb/debian/libssl3@3.0.11-1?arch=amd64', true],
    ['pkg:npm/*', 'pkg:deb/debian/libssl3@3.0.11-1', false],
  ];
  it.each(cases)('%s covers %s: %s', (pattern, purl, want) => expect(purlMatches(pattern, purl)).toBe(want));
});

describe('applyIgnoreEntries', () => {
  it('suppresses by id or alias, honours scope, warns about expired and stale entries', () => {
    const result = applyIgnoreEntries(
      sampleResult(),
      [
        // By alias, scoped by PURL: applies.
        { id: 'GHSA-jfh8-c2jp-5v3q', reason: 'not on the classpath', purls: ['pkg:maven/org.apache.logging.log4j/log4j-core'] },
        // By source package name: applies to libssl3 (built from openssl).
        { id: 'CVE-2024-0001', reason: 'no TLS server here', packages: ['openssl'] },
        // Expired yesterday: not applied, warned about.
        { id: 'CVE-2024-0007', reason: 'accepted for Q1', expires: '2026-06-14' },
        // Scoped to another package: matches nothing, stale.
        { id: 'GHSA-dddd-eeee-ffff', reason: 'wrong package', packages: ['not-smallvec'] },
      ],
      NOW,
      '.vigilignore.yaml',
    );
    expect(result.findings.map((f) => f.id)).toEqual(['CVE-2024-0007', 'GHSA-dddd-eeee-ffff']);
    expect(result.suppressed).toEqual([
      { id: 'CVE-2023-9999', package: 'pkg:npm/lodash@4.17.15', reason: 'only used at build time' },
      { id: 'CVE-2021-44228', package: 'pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1', reason: 'not on the classpath' },
      { id: 'CVE-2024-0001', package: 'pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12', reason: 'no TLS server here' },
    ]);
    expect(result.warnings.slice(2)).toEqual([
      { path: '.vigilignore.yaml', reason: 'ignore entry for CVE-2024-0007 expired on 2026-06-14 and no longer applies (accepted for Q1)' },
      { path: '.vigilignore.yaml', reason: 'stale ignore entry: GHSA-dddd-eeee-ffff matched no finding' },
    ]);
  });

  it('applies an entry through the whole day it expires on', () => {
    const result = applyIgnoreEntries(sampleResult(), [{ id: 'CVE-2024-0007', reason: 'r', expires: '2026-06-15' }], NOW);
    expect(result.findings.map((f) => f.id)).not.toContain('CVE-2024-0007');
  });
});
