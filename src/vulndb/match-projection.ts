/**
 * The matching projection of OSV `affected` entries: only what the range evaluation
 * (`src/versioning/osv-range.ts`) reads. The store keeps it beside each full record so that a
 * lookup parses a few dozen bytes per advisory instead of the record (a kernel advisory lists
 * thousands of CVEs; PyPI and Go entries carry symbol lists).
 *
 * Stored as compact JSON (arrays, one-letter event kinds) because a cold lookup's cost is
 * mostly parsing: an entry is `[ranges, versions?]`, a range `[type, kind, value, kind,
 * value, …]` with kinds `i` introduced, `f` fixed, `l` last_affected, `m` limit.
 */
import { evaluateAffected } from '../versioning/osv-range.js';
import type { OsvAffected, OsvEvent, OsvRange } from './types.js';

/** One projected entry as stored. */
export type StoredEntry = [ranges: StoredRange[], versions?: string[]];

/** One range as stored: its type, then (kind code, value) pairs in the record's order. */
export type StoredRange = string[];

// The order `eventBound` in osv-range.ts reads an event's keys in: an event with several keys
// (malformed) counts as its first, so only that one is kept.
const KINDS = [
  ['introduced', 'i'],
  ['fixed', 'f'],
  ['last_affected', 'l'],
  ['limit', 'm'],
] as const;

/**
 * The listed versions that the entry's ranges do not already place inside them. A version the
 * ranges affect is affected whether listed or not, and so is every version comparing equal to
 * it, so leaving it out changes no verdict, fix status or fixed version (only the verdict's
 * `inVersionsList` detail); versions the ranges cannot decide stay. PyPI entries list every
 * release inside their ranges: this is most of what a lookup would otherwise parse.
 */
function versionsNotCovered(entry: OsvAffected, ecosystem: string): string[] | undefined {
  const versions = entry.versions;
  if (!versions || versions.length === 0 || !(entry.ranges ?? []).some((r) => r.type === 'ECOSYSTEM' || r.type === 'SEMVER')) return versions;
  const rangesOnly: OsvAffected = { ranges: entry.ranges };
  return versions.filter((v) => evaluateAffected(v, rangesOnly, { ecosystem }).affected !== true);
}

/**
 * Reduces entries to each range's type and events and the versions list (less the versions
 * the ranges cover, see {@link versionsNotCovered}). The package is left out: the projection is
 * stored under the package's key, so it names it by construction (the range evaluation is told
 * the `ecosystem`, the key's). Ranges keep their positions (verdicts name ranges by index);
 * `GIT` ranges, which evaluation skips by type, keep no events.
 */
export function projectEntries(entries: readonly OsvAffected[], ecosystem: string): StoredEntry[] {
  return entries.map((entry) => {
    const ranges = (entry.ranges ?? []).map((r): StoredRange => {
      const out: StoredRange = [r.type];
      if (r.type === 'GIT' || !Array.isArray(r.events)) return out;
      for (const e of r.events) {
        for (const [kind, code] of KINDS) {
          const value = e[kind];
          if (typeof value !== 'string') continue;
          out.push(code, value);
          break;
        }
      }
      return out;
    });
    const versions = versionsNotCovered(entry, ecosystem);
    return versions ? [ranges, versions] : [ranges];
  });
}

// Most ranges open at "0": one shared (frozen) event instead of one per range.
const INTRODUCED_ZERO: OsvEvent = Object.freeze({ introduced: '0' });

function event(code: string, value: string): OsvEvent {
  // One literal per kind keeps each event object's shape fixed.
  switch (code) {
    case 'i':
      return value === '0' ? INTRODUCED_ZERO : { introduced: value };
    case 'f':
      return { fixed: value };
    case 'l':
      return { last_affected: value };
    default:
      return { limit: value };
  }
}

/** Turns stored entries back into `affected` entries (without `package`) for evaluation. */
export function expandEntries(stored: readonly StoredEntry[]): OsvAffected[] {
  const out = new Array<OsvAffected>(stored.length);
  for (let i = 0; i < stored.length; i++) {
    const [storedRanges, versions] = stored[i];
    const ranges = new Array<OsvRange>(storedRanges.length);
    for (let j = 0; j < storedRanges.length; j++) {
      const r = storedRanges[j];
      const events: OsvEvent[] = [];
      for (let k = 1; k + 1 < r.length; k += 2) events.push(event(r[k], r[k + 1]));
      ranges[j] = { type: r[0], events };
    }
    out[i] = versions ? { ranges, versions } : { ranges };
  }
  return out;
}
