/**
 * Vigil's score: the base CVSS adjusted by what is known about where the target runs,
 * every change listed with its reason so that a user can retrace the number.
 */
import type { ScanContext, ScoreAdjustment, Severity } from '../matching/types.js';
import type { CvssSource, EpssScore, KevEntry } from '../vulndb/types.js';
import { selectBaseCvss, type CvssCandidate, type RejectedCvss } from './base.js';
import { cvssMetric, withCvssMetric } from './cvss.js';
import { SEVERITY_ORDER, severityForScore, severityFromVendorWord } from './severity.js';

/** A vendor's severity word and who gave it (`{ rating: 'medium', source: 'Ubuntu priority' }`). */
export interface VendorRating {
  rating: string;
  source: string;
}

/** Everything the score of one finding depends on. */
export interface ScoreInput {
  /** Every vector the data offers for the vulnerability (records and enrichment). */
  cvss: readonly CvssCandidate[];
  /** True for distribution packages: their vendor's vector is preferred. */
  distroPackage: boolean;
  /** How the distribution is named in reasons when its own vector is used (`Debian`, `Amazon Linux`). */
  vendorName?: string;
  /** A vendor's severity word (GHSA `MODERATE`, Ubuntu priority…), used when no vector scores. */
  vendorSeverity?: VendorRating;
  kev?: KevEntry;
  epss?: EpssScore;
  /**
   * Why the code the vulnerability is about does not run in this package (a policy such as
   * the kernel source package policy): the finding is kept, scored 0 (INFORMATIONAL), and
   * this reason is its last adjustment.
   */
  notRunning?: string;
}

/** The scored outcome, in the shape {@link Finding} carries it. */
export interface ScoreOutcome {
  score: number;
  severity: Severity;
  scoreSource: string;
  /** Why the base is what it is: which source, and why that one (see {@link BaseCvss.reason}). */
  scoreReason: string;
  /** The vendor's word the severity came from, when no CVSS vector scored. */
  vendorSeverity?: VendorRating;
  cvss?: { version: string; vector: string; baseScore: number; source: CvssSource };
  adjustments: ScoreAdjustment[];
  epss?: { score: number; percentile: number };
  kev?: { dateAdded: string; dueDate?: string; knownRansomwareCampaignUse?: string };
  /** Vectors that did not score, for the result's warnings. */
  rejected: RejectedCvss[];
}

/** Scores one vulnerability in context. Pure: same input, same output. */
export function scoreFinding(input: ScoreInput, context: ScanContext): ScoreOutcome {
  const scored = scoreInContext(input, context);
  if (input.notRunning === undefined) return scored;
  return {
    ...scored,
    score: 0,
    severity: 'INFORMATIONAL',
    adjustments: [...scored.adjustments, { metric: 'score', from: scored.score, to: 0, reason: input.notRunning }],
  };
}

function scoreInContext(input: ScoreInput, context: ScanContext): ScoreOutcome {
  const { base, rejected } = selectBaseCvss(input.cvss, { distroPackage: input.distroPackage, ...(input.vendorName ? { vendorName: input.vendorName } : {}) });
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
    const word = input.vendorSeverity ? severityFromVendorWord(input.vendorSeverity.rating) : undefined;
    const noVector = rejected.length > 0 ? `no CVSS vector that scores: ${rejected.length} rejected` : 'no CVSS published';
    return {
      score: 0,
      severity: word ?? 'UNTRIAGED',
      scoreSource: word ? 'vendor-severity' : 'none',
      scoreReason:
        word && input.vendorSeverity
          ? `severity ${word} from ${input.vendorSeverity.source} "${input.vendorSeverity.rating}" (${noVector})`
          : `untriaged: ${noVector} and no vendor severity in any source`,
      ...(word && input.vendorSeverity ? { vendorSeverity: input.vendorSeverity } : {}),
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
        reason: `not reachable from the internet${context.reachabilityReason ? ` (${context.reachabilityReason})` : ''}, but listed in CISA KEV since ${input.kev.dateAdded} (known exploited): not adjusted downwards`,
      });
    } else {
      const adjacent = withCvssMetric(base.vector, 'AV', 'A');
      adjustments.push({
        metric: 'AV',
        from: 'N',
        to: 'A',
        reason: context.reachabilityReason
          ? `target is not reachable from the internet (${context.reachabilityReason}): a network attack vector needs an adjacent attacker`
          : 'target is not reachable from the internet: a network attack vector needs an adjacent attacker',
      });
      adjustments.push({ metric: 'score', from: score, to: adjacent.baseScore, reason: `recomputed as ${adjacent.vector}` });
      score = adjacent.baseScore;
    }
  }

  if (context.internetReachable === true && context.reachabilityReason && cvssMetric(base.vector, 'AV') === 'N') {
    // Computed reachability confirms the vector's network attacker: said, not scored.
    adjustments.push({ metric: 'AV', from: 'N', to: 'N', reason: `network attack vector kept: target is ${context.reachabilityReason}` });
  }

  return {
    score,
    severity: severityForScore(score),
    scoreSource: base.scoreSource,
    scoreReason: base.reason,
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
