/**
 * Which CVSS vector a finding's score starts from, when the data offers several.
 */
import type { CvssSource, CvssVector } from '../vulndb/types.js';
import { scoreCvss, type ScoredCvss } from './cvss.js';

/** A vector offered for a vulnerability, before it is checked. */
export interface CvssCandidate {
  version?: CvssVector['version'];
  vector: string;
  source: CvssSource;
  /**
   * Set when the vector comes from an advisory of another package for the same vulnerability
   * (the upstream library's GHSA or RUSTSEC record, for a distribution's vendored copy): its id.
   */
  via?: string;
}

/** The chosen base: the scored vector, where it came from, and the `scoreSource` label. */
export interface BaseCvss extends ScoredCvss {
  source: CvssSource;
  /** `source:version`, e.g. `nvd:3.1`, `vendor:3.1`, `cisa-adp:3.1`. */
  scoreSource: string;
  /**
   * Why this vector was used, for people: `base 9.8 from NVD CVSS v3.1 (no vendor vector)`.
   */
  reason: string;
}

/** How each source is named in a score's reason; `vendor` is named by the caller (`Debian`, `Ubuntu`…). */
const SOURCE_LABELS: Record<CvssSource, string> = {
  nvd: 'NVD',
  'cisa-adp': 'CISA-ADP (vulnrichment)',
  cna: 'the CNA',
  ghsa: 'GitHub (GHSA)',
  osv: 'the OSV record',
  vendor: 'the vendor',
};

/** A vector that was offered but could not be scored, for the result's warnings. */
export interface RejectedCvss {
  vector: string;
  source: CvssSource;
  reason: string;
}

// Secondary sources in order of trust when neither the distribution nor NVD/CISA-ADP has a v3.1 vector.
const SOURCE_ORDER: readonly CvssSource[] = ['nvd', 'cisa-adp', 'cna', 'ghsa', 'osv', 'vendor'];

/**
 * The preference, best first:
 * 1. for distribution packages, the distribution's own vector (it scores the code the distro
 *    ships, with its patches and build flags), newest CVSS version first;
 * 2. NVD, then CISA-ADP, v3.1;
 * 3. any other v3.x (NVD v3.0, the CNA's, GHSA's, the OSV record's), v3.1 before v3.0;
 * 4. v4.0 from any source;
 * 5. v2 from any source.
 * v3.1 is preferred to v4.0 because most of the data scores in v3.1 and mixing versions makes
 * scores of similar flaws disagree; v4.0 is used only when nothing scores in v3.
 */
function rank(c: ScoredCvss & { source: CvssSource }, distro: boolean): number {
  const sourceRank = SOURCE_ORDER.indexOf(c.source);
  const versionRank = { '4.0': 0, '3.1': 1, '3.0': 2, '2.0': 3 }[c.version];
  if (distro && c.source === 'vendor') return versionRank;
  if (c.version === '3.1' && (c.source === 'nvd' || c.source === 'cisa-adp')) return 10 + sourceRank;
  if (c.version === '3.1' || c.version === '3.0') return 20 + versionRank * 10 + sourceRank;
  if (c.version === '4.0') return 50 + sourceRank;
  return 60 + sourceRank;
}

/**
 * Picks the base vector among the candidates. Vectors that do not score are returned as
 * rejected (they become warnings), never silently used or dropped.
 */
export function selectBaseCvss(
  candidates: readonly CvssCandidate[],
  opts: { distroPackage: boolean; vendorName?: string },
): { base?: BaseCvss; rejected: RejectedCvss[] } {
  const rejected: RejectedCvss[] = [];
  const offered: Offered[] = [];
  let best: { scored: Offered; rank: number } | undefined;
  for (const candidate of candidates) {
    let scored: ScoredCvss;
    try {
      scored = scoreCvss(candidate.vector);
    } catch (err) {
      rejected.push({ vector: candidate.vector, source: candidate.source, reason: err instanceof Error ? err.message : String(err) });
      continue;
    }
    const withSource: Offered = { ...scored, source: candidate.source, ...(candidate.via ? { via: candidate.via } : {}) };
    offered.push(withSource);
    const r = rank(withSource, opts.distroPackage);
    // Ties keep the first candidate, so the caller's order (record before enrichment) decides.
    if (!best || r < best.rank) best = { scored: withSource, rank: r };
  }
  if (!best) return { rejected };
  const { via: _via, ...scored } = best.scored;
  return { base: { ...scored, scoreSource: `${scored.source}:${scored.version}`, reason: explainBase(best.scored, offered, opts) }, rejected };
}

/** A candidate that scored. */
type Offered = ScoredCvss & { source: CvssSource; via?: string };

/** The reason line of a chosen base: which source and version, and what it was preferred to or stood in for. */
function explainBase(chosen: Offered, offered: readonly Offered[], opts: { distroPackage: boolean; vendorName?: string }): string {
  const label = chosen.via ?? (chosen.source === 'vendor' ? (opts.vendorName ?? SOURCE_LABELS.vendor) : SOURCE_LABELS[chosen.source]);
  const head = `base ${chosen.baseScore.toFixed(1)} from ${label} CVSS v${chosen.version === '2.0' ? '2' : chosen.version}`;
  if (opts.distroPackage && chosen.source === 'vendor') return `${head} (the distribution's own vector comes first)`;
  const why: string[] = [];
  if (opts.distroPackage) why.push('no vendor vector');
  const others = offered.filter((o) => o !== chosen);
  if (chosen.version === '4.0') why.push('no CVSS v3 vector');
  else if (chosen.version === '2.0') why.push('no CVSS v3 or v4.0 vector');
  else if (!(chosen.version === '3.1' && (chosen.source === 'nvd' || chosen.source === 'cisa-adp'))) why.push('no NVD or CISA-ADP v3.1 vector');
  else if (others.some((o) => o.version === '4.0')) why.push('v3.1 preferred to v4.0');
  const outranked = [...new Set(others.filter((o) => o.source !== chosen.source && o.version === chosen.version).map((o) => (o.source === 'vendor' ? (opts.vendorName ?? SOURCE_LABELS.vendor) : SOURCE_LABELS[o.source])))];
  if (outranked.length > 0) why.push(`preferred to ${outranked.join(', ')}`);
  if (chosen.via) why.push(`the advisory of another package for this vulnerability; nothing closer scores it`);
  return why.length > 0 ? `${head} (${why.join('; ')})` : head;
}
