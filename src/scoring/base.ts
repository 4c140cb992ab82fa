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
}

/** The chosen base: the scored vector, where it came from, and the `scoreSource` label. */
export interface BaseCvss extends ScoredCvss {
  source: CvssSource;
  /** `source:version`, e.g. `nvd:3.1`, `vendor:3.1`, `cisa-adp:3.1`. */
  scoreSource: string;
}

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
  opts: { distroPackage: boolean },
): { base?: BaseCvss; rejected: RejectedCvss[] } {
  const rejected: RejectedCvss[] = [];
  let best: { scored: ScoredCvss & { source: CvssSource }; rank: number } | undefined;
  for (const candidate of candidates) {
    let scored: ScoredCvss;
    try {
      scored = scoreCvss(candidate.vector);
    } catch (err) {
      rejected.push({ vector: candidate.vector, source: candidate.source, reason: err instanceof Error ? err.message : String(err) });
      continue;
    }
    const withSource = { ...scored, source: candidate.source };
    const r = rank(withSource, opts.distroPackage);
    // Ties keep the first candidate, so the caller's order (record before enrichment) decides.
    if (!best || r < best.rank) best = { scored: withSource, rank: r };
  }
  if (!best) return { rejected };
  const { scored } = best;
  return { base: { ...scored, scoreSource: `${scored.source}:${scored.version}` }, rejected };
}
