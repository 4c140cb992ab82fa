/**
 * The ONE place that decides whether a version is inside an OSV `affected` entry, following the
 * OSV schema's evaluation rules (https://ossf.github.io/osv-schema/#evaluation):
 *
 * - the version is affected when it is in the entry's `versions` list (string equality: a listed
 *   version counts even when the scheme cannot parse it), or inside any range;
 * - `ECOSYSTEM` ranges order versions with the ecosystem's scheme, `SEMVER` ranges with SemVer
 *   2.0 precedence (Go's scheme for Go, so a missing `v` and pseudo-versions work); `GIT`
 *   ranges name commits, not versions, and are ignored (the `versions` list enumerates them);
 * - a range's events are sorted by version first (advisories do not always list them in order),
 *   then walked: `introduced` (`"0"` = before everything) opens, `fixed` closes before its
 *   version, `last_affected` closes after its version; `limit` events take no part in the walk:
 *   the range holds only versions below at least one of its limits (`"*"` = no limit);
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
  /** {@link OsvVerdict.fixedVersion} leaves every range, and every range holding the version ends in a fix. */
  | 'fixed'
  /** A fix exists but not on the version's own line, or the named fix is still affected elsewhere. */
  | 'partially-fixed'
  /** No version named leaves every range, and no range holding the version ends in a fix. */
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
  /** The lowest `fixed` version above the installed one (from any range) that no range or listed version affects. */
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
  /** When affected: the stretch of the range that holds the version, for telling which line has no fix. */
  line?: RangeLine;
  /** Every `fixed` bound above the version, inside the version's stretch or not (fix candidates). */
  fixesAbove: string[];
}

/** The stretch of one range that holds a version: what opened it and what closes it. */
export interface RangeLine {
  /** The `introduced` value that opened it (`"0"` for the start). */
  introduced: string;
  /** The event that ends it above the version; absent when it never ends (open, or only limited). */
  closedBy?: { kind: 'fixed' | 'last_affected'; value: string };
  /** The highest `limit` of the range, when it has limits and none is `"*"`. */
  limit?: string;
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

/**
 * The OSV walk over one range's sorted events. `limit` events take no part in the walk: the
 * range holds a version only below at least one of its limits (OSV: "below any limit").
 * Throws InvalidVersionError on unparseable input.
 */
function evaluateRange(scheme: VersionScheme, version: string, events: readonly OsvEvent[]): RangeResult {
  const bounds = sortedBounds(scheme, events);
  let affected = false;
  let opened: Bound | undefined;
  let closedBy: RangeLine['closedBy'];
  let limit: Bound | undefined;
  let belowALimit = false;
  let limited = false;
  const fixesAbove: string[] = [];
  for (const b of bounds) {
    const c = versionVsBound(scheme, version, b);
    if (b.kind === 'limit') {
      limited = true;
      if (c < 0) belowALimit = true;
      if (!limit || compareBounds(scheme, b, limit) > 0) limit = b;
      continue;
    }
    if (b.kind === 'fixed' && c < 0) fixesAbove.push(b.value);
    if (c < 0 || (c === 0 && b.kind === 'last_affected')) {
      // Bounds above the version (sorted): the first closing one ends the version's stretch.
      if (affected && !closedBy && b.kind !== 'introduced') closedBy = { kind: b.kind, value: b.value };
      continue;
    }
    if (b.kind === 'introduced') {
      if (!affected) opened = b;
      affected = true;
    } else {
      affected = false;
    }
  }
  if (limited && !belowALimit) affected = false;
  if (!affected) return { affected, fixesAbove };
  const line: RangeLine = { introduced: opened?.value ?? '0' };
  if (closedBy) line.closedBy = closedBy;
  if (limit && limit.special === 0) line.limit = limit.value;
  return { affected, line, fixesAbove };
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

/** OSV's rule for the list: string equality (no ordering needed); equal under the scheme counts too. */
function listed(scheme: VersionScheme | undefined, version: string, versions: readonly string[] | undefined): boolean {
  if (!versions) return false;
  const comparable = scheme?.isValid(version) === true;
  for (const v of versions) {
    if (v === version) return true;
    if (comparable && scheme!.isValid(v) && scheme!.compare(v, version) === 0) return true;
  }
  return false;
}

interface Core {
  affected: boolean | 'unknown';
  matchedRanges: number[];
  inVersionsList: boolean;
  /** The stretch of each matching range that holds the version. */
  lines: RangeLine[];
  /** `fixed` bounds above the version in every evaluable range (fix candidates); every `fixed` bound when the version cannot be ordered. */
  fixes: { scheme: VersionScheme; value: string }[];
  skippedRanges: SkippedRange[];
  unknownReasons: string[];
}

/**
 * Evaluates every range of the entry. `orderable` false: the version does not parse under the
 * ecosystem's scheme, so only the versions list can place it, and every `fixed` bound is a
 * fix candidate (none can be ordered against it).
 */
function evaluateCore(version: string, affected: OsvAffected, ecosystemScheme: VersionScheme | undefined, orderable = true): Core {
  const core: Core = {
    affected: false,
    matchedRanges: [],
    inVersionsList: listed(ecosystemScheme, version, affected.versions),
    lines: [],
    fixes: [],
    skippedRanges: [],
    unknownReasons: [],
  };
  (affected.ranges ?? []).forEach((range, index) => {
    const scheme = schemeForRange(range, ecosystemScheme);
    if (typeof scheme === 'string') {
      core.skippedRanges.push({ index, reason: scheme });
      return;
    }
    const events = Array.isArray(range.events) ? range.events : [];
    try {
      if (!orderable) {
        for (const b of sortedBounds(scheme, events)) if (b.kind === 'fixed') core.fixes.push({ scheme, value: b.value });
        return;
      }
      const r = evaluateRange(scheme, version, events);
      for (const value of r.fixesAbove) core.fixes.push({ scheme, value });
      if (!r.affected) return;
      core.matchedRanges.push(index);
      core.lines.push(r.line!);
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

/** One `affected` entry behind a finding, and the record it comes from (named in notes). */
export interface FixSource {
  id: string;
  entry: OsvAffected;
}

/** What fixes a version across every entry behind one vulnerability. */
export interface FixResolution {
  /** `fixed`, `partially-fixed` or `not-fixed` (see {@link resolveFix}). */
  fixStatus: Exclude<FixStatus, 'not-affected' | 'unknown'>;
  fixedVersion?: string;
  /** For `partially-fixed`: which line has no fix, or which fix is still affected. */
  note?: string;
}

function describeLine(id: string, line: RangeLine): string {
  const end = line.closedBy ? `last affected ${line.closedBy.value}` : line.limit !== undefined ? `limit ${line.limit}` : 'no fix';
  return `${id ? `${id}: ` : ''}introduced ${line.introduced}, ${end}`;
}

interface Evaluated {
  id: string;
  entry: OsvAffected;
  scheme: VersionScheme | undefined;
  core: Core;
}

function schemeOfEntry(entry: OsvAffected, ecosystem: string | undefined): VersionScheme | undefined {
  const name = ecosystem ?? entry.package?.ecosystem;
  const parsed = name === undefined ? undefined : tryParseEcosystem(name);
  return parsed ? schemes[parsed.info.scheme] : undefined;
}

/** The first source that affects (or may affect) `version`, if any. */
function stillAffecting(version: string, evaluated: readonly Evaluated[]): Evaluated | undefined {
  return evaluated.find((e) => evaluateCore(version, e.entry, e.scheme).affected !== false);
}

function resolveEvaluated(version: string, evaluated: readonly Evaluated[], orderScheme: VersionScheme | undefined): FixResolution {
  // Candidates: every `fixed` above the version named anywhere behind the vulnerability, in
  // ascending order, so a fix on the version's own release line is tried before a later line's.
  const seen = new Set<string>();
  const candidates: { scheme: VersionScheme; value: string }[] = [];
  for (const e of evaluated) {
    for (const f of e.core.fixes) {
      if (seen.has(f.value)) continue;
      seen.add(f.value);
      candidates.push(f);
    }
  }
  const order = (a: { scheme: VersionScheme; value: string }, b: { scheme: VersionScheme; value: string }): number =>
    orderScheme && orderScheme.isValid(a.value) && orderScheme.isValid(b.value) ? orderScheme.compare(a.value, b.value) : a.scheme.compare(a.value, b.value);
  candidates.sort(order);
  let fixedVersion: string | undefined;
  let firstBlocked: { value: string; by: string } | undefined;
  for (const c of candidates) {
    const blocker = stillAffecting(c.value, evaluated);
    if (!blocker) {
      fixedVersion = c.value;
      break;
    }
    firstBlocked ??= { value: c.value, by: blocker.id };
  }
  const unfixed: string[] = [];
  let linesWithFix = 0;
  for (const e of evaluated) {
    for (const line of e.core.lines) {
      if (line.closedBy?.kind === 'fixed') linesWithFix++;
      else unfixed.push(describeLine(e.id, line));
    }
  }
  if (fixedVersion !== undefined && unfixed.length === 0) return { fixStatus: 'fixed', fixedVersion };
  if (fixedVersion === undefined && linesWithFix === 0) return { fixStatus: 'not-fixed' };
  const parts: string[] = [];
  if (unfixed.length > 0) parts.push(`no fix on the line of ${version} (${unfixed.join('; ')})`);
  if (fixedVersion !== undefined) parts.push(`${fixedVersion} leaves every affected range`);
  else if (firstBlocked) parts.push(`${firstBlocked.value} is still affected${firstBlocked.by ? ` (${firstBlocked.by})` : ''}`);
  return { fixStatus: 'partially-fixed', ...(fixedVersion !== undefined ? { fixedVersion } : {}), note: parts.join('; ') };
}

/**
 * What fixes `version` across every `affected` entry behind one vulnerability (all the records
 * and aliases merged into a finding, including entries that do not hold the version):
 *
 * - `fixedVersion` is the lowest `fixed` version above `version`, named by any of the entries,
 *   that no entry affects: upgrading to it never meets the same vulnerability again. Candidates
 *   are tried in ascending order, so a fix on the version's own release line comes first.
 * - `fixStatus` is `fixed` when there is a `fixedVersion` and every range holding the version
 *   ends in a `fixed` event (its line has its own fix); `not-fixed` when there is no
 *   `fixedVersion` and no range holding the version ends in a fix; `partially-fixed` otherwise,
 *   with a `note` naming the line that has no fix (an open range, `last_affected`, `limit`), or
 *   the named fix that another entry still affects.
 *
 * A version the scheme cannot order (matched only through a versions list) takes every `fixed`
 * bound as a candidate. Entries that cannot be evaluated at a candidate (unparseable bounds)
 * block it: the fix cannot be confirmed.
 */
export function resolveFix(version: string, sources: readonly FixSource[], options: EvaluateOptions = {}): FixResolution {
  const orderScheme = sources.length > 0 ? schemeOfEntry(sources[0].entry, options.ecosystem) : undefined;
  const orderable = orderScheme === undefined || orderScheme.isValid(version);
  const evaluated = sources.map((s): Evaluated => {
    const scheme = schemeOfEntry(s.entry, options.ecosystem);
    return { id: s.id, entry: s.entry, scheme, core: evaluateCore(version, s.entry, scheme, orderable) };
  });
  return resolveEvaluated(version, evaluated, orderScheme);
}

/**
 * Decides whether `version` is affected by one OSV `affected` entry, which ranges contain it,
 * and the lowest version that fixes it ({@link resolveFix} over this one entry). Never throws
 * for bad data: an unknown ecosystem, an unparseable version or an unparseable bound gives
 * `affected: 'unknown'` with a reason — except that a version listed literally in `versions`
 * is affected whether or not it parses (OSV's list rule is string equality).
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
  let orderable = true;
  let unorderedReason: string | undefined;
  if (ecosystemScheme && usesVersions && !ecosystemScheme.isValid(version)) {
    try {
      ecosystemScheme.parse(version);
    } catch (err) {
      unorderedReason = err instanceof Error ? err.message : String(err);
    }
    if (unorderedReason !== undefined) {
      if (!affected.versions?.includes(version)) return unknown(unorderedReason);
      orderable = false;
    }
  }

  const core = evaluateCore(version, affected, ecosystemScheme, orderable);
  const notes = core.skippedRanges.map((s) => s.reason);
  if (unorderedReason !== undefined) notes.unshift(`listed in versions; ranges not evaluated: ${unorderedReason}`);
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
  const fix = resolveEvaluated(version, [{ id: '', entry: affected, scheme: ecosystemScheme, core }], ecosystemScheme);
  return {
    affected: true,
    matchedRanges: core.matchedRanges,
    inVersionsList: core.inVersionsList,
    fixedVersion: fix.fixedVersion,
    fixStatus: fix.fixStatus,
    reason: notes.length > 0 ? notes.join('; ') : undefined,
    skippedRanges: core.skippedRanges,
  };
}
