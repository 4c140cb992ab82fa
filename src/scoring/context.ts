/**
 * Vigil's score: the base CVSS adjusted by what is known about where the target runs,
 * every change listed with its reason so that a user can retrace the number.
 */
import type { ScanContext, ScoreAdjustment, Severity } from '../matching/types.js';
import type { CvssSource, EpssScore, KevEntry } from '../vulndb/types.js';
import { selectBaseCvss, type CvssCandidate, type RejectedCvss } from './base.js';
import { cvssMetric, withCvssMetric } from './cvss.js';
import { SEVERITY_ORDER, severityForScore, severityFromVendorWord } from './severity.js';

/** Everything the score of one finding depends on. */
export interface ScoreInput {
  /** Every vector the data offers for the vulnerability (records and enrichment). */
  cvss: readonly CvssCandidate[];
  /** True for distribution packages: their vendor's vector is preferred. */
  distroPackage: boolean;
  /** A vendor's severity word (GHSA `MODERATE`, Ubuntu priority…), used when no vector scores. */
  vendorSeverity?: string;
  kev?: KevEntry;
  epss?: EpssScore;
}

/** The scored outcome, in the shape {@link Finding} carries it. */
export interface ScoreOutcome {
  score: number;
  severity: Severity;
  scoreSource: string;
  cvss?: { version: string; vector: string; baseScore: number; source: CvssSource };
  adjustments: ScoreAdjustment[];
  epss?: { score: number; percentile: number };
  kev?: { dateAdded: string; dueDate?: string; knownRansomwareCampaignUse?: string };
  /** Vectors that did not score, for the result's warnings. */
  rejected: RejectedCvss[];
}

/** Scores one vulnerability in context. Pure: same input, same output. */
export function scoreFinding(input: ScoreInput, context: ScanContext): ScoreOutcome {
  const { base, rejected } = selectBaseCvss(input.cvss, { distroPackage: input.distroPackage });
  const adjustments: ScoreAdjustment[] = [];
  const epss = input.epss ? { score: input.epss.score, percentile: input.epss.percentile } : undefined;
  const kev = input.kev
    ? {
        dateAdded: input.kev.dateAdded,
        ...(input.kev.dueDate ? { dueDate: input.kev.dueDate } : {}),
        ...(input.kev.knownRansomwareCampaignUse ? { knownRansomwareCampaignUse: input.kev.knownRansomwareCampaignUse } : {}),
      }
    : undefined;

  if (!base) {
    const word = input.vendorSeverity ? severityFromVendorWord(input.vendorSeverity) : undefined;
    return {
      score: 0,
      severity: word ?? 'UNTRIAGED',
      scoreSource: word ? 'vendor-severity' : 'none',
      adjustments,
      ...(epss ? { epss } : {}),
      ...(kev ? { kev } : {}),
      rejected,
    };
  }

  let score = base.baseScore;
  if (context.internetReachable === false && cvssMetric(base.vector, 'AV') === 'N') {
    if (input.kev) {
      // Exploitation in the wild is observed fact; a network model can be wrong, so a KEV
      // entry is never scored down, only explained.
      adjustments.push({
        metric: 'AV',
        from: 'N',
        to: 'N',
        reason: `not reachable from the internet, but listed in CISA KEV since ${input.kev.dateAdded} (known exploited): not adjusted downwards`,
      });
    } else {
      const adjacent = withCvssMetric(base.vector, 'AV', 'A');
      adjustments.push({
        metric: 'AV',
        from: 'N',
        to: 'A',
        reason: 'target is not reachable from the internet: a network attack vector needs an adjacent attacker',
      });
      adjustments.push({ metric: 'score', from: score, to: adjacent.baseScore, reason: `recomputed as ${adjacent.vector}` });
      score = adjacent.baseScore;
    }
  }

  return {
    score,
    severity: severityForScore(score),
    scoreSource: base.scoreSource,
    cvss: { version: base.version, vector: base.vector, baseScore: base.baseScore, source: base.source },
    adjustments,
    ...(epss ? { epss } : {}),
    ...(kev ? { kev } : {}),
    rejected,
  };
}

/** What {@link compareByRisk} looks at. */
export interface RiskFacts {
  severity: Severity;
  score: number;
  kev?: unknown;
  epss?: { score: number };
}

/** Orders findings for people: most severe first, then highest score, KEV, EPSS. */
export function compareByRisk(a: RiskFacts, b: RiskFacts): number {
  return (
    SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity) ||
    b.score - a.score ||
    Number(Boolean(b.kev)) - Number(Boolean(a.kev)) ||
    (b.epss?.score ?? 0) - (a.epss?.score ?? 0)
  );
}
