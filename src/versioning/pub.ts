/**
 * Dart Pub version ordering, as `package:pub_semver` implements it: SemVer 2.0 precedence,
 * except that build metadata also orders (`1.0.0 < 1.0.0+1 < 1.0.0+2`), which Pub uses to
 * order rebuilds of the same version. Numeric parts compare without size limit.
 */
import { compareDigits, compareStrings, defineScheme, invalid } from './cache.js';

/** A part of a pre-release or build list: a number (digit string) or a string. */
type Part = { num: string } | { str: string };

/** A parsed Pub version. */
export interface PubVersion {
  major: string;
  minor: string;
  patch: string;
  pre: Part[];
  build: Part[];
}

// pub_semver's grammar; a leading `v` is accepted too, as tags often carry one.
const PATTERN = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;

function parts(s: string | undefined): Part[] {
  if (s === undefined) return [];
  return s.split('.').map((p) => (/^\d+$/.test(p) ? { num: p } : { str: p }));
}

/** Parses a Pub version (`major.minor.patch[-pre][+build]`). */
export function parsePubVersion(input: string): PubVersion {
  const m = PATTERN.exec(input);
  if (!m) return invalid('pub', input, 'not of the form major.minor.patch[-pre][+build]');
  return { major: m[1]!, minor: m[2]!, patch: m[3]!, pre: parts(m[4]), build: parts(m[5]) };
}

function compareLists(a: Part[], b: Part[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i];
    const y = b[i];
    // Missing parts come before present ones.
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if ('num' in x) {
      if (!('num' in y)) return -1;
      const c = compareDigits(x.num, y.num);
      if (c !== 0) return c;
    } else {
      if ('num' in y) return 1;
      const c = compareStrings(x.str, y.str);
      if (c !== 0) return c;
    }
  }
  return 0;
}

/** pub_semver's `Version.compareTo`. */
export function comparePubVersions(a: PubVersion, b: PubVersion): number {
  const c = compareDigits(a.major, b.major) || compareDigits(a.minor, b.minor) || compareDigits(a.patch, b.patch);
  if (c !== 0) return c;
  // A pre-release comes before the release; a build comes after it.
  if (a.pre.length === 0 && b.pre.length > 0) return 1;
  if (b.pre.length === 0 && a.pre.length > 0) return -1;
  const p = compareLists(a.pre, b.pre);
  if (p !== 0) return p;
  if (a.build.length === 0 && b.build.length > 0) return -1;
  if (b.build.length === 0 && a.build.length > 0) return 1;
  return compareLists(a.build, b.build);
}

/** The Pub scheme. */
export const pub = defineScheme<PubVersion>({ id: 'pub', parse: parsePubVersion, compare: comparePubVersions });
