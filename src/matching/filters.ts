/**
 * Filters a user applies to what is reported (`--severity`, `--ignore-unfixed`) and the
 * `--fail-on` gate. They run after ignore rules, so a stale-entry check sees every finding.
 */
import { severityAtLeast } from '../scoring/severity.js';
import type { Finding, ScanResult, Severity } from './types.js';

/** What to keep. */
export interface FindingFilter {
  /** Keep only these severities (all when undefined). */
  severities?: ReadonlySet<Severity>;
  /** Drop findings with no fix at all (`fixAvailable: NO`); PARTIAL stays: part of it can be fixed. */
  ignoreUnfixed?: boolean;
}

/** The result with only the findings the filter keeps. */
export function filterFindings(result: ScanResult, filter: FindingFilter): ScanResult {
  const keep = (f: Finding): boolean => {
    if (filter.severities && !filter.severities.has(f.severity)) return false;
    if (filter.ignoreUnfixed && f.fixAvailable === 'NO') return false;
    return true;
  };
  return { ...result, findings: result.findings.filter(keep) };
}

/** True when some finding is at or above the threshold (the `--fail-on` gate). */
export function failsGate(result: ScanResult, threshold: Severity): boolean {
  return result.findings.some((f) => severityAtLeast(f.severity, threshold));
}
