/**
 * The ONE place that decides whether a version is inside an OSV `affected` entry, following the
 * OSV schema's evaluation rules (https://ossf.github.io/osv-schema/#evaluation):
 *
 * - the version is affected when it is in the entry's `versions` list, or inside any range;
 * - `ECOSYSTEM` ranges order versions with the ecosystem's scheme, `SEMVER` ranges with SemVer
 *   2.0 precedence (Go's scheme for Go, so a missing `v` and pseudo-versions work); `GIT`
 *   ranges name commits, not versions, and are ignored (the `versions` list enumerates them);
 * - a range's events are sorted by version first (advisories do not always list them in order),
 *   then walked: `introduced` (`"0"` = before everything) opens, `fixed` closes before its
 *   version, `last_affected` closes after its version, `limit` (`"*"` = never) ends it;
 * - a version or bound the scheme cannot parse gives `unknown` with the reason, never a guess.
 */
import { parseEcosystem, tryParseEcosystem } from '../ecosystems.js';
import type { OsvAffected, OsvEvent, OsvRange } from '../vulndb/types.js';
import { schemes } from './index.js';
import { InvalidVersionError, type VersionScheme } from './types.js';

/** How the installed version stands against the fixes the entry names. */
export type FixStatus =
  /** Not affected, so nothing to fix. */
  | 'not-affected'
  /** {@link OsvVerdict.fixedVersion} leaves every matching range (and the versions list). */
  | 'fixed'
  /** Some matching range has a fix above the version, but no single version escapes all of them. */
  | 'partially-fixed'
  /** No matching range names a fix above the version (open range, or only `last_affected`). */
  | 'not-fixed'
  /** The verdict itself is unknown. */
  | 'unknown';

/** A range that took no part in the verdict, and why. */
export interface SkippedRange {
  index: number;
  reason: string;
}

/** The answer for one version against one `affected` entry. */
export interface OsvVerdict {
  /** `'unknown'` when the version, or a bound that decides it, cannot be parsed (see `reason`). */
  affected: boolean | 'unknown';
  /** Indices (into `affected.ranges`) of the ranges that contain the version. */
  matchedRanges: number[];
  /** True when the version is listed in `affected.versions`. */
  inVersionsList: boolean;
  /** The lowest `fixed` version above the installed one that no range or listed version affects. */
  fixedVersion?: string;
  fixStatus: FixStatus;
  /** Why the verdict is unknown, or what was noteworthy (ignored GIT ranges, …). */
  reason?: string;
  /** Ranges ignored (GIT, unknown types) or not evaluable (bad bounds), with their reasons. */
  skippedRanges: SkippedRange[];
}

/** Options of {@link evaluateAffected}. */
export interface EvaluateOptions {
  /** The ecosystem to order `ECOSYSTEM` ranges by; defaults to `affected.package.ecosystem`. */
  ecosystem?: string;
}

type Kind = 'introduced' | 'fixed' | 'last_affected' | 'limit';

interface Bound {
  kind: Kind;
  value: string;
  /** -1: before everything (`introduced: "0"`), 1: after everything (`limit: "*"`), 0: a version. */
  special: -1 | 0 | 1;
}

// At equal versions: open first, then close (so `introduced: X, last_affected: X` affects X).
const KIND_ORDER: Record<Kind, number> = { introduced: 0, last_affected: 1, fixed: 2, limit: 3 };

function eventBound(e: OsvEvent): Bound | undefined {
  for (const kind of ['introduced', 'fixed', 'last_affected', 'limit'] as const) {
    const value = e[kind];
    if (typeof value !== 'string') continue;
    const special = kind === 'introduced' && value === '0' ? -1 : kind === 'limit' && value === '*' ? 1 : 0;
    return { kind, value, special };
  }
  return undefined;
}

/** Orders two bounds with the scheme; throws InvalidVersionError for a bound it cannot parse. */
function compareBounds(scheme: VersionScheme, a: Bound, b: Bound): number {
  if (a.special !== 0 || b.special !== 0) {
    if (a.special !== b.special) return a.special < b.special ? -1 : 1;
  } else {
    const c = scheme.compare(a.value, b.value);
    if (c !== 0) return c;
  }
  return KIND_ORDER[a.kind] - KIND_ORDER[b.kind];
}

/** Compares the version with a bound (special bounds are below/above everything). */
function versionVsBound(scheme: VersionScheme, version: string, b: Bound): number {
  if (b.special !== 0) return -b.special;
  return scheme.compare(version, b.value);
}

interface RangeResult {
  affected: boolean;
  /** `fixed` bounds above the version, for picking the fixed version. */
  fixesAbove: string[];
}

/** A range's bounds in walking order under one scheme, or the error its first unreadable bound gave. */
function sortBounds(scheme: VersionScheme, events: readonly OsvEvent[]): Bound[] {
  const bounds = events.map(eventBound).filter((b): b is Bound => b !== undefined);
  // A range without `introduced` is malformed; reading it as introduced at "0" errs towards
  // reporting, which is the safe side for a scanner.
  if (!bounds.some((b) => b.kind === 'introduced')) bounds.unshift({ kind: 'introduced', value: '0', special: -1 });
  for (const b of bounds) if (b.special === 0) scheme.parse(b.value);
  bounds.sort((a, b) => compareBounds(scheme, a, b));
  return bounds;
}

// Matching evaluates the same advisory ranges against many versions: each events array's
// sorted bounds are kept per scheme for as long as the array lives (callers never mutate
// advisory data once evaluated). A cache only: the walk below is the same either way.
const sortedBoundsCache = new WeakMap<readonly OsvEvent[], Map<string, readonly Bound[] | InvalidVersionError>>();

function sortedBounds(scheme: VersionScheme, events: readonly OsvEvent[]): readonly Bound[] {
  let perScheme = sortedBoundsCache.get(events);
  if (!perScheme) {
    perScheme = new Map();
    sortedBoundsCache.set(events, perScheme);
  }
  let cached = perScheme.get(scheme.id);
  if (cached === undefined) {
    try {
      cached = sortBounds(scheme, events);
    } catch (err) {
      if (!(err instanceof InvalidVersionError)) throw err;
      cached = err;
    }
    perScheme.set(scheme.id, cached);
  }
  if (cached instanceof InvalidVersionError) throw cached;
  return cached;
}

/** The OSV walk over one range's sorted events. Throws InvalidVersionError on unparseable input. */
function evaluateRange(scheme: VersionScheme, version: string, events: readonly OsvEvent[]): RangeResult {
  const bounds = sortedBounds(scheme, events);
  let affected = false;
  for (const b of bounds) {
    const c = versionVsBound(scheme, version, b);
    if (b.kind === 'introduced') {
      if (c >= 0) affected = true;
    } else if (b.kind === 'fixed') {
      if (c >= 0) affected = false;
    } else if (b.kind === 'last_affected') {
      if (c > 0) affected = false;
    } else if (c >= 0) {
      // limit: nothing at or above it is affected by this range.
      affected = false;
      break;
    }
  }
  const fixesAbove = bounds.filter((b) => b.kind === 'fixed' && versionVsBound(scheme, version, b) < 0).map((b) => b.value);
  return { affected, fixesAbove };
}

/** The scheme a range is ordered by, or why it cannot be evaluated. */
function schemeForRange(range: OsvRange, ecosystemScheme: VersionScheme | undefined): VersionScheme | string {
  switch (range.type) {
    case 'ECOSYSTEM':
      return ecosystemScheme ?? 'no known ecosystem to order an ECOSYSTEM range by';
    case 'SEMVER':
      return ecosystemScheme?.id === 'go' ? schemes.go : schemes.semver;
    case 'GIT':
      return 'GIT ranges name commits, not versions; the versions list enumerates what they cover';
    default:
      return `unsupported range type "${String(range.type)}"`;
  }
}

function listed(scheme: VersionScheme | undefined, version: string, versions: readonly string[] | undefined): boolean {
  if (!versions) return false;
  for (const v of versions) {
    if (v === version) return true;
    if (scheme?.isValid(v) && scheme.isValid(version) && scheme.compare(v, version) === 0) return true;
  }
  return false;
}

interface Core {
  affected: boolean | 'unknown';
  matchedRanges: number[];
  inVersionsList: boolean;
  /** `fixed` bounds above the version in the matching ranges (fix candidates). */
  fixes: { scheme: VersionScheme; value: string }[];
  matchedWithFix: number;
  matchedWithoutFix: number;
  skippedRanges: SkippedRange[];
  unknownReasons: string[];
}

function evaluateCore(version: string, affected: OsvAffected, ecosystemScheme: VersionScheme | undefined): Core {
  const core: Core = {
    affected: false,
    matchedRanges: [],
    inVersionsList: listed(ecosystemScheme, version, affected.versions),
    fixes: [],
    matchedWithFix: 0,
    matchedWithoutFix: 0,
    skippedRanges: [],
    unknownReasons: [],
  };
  (affected.ranges ?? []).forEach((range, index) => {
    const scheme = schemeForRange(range, ecosystemScheme);
    if (typeof scheme === 'string') {
      core.skippedRanges.push({ index, reason: scheme });
      return;
    }
    try {
      const r = evaluateRange(scheme, version, Array.isArray(range.events) ? range.events : []);
      if (!r.affected) return;
      for (const value of r.fixesAbove) core.fixes.push({ scheme, value });
      core.matchedRanges.push(index);
      if (r.fixesAbove.length === 0) core.matchedWithoutFix++;
      else core.matchedWithFix++;
    } catch (err) {
      if (!(err instanceof InvalidVersionError)) throw err;
      const reason = `range ${index} (${range.type}): ${err.message}`;
      core.skippedRanges.push({ index, reason });
      core.unknownReasons.push(reason);
    }
  });
  if (core.inVersionsList || core.matchedRanges.length > 0) core.affected = true;
  else if (core.unknownReasons.length > 0) core.affected = 'unknown';
  return core;
}

/**
 * Decides whether `version` is affected by one OSV `affected` entry, which ranges contain it,
 * and the lowest version that fixes it. Never throws for bad data: an unknown ecosystem, an
 * unparseable version or an unparseable bound gives `affected: 'unknown'` with a reason.
 */
export function evaluateAffected(version: string, affected: OsvAffected, options: EvaluateOptions = {}): OsvVerdict {
  const ecosystem = options.ecosystem ?? affected.package?.ecosystem;
  const parsed = ecosystem === undefined ? undefined : tryParseEcosystem(ecosystem);
  const ecosystemScheme = parsed ? schemes[parsed.info.scheme] : undefined;
  const unknown = (reason: string, skippedRanges: SkippedRange[] = []): OsvVerdict => ({
    affected: 'unknown',
    matchedRanges: [],
    inVersionsList: false,
    fixStatus: 'unknown',
    reason,
    skippedRanges,
  });
  if (ecosystem !== undefined && !parsed) {
    try {
      parseEcosystem(ecosystem);
    } catch (err) {
      return unknown(err instanceof Error ? err.message : String(err));
    }
  }
  const usesVersions = (affected.ranges ?? []).some((r) => r.type === 'ECOSYSTEM' || r.type === 'SEMVER') || (affected.versions?.length ?? 0) > 0;
  if (ecosystemScheme && usesVersions && !ecosystemScheme.isValid(version)) {
    try {
      ecosystemScheme.parse(version);
    } catch (err) {
      return unknown(err instanceof Error ? err.message : String(err));
    }
  }

  const core = evaluateCore(version, affected, ecosystemScheme);
  const notes = core.skippedRanges.map((s) => s.reason);
  if (core.affected !== true) {
    return {
      affected: core.affected,
      matchedRanges: [],
      inVersionsList: false,
      fixStatus: core.affected === false ? 'not-affected' : 'unknown',
      reason: notes.length > 0 ? notes.join('; ') : undefined,
      skippedRanges: core.skippedRanges,
    };
  }

  // The fix: the lowest `fixed` above the version (from a matching range) that no range or
  // listed version affects; a lower one that another range still covers fixes nothing.
  const candidates = [...core.fixes];
  candidates.sort((a, b) => a.scheme.compare(a.value, b.value));
  let fixedVersion: string | undefined;
  for (const c of candidates) {
    const again = evaluateCore(c.value, affected, ecosystemScheme);
    if (again.affected === false) {
      fixedVersion = c.value;
      break;
    }
  }
  let fixStatus: FixStatus;
  if (fixedVersion !== undefined && core.matchedWithoutFix === 0) fixStatus = 'fixed';
  else if (core.matchedWithFix > 0 || fixedVersion !== undefined) fixStatus = 'partially-fixed';
  else fixStatus = 'not-fixed';
  return {
    affected: true,
    matchedRanges: core.matchedRanges,
    inVersionsList: core.inVersionsList,
    fixedVersion,
    fixStatus,
    reason: notes.length > 0 ? notes.join('; ') : undefined,
    skippedRanges: core.skippedRanges,
  };
}
