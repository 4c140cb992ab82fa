/**
 * PyPI version ordering per PEP 440 (the packaging library's `Version`), parsed with
 * `@renovatebot/pep440`.
 *
 * Legacy versions: strings PEP 440 rejects (`2004d`, `1.0-SNAPSHOT`, `0.9.1-r2-beta`) are
 * invalid here, reported with a reason, and never ordered with another scheme's rules. pip ≥ 24.1
 * and packaging ≥ 22 refuse them too; guessing an order for them would invent answers.
 */
// The version parser alone: the package's index loads its specifier and operator modules too.
import { parse as pep440Parse } from '@renovatebot/pep440/lib/version.js';
import { compareDigits, compareStrings, defineScheme, invalid } from './cache.js';

/** A pre/post/dev marker: its normalised letter and number (digit string). */
interface Marker {
  letter: string;
  num: string;
}

/** A parsed PEP 440 version, in the shape its sort key needs. */
export interface Pep440Version {
  epoch: string;
  /** Release numbers with trailing zeros removed (`1.0.0` → `['1']`). */
  release: string[];
  /** Release numbers as written (leading zeros dropped, trailing zeros kept), for prefix matching. */
  fullRelease: string[];
  pre?: Marker;
  post?: Marker;
  dev?: Marker;
  /** Local version parts, lower-cased; numeric ones as digit strings. */
  local?: string[];
}

const PRE_ORDER: Readonly<Record<string, number>> = { a: 0, b: 1, rc: 2 };

/** Parses a PEP 440 version (surrounding whitespace is ignored, as packaging does). */
export function parsePep440Version(input: string): Pep440Version {
  const s = input.trim();
  const parsed = s === '' ? null : pep440Parse(s);
  if (!parsed) {
    return invalid('pep440', input, 'not a PEP 440 version (legacy version strings are not ordered)');
  }
  // The library stores numbers as JavaScript numbers; re-read the digits so long ones stay exact.
  const body = s.replace(/^v/i, '');
  const m = /^(?:(\d+)!)?(\d+(?:\.\d+)*)/.exec(body)!;
  const fullRelease = m[2]!.split('.').map((d) => d.replace(/^0+(?=\d)/, ''));
  const release = [...fullRelease];
  while (release.length > 0 && release[release.length - 1] === '0') release.pop();
  const marker = (v: unknown): Marker | undefined =>
    Array.isArray(v) ? { letter: String(v[0]), num: String(v[1]) } : undefined;
  const plus = body.indexOf('+');
  const local = plus < 0 ? undefined : body.slice(plus + 1).toLowerCase().split(/[._-]/);
  return {
    epoch: (m[1] ?? '0').replace(/^0+(?=\d)/, ''),
    release,
    fullRelease,
    pre: marker(parsed.pre),
    post: marker(parsed.post),
    dev: marker(parsed.dev),
    local,
  };
}

/** Compares two optional numbers where `undefined` is a given infinity (`none`). */
function markerNum(a: Marker | undefined, b: Marker | undefined, noneIsLow: boolean): number {
  if (a === undefined || b === undefined) {
    if (a === b) return 0;
    return (a === undefined) === noneIsLow ? -1 : 1;
  }
  return compareDigits(a.num, b.num);
}

function isNum(s: string): boolean {
  return /^\d+$/.test(s);
}

/** PEP 440 ordering (packaging's `_cmpkey`). */
export function comparePep440Versions(a: Pep440Version, b: Pep440Version): number {
  let c = compareDigits(a.epoch, b.epoch);
  if (c !== 0) return c;
  const n = Math.min(a.release.length, b.release.length);
  for (let i = 0; i < n; i++) {
    c = compareDigits(a.release[i]!, b.release[i]!);
    if (c !== 0) return c;
  }
  if (a.release.length !== b.release.length) return a.release.length < b.release.length ? -1 : 1;
  // Pre-release: a dev release of the final (1.0.dev0) sorts before every pre-release; no pre sorts last.
  const preRank = (v: Pep440Version): number => (v.pre ? 1 : !v.post && v.dev ? 0 : 2);
  const ra = preRank(a);
  const rb = preRank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  if (a.pre && b.pre) {
    const la = PRE_ORDER[a.pre.letter]!;
    const lb = PRE_ORDER[b.pre.letter]!;
    if (la !== lb) return la < lb ? -1 : 1;
    c = compareDigits(a.pre.num, b.pre.num);
    if (c !== 0) return c;
  }
  c = markerNum(a.post, b.post, true);
  if (c !== 0) return c;
  c = markerNum(a.dev, b.dev, false);
  if (c !== 0) return c;
  if (a.local === undefined || b.local === undefined) {
    if (a.local === b.local) return 0;
    return a.local === undefined ? -1 : 1;
  }
  const m = Math.min(a.local.length, b.local.length);
  for (let i = 0; i < m; i++) {
    const x = a.local[i]!;
    const y = b.local[i]!;
    const xn = isNum(x);
    const yn = isNum(y);
    // Alphanumeric local parts sort before numeric ones.
    if (xn !== yn) return xn ? 1 : -1;
    c = xn ? compareDigits(x, y) : compareStrings(x, y);
    if (c !== 0) return c;
  }
  return a.local.length === b.local.length ? 0 : a.local.length < b.local.length ? -1 : 1;
}

/** The PEP 440 scheme (PyPI). */
export const pep440 = defineScheme<Pep440Version>({ id: 'pep440', parse: parsePep440Version, compare: comparePep440Versions });
