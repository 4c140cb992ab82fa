/**
 * Go module version ordering, following golang.org/x/mod/semver: `vMAJOR[.MINOR[.PATCH]]`
 * with SemVer pre-release and build parts, `+incompatible` as build metadata (ignored in
 * ordering) and pseudo-versions (`v0.0.0-20191109021931-daa7c04131f5`) as pre-releases.
 * The `v` may be omitted, because OSV's Go advisories write versions without it.
 */
import { compareDigits, compareStrings, defineScheme, invalid } from './cache.js';

/** A parsed Go module version. */
export interface GoVersion {
  major: string;
  minor: string;
  patch: string;
  /** Pre-release with its leading `-`, or empty. */
  prerelease: string;
  /** Build metadata with its leading `+`, or empty. */
  build: string;
}

function isIdentChar(c: string): boolean {
  return /[0-9A-Za-z-]/.test(c);
}
function isBadNum(s: string): boolean {
  return /^\d+$/.test(s) && s.length > 1 && s[0] === '0';
}
function parseInt10(v: string): [string, string] | undefined {
  if (v === '' || v[0]! < '0' || v[0]! > '9') return undefined;
  let i = 1;
  while (i < v.length && v[i]! >= '0' && v[i]! <= '9') i++;
  if (v[0] === '0' && i !== 1) return undefined;
  return [v.slice(0, i), v.slice(i)];
}
function parseDotted(v: string, checkNum: boolean): [string, string] | undefined {
  // v starts with '-' (pre-release) or '+' (build).
  let i = 1;
  let start = 1;
  while (i < v.length && (checkNum ? v[i] !== '+' : true)) {
    const c = v[i]!;
    if (!isIdentChar(c) && c !== '.') return undefined;
    if (c === '.') {
      if (start === i || (checkNum && isBadNum(v.slice(start, i)))) return undefined;
      start = i + 1;
    }
    i++;
  }
  if (start === i || (checkNum && isBadNum(v.slice(start, i)))) return undefined;
  return [v.slice(0, i), v.slice(i)];
}

/** Parses like x/mod's `semver.parse`, after adding a missing `v`; undefined when invalid. */
function parseGo(input: string): GoVersion | undefined {
  let v = input.startsWith('v') ? input.slice(1) : input;
  const major = parseInt10(v);
  if (!major) return undefined;
  v = major[1];
  if (v === '') return { major: major[0], minor: '0', patch: '0', prerelease: '', build: '' };
  if (v[0] !== '.') return undefined;
  const minor = parseInt10(v.slice(1));
  if (!minor) return undefined;
  v = minor[1];
  if (v === '') return { major: major[0], minor: minor[0], patch: '0', prerelease: '', build: '' };
  if (v[0] !== '.') return undefined;
  const patch = parseInt10(v.slice(1));
  if (!patch) return undefined;
  v = patch[1];
  let prerelease = '';
  let build = '';
  if (v.startsWith('-')) {
    const p = parseDotted(v, true);
    if (!p) return undefined;
    [prerelease, v] = p;
  }
  if (v.startsWith('+')) {
    const b = parseDotted(v, false);
    if (!b) return undefined;
    [build, v] = b;
  }
  if (v !== '') return undefined;
  return { major: major[0], minor: minor[0], patch: patch[0], prerelease, build };
}

/** Parses a Go module version, with or without its `v`. */
export function parseGoVersion(input: string): GoVersion {
  return parseGo(input) ?? invalid('go', input, 'not a semantic version vMAJOR[.MINOR[.PATCH]][-pre][+build]');
}

/** x/mod's `semver.Canonical`: `vMAJOR.MINOR.PATCH[-pre]` (build dropped), or '' when invalid. */
export function goCanonical(input: string): string {
  const p = parseGo(input);
  return p ? `v${p.major}.${p.minor}.${p.patch}${p.prerelease}` : '';
}

function isNum(s: string): boolean {
  return /^\d+$/.test(s);
}

/** SemVer pre-release precedence on `-a.b.c` strings, as x/mod's `comparePrerelease`. */
function comparePrerelease(x: string, y: string): number {
  if (x === y) return 0;
  if (x === '') return 1;
  if (y === '') return -1;
  const xs = x.slice(1).split('.');
  const ys = y.slice(1).split('.');
  const n = Math.min(xs.length, ys.length);
  for (let i = 0; i < n; i++) {
    const a = xs[i]!;
    const b = ys[i]!;
    if (a === b) continue;
    const an = isNum(a);
    const bn = isNum(b);
    if (an !== bn) return an ? -1 : 1;
    return an ? compareDigits(a, b) : compareStrings(a, b);
  }
  return xs.length === ys.length ? 0 : xs.length < ys.length ? -1 : 1;
}

/** x/mod's `semver.Compare` on valid versions. */
export function compareGoVersions(a: GoVersion, b: GoVersion): number {
  return (
    compareDigits(a.major, b.major) ||
    compareDigits(a.minor, b.minor) ||
    compareDigits(a.patch, b.patch) ||
    comparePrerelease(a.prerelease, b.prerelease)
  );
}

/** The Go modules scheme. */
export const go = defineScheme<GoVersion>({ id: 'go', parse: parseGoVersion, compare: compareGoVersions });
