import { BoundedCache } from '../bounded-cache.js';
import type { SchemeId } from '../ecosystems.js';
import { InvalidVersionError, type VersionScheme } from './types.js';

/** How many parsed versions each scheme keeps; advisories repeat a few thousand bounds at most. */
export const DEFAULT_CACHE_SIZE = 50_000;

/** A scheme whose parsed form is typed, so callers holding parsed values can compare them directly. */
export interface TypedVersionScheme<T> extends VersionScheme {
  parse(version: string): T;
  /** Orders two already parsed versions (the same total order as {@link VersionScheme.compare}). */
  compareParsed(a: T, b: T): number;
}

/** What a scheme module provides; {@link defineScheme} adds caching and the string API. */
export interface SchemeRules<T> {
  readonly id: SchemeId;
  /** Parses one version; throws {@link InvalidVersionError} (use {@link invalid}) when it is not valid. */
  parse(version: string): T;
  compare(a: T, b: T): number;
  /** Entries kept in the parsed-version cache. */
  readonly cacheSize?: number;
}

/**
 * Builds a {@link VersionScheme} from parse and compare rules, with a bounded cache of parsed
 * versions (and of rejections, so a bad version that recurs costs one map lookup too).
 */
export function defineScheme<T>(rules: SchemeRules<T>): TypedVersionScheme<T> {
  const cache = new BoundedCache<string, T | InvalidVersionError>(rules.cacheSize ?? DEFAULT_CACHE_SIZE);

  function lookup(version: string): T | InvalidVersionError {
    const hit = cache.get(version);
    if (hit !== undefined) return hit;
    let value: T | InvalidVersionError;
    try {
      value = rules.parse(version);
    } catch (err) {
      if (!(err instanceof InvalidVersionError)) throw err;
      value = err;
    }
    cache.set(version, value);
    return value;
  }

  function parse(version: string): T {
    if (typeof version !== 'string') throw new InvalidVersionError(rules.id, String(version), 'not a string');
    const value = lookup(version);
    if (value instanceof InvalidVersionError) throw value;
    return value;
  }

  return {
    id: rules.id,
    parse,
    isValid(version: string): boolean {
      return typeof version === 'string' && !(lookup(version) instanceof InvalidVersionError);
    },
    compare(a: string, b: string): number {
      const pa = parse(a);
      const pb = parse(b);
      return a === b ? 0 : rules.compare(pa, pb);
    },
    compareParsed: rules.compare,
  };
}

/** Shorthand for throwing an {@link InvalidVersionError} from a scheme's parser. */
export function invalid(scheme: SchemeId, input: string, reason: string): never {
  throw new InvalidVersionError(scheme, input, reason);
}

/** Compares two strings of ASCII digits as unbounded non-negative integers. */
export function compareDigits(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length - 1 && a.charCodeAt(i) === 48) i++;
  while (j < b.length - 1 && b.charCodeAt(j) === 48) j++;
  const la = a.length - i;
  const lb = b.length - j;
  if (la !== lb) return la < lb ? -1 : 1;
  for (; i < a.length; i++, j++) {
    const d = a.charCodeAt(i) - b.charCodeAt(j);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** Plain code-unit string order (what C's `strcmp` gives for ASCII), as -1, 0 or 1. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Normalises any comparison result to -1, 0 or 1. */
export function sign(n: number): number {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

/** True when `s` holds whitespace or a control character (no version scheme allows them inside). */
export function hasSpaceOrControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 32 || c === 127 || c === 0x85 || c === 0xa0 || c === 0x2028 || c === 0x2029 || c === 0xfeff) return true;
  }
  return false;
}
