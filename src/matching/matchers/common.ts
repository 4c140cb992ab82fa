/**
 * The one routine every matcher shares: look the package up, keep the advisories whose
 * `affected` entries really name it (right ecosystem and release, right name), and let the
 * OSV range evaluator decide. Matchers only choose what to look up.
 */
import { canonicalEcosystem, normalizePackageName, tryParseEcosystem } from '../../ecosystems.js';
import { schemeFor } from '../../versioning/index.js';
import type { AdvisoryIndex, IndexedAdvisory, OsvAffected } from '../../vulndb/types.js';
import { evaluateAffected } from '../../versioning/osv-range.js';
import type { LookupKey, MatchWarn, PackageMatches } from './types.js';

/** Whether an `affected` entry names the looked-up package, in this ecosystem and release. */
function entryNamesPackage(entry: OsvAffected, key: LookupKey, normalisedName: string): boolean {
  const pkg = entry.package;
  if (!pkg) return false;
  const parsed = tryParseEcosystem(pkg.ecosystem);
  if (!parsed) return false;
  if (key.exactRelease) {
    if (canonicalEcosystem(pkg.ecosystem) !== key.ecosystem) return false;
  } else if (parsed.info.name !== key.ecosystem) {
    return false;
  }
  return normalizePackageName(pkg.ecosystem, pkg.name) === normalisedName;
}

/**
 * The advisories that name one (ecosystem, name), withdrawn ones and foreign entries removed.
 * `entries` are what range evaluation reads (the index's `match` projection when it has one),
 * each with its position in `advisory.affected`; the full record and entries are read only
 * for advisories that match (an index may load them lazily).
 */
export interface Candidates {
  normalisedName: string;
  advisories: { id: string; advisory: IndexedAdvisory; entries: { entry: OsvAffected; index: number }[] }[];
}

/**
 * Looks a name up once: every version of the package is then evaluated against the same
 * candidates. With `names` (the index's set of names that have advisories), a name outside it
 * costs no lookup at all.
 */
export function lookupCandidates(index: AdvisoryIndex, key: LookupKey, names?: ReadonlySet<string>): Candidates {
  const normalisedName = normalizePackageName(key.ecosystem, key.name);
  if (names && !names.has(normalisedName)) return { normalisedName, advisories: [] };
  const advisories: Candidates['advisories'] = [];
  for (const advisory of index.advisoriesFor(key.ecosystem, normalisedName)) {
    // Withdrawn advisories were published in error; they never produce findings.
    if (advisory.withdrawn ?? advisory.record.withdrawn) continue;
    const entries: Candidates['advisories'][number]['entries'] = [];
    if (advisory.match) {
      // The projection names the looked-up package by contract (and may omit `package`).
      advisory.match.forEach((entry, index) => entries.push({ entry, index }));
    } else {
      advisory.affected.forEach((entry, index) => {
        if (entryNamesPackage(entry, key, normalisedName)) entries.push({ entry, index });
      });
    }
    if (entries.length > 0) advisories.push({ id: advisory.id ?? advisory.record.id, advisory, entries });
  }
  return { normalisedName, advisories };
}

/** Evaluates one version against the candidates of its name. */
export function evaluateCandidates(candidates: Candidates, key: LookupKey, warn: MatchWarn): PackageMatches {
  const result: PackageMatches = { ecosystem: key.ecosystem, lookupName: key.name, version: key.version, matches: [] };
  if (candidates.advisories.length === 0) return result;

  if (key.version.trim() === '') {
    // Unpinned requirements and the like: a package with no version cannot be placed in a range.
    warn(`${key.label} in ${key.ecosystem} has no version; ${candidates.advisories.length} advisories for it were not evaluated`);
    return result;
  }
  const scheme = schemeFor(key.ecosystem);
  let listedOnly = false;
  if (!scheme.isValid(key.version)) {
    // An unparseable version cannot be placed in any range; guessing with another scheme
    // would be worse than saying so. OSV's versions lists still name it by string equality.
    let reason = 'not valid';
    try {
      scheme.parse(key.version);
    } catch (err) {
      reason = err instanceof Error ? err.message : String(err);
    }
    warn(`${key.label} ${key.version} in ${key.ecosystem}: ${reason}; ${candidates.advisories.length} advisories for it were checked only against the versions they list`);
    listedOnly = true;
  }

  for (const { id, advisory, entries } of candidates.advisories) {
    const affected: number[] = [];
    for (const { entry, index } of entries) {
      if (listedOnly && !entry.versions?.includes(key.version)) continue;
      const verdict = evaluateAffected(key.version, entry, { ecosystem: key.ecosystem });
      if (verdict.affected === 'unknown') {
        warn(`${key.label} ${key.version}: advisory ${id} could not be evaluated: ${verdict.reason ?? 'unknown reason'}`);
        continue;
      }
      if (!verdict.affected) {
        // An entry that names the package only by commits (GIT ranges, no versions list) says
        // nothing about version numbers: "not affected" would be a guess, so say so.
        if (verdict.skippedRanges.length > 0 && !(entry.ranges ?? []).some((r) => r.type === 'ECOSYSTEM' || r.type === 'SEMVER') && !entry.versions?.length) {
          warn(`${key.label} ${key.version}: advisory ${id} was not evaluated: ${verdict.reason ?? 'it names no versions'}`);
        }
        continue;
      }
      affected.push(index);
    }
    // Only now is the full record needed (grouping by aliases, scoring, output).
    if (affected.length === 0) continue;
    const full = advisory.affected;
    result.matches.push({ record: advisory.record, affected: affected.map((i) => full[i]), entries: entries.map((e) => e.entry) });
  }
  return result;
}

/** Looks the package up and evaluates every advisory that names it. */
export function matchByKey(index: AdvisoryIndex, key: LookupKey, warn: MatchWarn): PackageMatches {
  return evaluateCandidates(lookupCandidates(index, key), key, warn);
}
