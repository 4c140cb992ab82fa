/**
 * Debian/Ubuntu version ordering, as dpkg implements it (`lib/dpkg/version.c`,
 * `parseversion()` and `verrevcmp()`): `[epoch:]upstream[-revision]`, where `~` sorts before
 * everything, even the end of the string, letters sort before other symbols, and digit runs
 * compare as numbers.
 */
import { defineScheme, invalid, sign } from './cache.js';

/** A parsed dpkg version. */
export interface DpkgVersion {
  epoch: number;
  upstream: string;
  /** Empty when the version has no revision (which orders like `0`). */
  revision: string;
  /** Upstream and revision pre-split into (non-digit key, digits) pairs, for fast comparison. */
  readonly keys: { upstream: Segment[]; revision: Segment[] };
}

/**
 * One step of `verrevcmp()`: a run of non-digits, mapped so that plain string order is dpkg's
 * `order()` (`~` < end of run < letters < other symbols), and the digit run after it.
 */
type Segment = readonly [key: string, digits: string];

const END = '\u0002';
function segments(part: string): Segment[] {
  const out: Segment[] = [];
  const codes: number[] = [];
  let i = 0;
  while (i < part.length) {
    codes.length = 0;
    let c = part.charCodeAt(i);
    while (i < part.length && !isDigit(c)) {
      codes.push(c === 126 ? 1 : isAlpha(c) ? c + 0x100 : c + 0x200);
      c = part.charCodeAt(++i);
    }
    codes.push(2); // END
    // Leading zeros do not count: skip them, keeping one digit for an all-zero run.
    while (i < part.length - 1 && part.charCodeAt(i) === 48 && isDigit(part.charCodeAt(i + 1))) i++;
    const start = i;
    while (i < part.length && isDigit(part.charCodeAt(i))) i++;
    out.push([String.fromCharCode(...codes), start === i ? '0' : part.slice(start, i)]);
  }
  return out;
}

const EMPTY: Segment = [END, '0'];

function compareSegments(a: readonly Segment[], b: readonly Segment[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] ?? EMPTY;
    const y = b[i] ?? EMPTY;
    if (x[0] !== y[0]) return x[0] < y[0] ? -1 : 1;
    const dx = x[1];
    const dy = y[1];
    if (dx !== dy) {
      if (dx.length !== dy.length) return dx.length < dy.length ? -1 : 1;
      return dx < dy ? -1 : 1;
    }
  }
  return 0;
}

const INT_MAX = 2147483647;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isBlank(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}
function isAlpha(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** Parses like dpkg's `parseversion()`, treating its warnings as errors (dpkg refuses such versions in new packages). */
export function parseDpkgVersion(input: string): DpkgVersion {
  // dpkg skips surrounding blanks, but blanks inside are an error.
  const s = isBlank(input.charCodeAt(0)) || isBlank(input.charCodeAt(input.length - 1)) ? input.replace(/^[ \t\n\r\f\v]+|[ \t\n\r\f\v]+$/g, '') : input;
  if (s === '') invalid('dpkg', input, 'version string is empty');
  for (let i = 0; i < s.length; i++) if (isBlank(s.charCodeAt(i))) invalid('dpkg', input, 'version string has embedded spaces');
  let rest = s;
  let epoch = 0;
  const colon = s.indexOf(':');
  if (colon >= 0) {
    const e = s.slice(0, colon);
    if (e === '') invalid('dpkg', input, 'epoch in version is empty');
    if (!/^[+-]?[0-9]+$/.test(e)) invalid('dpkg', input, 'epoch in version is not number');
    const n = Number(e);
    if (n < 0) invalid('dpkg', input, 'epoch in version is negative');
    if (n > INT_MAX) invalid('dpkg', input, 'epoch in version is too big');
    epoch = n === 0 ? 0 : n; // -0 is 0
    rest = s.slice(colon + 1);
    if (rest === '') invalid('dpkg', input, 'nothing after colon in version number');
  }
  let upstream = rest;
  let revision = '';
  const hyphen = rest.lastIndexOf('-');
  if (hyphen >= 0) {
    upstream = rest.slice(0, hyphen);
    revision = rest.slice(hyphen + 1);
    if (revision === '') invalid('dpkg', input, 'revision number is empty');
  }
  if (upstream === '') invalid('dpkg', input, 'upstream version is empty');
  if (!isDigit(upstream.charCodeAt(0))) invalid('dpkg', input, 'version number does not start with digit');
  for (let i = 0; i < upstream.length; i++) {
    const c = upstream.charCodeAt(i);
    if (!isDigit(c) && !isAlpha(c) && '.-+~:'.indexOf(upstream[i]!) < 0) {
      invalid('dpkg', input, `invalid character "${upstream[i]}" in version number`);
    }
  }
  for (let i = 0; i < revision.length; i++) {
    const c = revision.charCodeAt(i);
    if (!isDigit(c) && !isAlpha(c) && '.+~'.indexOf(revision[i]!) < 0) {
      invalid('dpkg', input, `invalid character "${revision[i]}" in revision number`);
    }
  }
  return { epoch, upstream, revision, keys: { upstream: segments(upstream), revision: segments(revision) } };
}

/** dpkg's `order()`: `~` first, then the end of a part and digits, then letters, then other symbols. */
function order(c: number): number {
  if (Number.isNaN(c) || isDigit(c)) return 0;
  if (isAlpha(c)) return c;
  if (c === 126) return -1;
  return c + 256;
}

/** dpkg's `verrevcmp()` on one part (upstream or revision). */
export function verrevcmp(a: string, b: string): number {
  let i = 0;
  let j = 0;
  const la = a.length;
  const lb = b.length;
  while (i < la || j < lb) {
    let firstDiff = 0;
    while ((i < la && !isDigit(a.charCodeAt(i))) || (j < lb && !isDigit(b.charCodeAt(j)))) {
      const ac = order(a.charCodeAt(i));
      const bc = order(b.charCodeAt(j));
      if (ac !== bc) return sign(ac - bc);
      i++;
      j++;
    }
    while (a.charCodeAt(i) === 48) i++;
    while (b.charCodeAt(j) === 48) j++;
    while (i < la && j < lb && isDigit(a.charCodeAt(i)) && isDigit(b.charCodeAt(j))) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (i < la && isDigit(a.charCodeAt(i))) return 1;
    if (j < lb && isDigit(b.charCodeAt(j))) return -1;
    if (firstDiff !== 0) return sign(firstDiff);
  }
  return 0;
}

/** dpkg's `dpkg_version_compare()`: epoch, then upstream, then revision (on the pre-split keys). */
export function compareDpkgVersions(a: DpkgVersion, b: DpkgVersion): number {
  if (a.epoch !== b.epoch) return a.epoch < b.epoch ? -1 : 1;
  return compareSegments(a.keys.upstream, b.keys.upstream) || compareSegments(a.keys.revision, b.keys.revision);
}

/** The dpkg version scheme (Debian, Ubuntu). */
export const dpkg = defineScheme<DpkgVersion>({ id: 'dpkg', parse: parseDpkgVersion, compare: compareDpkgVersions });
