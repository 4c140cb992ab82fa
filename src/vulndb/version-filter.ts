/**
 * Whether a version lies inside OSV `affected` entries, for `vigil db search --version`,
 * through the one OSV range evaluation (`src/versioning/osv-range.ts`): versions compare only
 * with the ecosystem's scheme, and an unreadable version or bound gives `unknown`.
 */
import { evaluateAffected } from '../versioning/osv-range.js';
import type { OsvAffected } from './types.js';

/** The verdict for one version against a set of affected entries. */
export type AffectsVerdict = 'yes' | 'no' | 'unknown';

/** Evaluates `version` against every entry; `yes` wins over `unknown`, which wins over `no`. */
export function affectsVersion(ecosystem: string, version: string, affected: readonly OsvAffected[]): AffectsVerdict {
  let unknown = false;
  for (const a of affected) {
    const verdict = evaluateAffected(version, a, { ecosystem });
    if (verdict.affected === true) return 'yes';
    if (verdict.affected === 'unknown') unknown = true;
  }
  return unknown ? 'unknown' : 'no';
}
