import type { Severity } from '../matching/types.js';

/** Severities from most to least urgent; UNTRIAGED sorts last because nothing scored it. */
export const SEVERITY_ORDER: readonly Severity[] = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNTRIAGED'];

/** Every severity name, for validating user input (`--severity`, `--fail-on`). */
export const SEVERITIES: ReadonlySet<string> = new Set(SEVERITY_ORDER);

/**
 * The band of a 0–10 score: 0 Informational, 0.1–3.9 Low, 4.0–6.9 Medium, 7.0–8.9 High,
 * 9.0–10.0 Critical (the CVSS v3/v4 qualitative scale, applied to every version).
 */
export function severityForScore(score: number): Severity {
  if (score >= 9) return 'CRITICAL';
  if (score >= 7) return 'HIGH';
  if (score >= 4) return 'MEDIUM';
  if (score > 0) return 'LOW';
  return 'INFORMATIONAL';
}

// Vendors' words for severity, mapped onto the bands: GHSA says MODERATE, Red Hat says
// Important, Ubuntu says negligible, RubySec says criticality "medium"… Unknown words map to nothing.
const VENDOR_WORDS: Record<string, Severity> = {
  critical: 'CRITICAL',
  urgent: 'CRITICAL',
  high: 'HIGH',
  important: 'HIGH',
  moderate: 'MEDIUM',
  medium: 'MEDIUM',
  low: 'LOW',
  negligible: 'LOW',
  // Debian's tracker: "unimportant" is a real flaw of no security consequence in Debian's build.
  unimportant: 'LOW',
  minor: 'LOW',
  none: 'INFORMATIONAL',
  informational: 'INFORMATIONAL',
  info: 'INFORMATIONAL',
};

/** The severity a vendor's word means, or undefined for a word Vigil does not know. */
export function severityFromVendorWord(word: string): Severity | undefined {
  return VENDOR_WORDS[word.trim().toLowerCase()];
}

/** Rank for sorting and thresholds: higher is more urgent; UNTRIAGED ranks lowest. */
export function severityRank(severity: Severity): number {
  return SEVERITY_ORDER.length - 1 - SEVERITY_ORDER.indexOf(severity);
}

/** True when `severity` is `threshold` or more urgent (UNTRIAGED only meets UNTRIAGED). */
export function severityAtLeast(severity: Severity, threshold: Severity): boolean {
  if (threshold === 'UNTRIAGED') return true;
  if (severity === 'UNTRIAGED') return false;
  return severityRank(severity) >= severityRank(threshold);
}

/** Parses a severity name as users type it (`high`, `Critical`); undefined when unknown. */
export function parseSeverity(input: string): Severity | undefined {
  const upper = input.trim().toUpperCase();
  if (upper === 'INFO') return 'INFORMATIONAL';
  return SEVERITIES.has(upper) ? (upper as Severity) : undefined;
}
