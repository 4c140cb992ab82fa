import { describe, expect, it } from 'vitest';
import { toSarif } from '../../src/matching/output/sarif.js';
import type { ScanResult } from '../../src/matching/types.js';
import { sampleResult } from './sample-result.js';
import { sarifErrors } from './sarif-validate.js';

/** The parts of a SARIF run these tests read. */
interface Run {
  tool: { driver: { rules: { id: string; properties: Record<string, unknown> }[] } };
  results: { ruleId: string; ruleIndex: number; level: string; message: { text: string }; locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[];
  invocations: { toolExecutionNotifications: unknown[] }[];
}

function runOf(log: Record<string, unknown>): Run {
  return (log.runs as Run[])[0];
}

describe('SARIF output', () => {
  const log = toSarif(sampleResult(), { version: '0.1.0' });

  it('is valid SARIF 2.1.0', () => {
    expect(sarifErrors(log)).toEqual([]);
  });

  it('the schema check can fail: a result without a message is rejected', () => {
    const broken = structuredClone(log) as { runs: { results: Record<string, unknown>[] }[] };
    delete broken.runs[0].results[0].message;
    expect(sarifErrors(broken).length).toBeGreaterThan(0);
  });

  it('has one rule per vulnerability and one result per package location', () => {
    const run = runOf(log);
    expect(run.tool.driver.rules.map((r) => r.id)).toEqual(['CVE-2021-44228', 'CVE-2024-0001', 'CVE-2024-0007', 'GHSA-dddd-eeee-ffff']);
    expect(run.results.map((r) => [r.ruleId, r.ruleIndex, r.level, r.locations.map((l) => l.physicalLocation.artifactLocation.uri)])).toEqual([
      ['CVE-2021-44228', 0, 'error', ['srv/app/lib/log4j-core-2.14.1.jar']],
      ['CVE-2024-0001', 1, 'error', ['var/lib/dpkg/status']],
      ['CVE-2024-0007', 2, 'warning', ['var/lib/dpkg/status']],
      // No location recorded: the target itself stands in.
      ['GHSA-dddd-eeee-ffff', 3, 'note', ['srv/app']],
    ]);
    expect(run.tool.driver.rules[0].properties['security-severity']).toBe('10.0');
    expect(run.tool.driver.rules[3].properties['security-severity']).toBeUndefined();
    expect(run.results[0].message.text).toBe('org.apache.logging.log4j:log4j-core 2.14.1 is affected by CVE-2021-44228 (CRITICAL). Upgrade to 2.15.0.');
    expect(run.results[2].message.text).toContain('No fix is available.');
    expect(run.invocations[0].toolExecutionNotifications).toHaveLength(2);
  });

  it('shares a rule between packages with the same vulnerability', () => {
    const result: ScanResult = sampleResult();
    const second = structuredClone(result.findings[1]);
    second.package = { ...second.package, name: 'openssl', purl: 'pkg:deb/debian/openssl@3.0.11-1~deb12u2' };
    result.findings.splice(2, 0, second);
    const run = runOf(toSarif(result, { version: '0.1.0' }));
    expect(run.tool.driver.rules).toHaveLength(4);
    expect(run.results.filter((r) => r.ruleId === 'CVE-2024-0001')).toHaveLength(2);
    expect(sarifErrors(toSarif(result, { version: '0.1.0' }))).toEqual([]);
  });

  it('is valid with no findings at all', () => {
    const empty: ScanResult = { ...sampleResult(), findings: [], warnings: [] };
    expect(sarifErrors(toSarif(empty, { version: '0.1.0' }))).toEqual([]);
  });
});
