/** Scoring: pure functions from CVSS vectors and context to Vigil's score and severity. */
export { scoreCvss, tryScoreCvss, withCvssMetric, cvssMetric, cvssVersionOf, InvalidCvssError } from './cvss.js';
export type { CvssVersion, ScoredCvss } from './cvss.js';
export { selectBaseCvss } from './base.js';
export type { BaseCvss, CvssCandidate, RejectedCvss } from './base.js';
export { scoreFinding, compareByRisk } from './context.js';
export type { ScoreInput, ScoreOutcome, RiskFacts, VendorRating } from './context.js';
export { severityForScore, severityFromVendorWord, severityAtLeast, severityRank, parseSeverity, SEVERITY_ORDER } from './severity.js';
