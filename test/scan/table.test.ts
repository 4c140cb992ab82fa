import { describe, expect, it } from 'vitest';
import { formatTable, summaryLine } from '../../src/matching/output/table.js';
import { sampleResult } from './sample-result.js';

describe('table output', () => {
  it('groups by severity, most urgent first, with marks and a summary', () => {
    expect(formatTable(sampleResult())).toBe(
      [
        '/srv/app (Debian GNU/Linux 12)',
        '',
        'CRITICAL (1)',
        '  PACKAGE                              INSTALLED         FIXED                       VULNERABILITY        SCORE  MARKS',
        '  org.apache.logging.log4j:log4j-core  2.14.1            2.15.0                      CVE-2021-44228       10.0   KEV EPSS 97% adjusted',
        '',
        'HIGH (1)',
        '  PACKAGE                              INSTALLED         FIXED                       VULNERABILITY        SCORE  MARKS',
        '  libssl3                              3.0.11-1~deb12u2  3.0.13-1~deb12u1 (partial)  CVE-2024-0001        7.5',
        '',
        'MEDIUM (1)',
        '  PACKAGE                              INSTALLED         FIXED                       VULNERABILITY        SCORE  MARKS',
        '  tar                                  1.34+dfsg-1.2     (no fix)                    CVE-2024-0007        5.5    EPSS 0.0%',
        '',
        'UNTRIAGED (1)',
        '  PACKAGE                              INSTALLED         FIXED                       VULNERABILITY        SCORE  MARKS',
        '  smallvec                             1.6.0             1.6.1                       GHSA-dddd-eeee-ffff  -',
        '',
        'Suppressed (1)',
        '  CVE-2023-9999  pkg:npm/lodash@4.17.15  only used at build time',
        '',
        'Warnings (2)',
        '  /srv/app/broken.lock: not valid JSON',
        '  1 findings in kernel packages dropped',
        '',
        '4 findings (1 critical, 1 high, 1 medium, 1 untriaged), 1 known exploited, 1 suppressed, 42 packages scanned, 2 warnings',
        '',
      ].join('\n'),
    );
  });

  it('says so when nothing was found', () => {
    const empty = { ...sampleResult(), findings: [], suppressed: [], warnings: [], packageCount: 1 };
    expect(formatTable(empty)).toBe('/srv/app (Debian GNU/Linux 12)\n\nNo vulnerabilities found.\n\n0 findings, 0 suppressed, 1 package scanned\n');
    expect(summaryLine(empty)).toBe('0 findings, 0 suppressed, 1 package scanned');
  });
});
