import { describe, expect, it } from 'vitest';
import { parseContext } from '../../src/cli/scan.js';
import { CliError } from '../../src/cli/errors.js';
import { failsGate, filterFindings } from '../../src/matching/filters.js';
import { sampleResult } from './sample-result.js';

describe('--context', () => {
  it('reads internet-reachable, repeated or comma-separated', () => {
    expect(parseContext([])).toEqual({});
    expect(parseContext(['internet-reachable=false'])).toEqual({ internetReachable: false });
    expect(parseContext(['internet-reachable=false', 'Internet-Reachable=TRUE'])).toEqual({ internetReachable: true });
    expect(parseContext(['internet-reachable=true,internet-reachable=false'])).toEqual({ internetReachable: false });
  });
  it.each([['reachable=false'], ['internet-reachable'], ['internet-reachable=no']])('rejects %j', (value) => {
    expect(() => parseContext([value])).toThrow(CliError);
  });
});

describe('filters and the gate', () => {
  it('keeps chosen severities, drops unfixed but keeps partial fixes', () => {
    const result = sampleResult();
    expect(filterFindings(result, { severities: new Set(['CRITICAL', 'MEDIUM'] as const) }).findings.map((f) => f.id)).toEqual(['CVE-2021-44228', 'CVE-2024-0007']);
    expect(filterFindings(result, { ignoreUnfixed: true }).findings.map((f) => f.fixAvailable)).toEqual(['YES', 'PARTIAL', 'YES']);
  });
  it('fails at or above the threshold only', () => {
    const result = sampleResult();
    expect(failsGate(result, 'CRITICAL')).toBe(true);
    const noCritical = { ...result, findings: result.findings.filter((f) => f.severity !== 'CRITICAL') };
    expect(failsGate(noCritical, 'CRITICAL')).toBe(false);
    expect(failsGate(noCritical, 'HIGH')).toBe(true);
    expect(failsGate({ ...result, findings: [] }, 'UNTRIAGED')).toBe(false);
  });
});
