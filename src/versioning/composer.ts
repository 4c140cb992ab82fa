/**
 * Packagist (Composer) version ordering, as OSV evaluates it: a leading `v`/`V` is dropped (as
 * Composer's normaliser does) and the rest is ordered by PHP's `version_compare()`: `-`, `_`, `+`
 * and other symbols separate parts, letter/digit transitions separate too, and letter parts
 * order `dev < alpha = a < beta = b < RC = rc < (number) < pl = p` with any other word first.
 *
 * Deliberate differences from PHP: numbers compare without size limit (PHP saturates at
 * LONG_MAX), `#` stays a part of its own ("any number", as PHP uses it internally) instead of
 * becoming a separator, and trailing separators are ignored (PHP orders "1.0." below itself).
 */
import { compareDigits, defineScheme, hasSpaceOrControl, invalid } from './cache.js';

/** A parsed Packagist version: the canonical dotted string and its parts. */
export interface ComposerVersion {
  canonical: string;
  parts: string[];
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}
function isDigitCode(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isAlnumOrHashCode(c: number): boolean {
  return isDigitCode(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 35;
}

const DOT = 46;

/** PHP's `php_canonicalize_version()` (with `#` kept): `1.0RC1-2` → `1.0.RC.1.2`. */
export function canonicalizePhpVersion(v: string): string {
  if (v === '') return '';
  // Character codes rather than one-character strings and regexes: this runs once per parse,
  // over every character (PHP's loop, transliterated: lp is the previous input character, lq
  // the last output character).
  let out = v[0]!;
  let lp = v.charCodeAt(0);
  let lq = lp;
  for (let i = 1; i < v.length; i++) {
    const ch = v.charCodeAt(i);
    const chDigit = isDigitCode(ch);
    const lpDigit = isDigitCode(lp);
    if (ch === 45 /* - */ || ch === 95 /* _ */ || ch === 43 /* + */) {
      if (lq !== DOT) out += '.';
      lq = DOT;
    } else if ((!lpDigit && lp !== DOT && chDigit) || (lpDigit && !chDigit && ch !== DOT)) {
      if (lq !== DOT) out += '.';
      out += v[i];
      lq = ch;
    } else if (!isAlnumOrHashCode(ch)) {
      if (lq !== DOT) out += '.';
      lq = DOT;
    } else {
      out += v[i];
      lq = ch;
    }
    lp = ch;
  }
  return out;
}

const SPECIAL_FORMS: ReadonlyArray<[string, number]> = [
  ['dev', 0],
  ['alpha', 1],
  ['a', 1],
  ['beta', 2],
  ['b', 2],
  ['RC', 3],
  ['rc', 3],
  ['#', 4],
  ['pl', 5],
  ['p', 5],
];

function specialForm(form: string): number {
  for (const [name, order] of SPECIAL_FORMS) if (form.startsWith(name)) return order;
  return -1;
}
function compareSpecial(a: string, b: string): number {
  return Math.sign(specialForm(a) - specialForm(b));
}

/** PHP's `php_version_compare()` on two strings, numbers unbounded. */
export function phpVersionCompare(orig1: string, orig2: string): number {
  if (orig1 === '' || orig2 === '') {
    if (orig1 === orig2) return 0;
    return orig1 !== '' ? 1 : -1;
  }
  const v1 = orig1[0] === '#' ? orig1 : canonicalizePhpVersion(orig1);
  const v2 = orig2[0] === '#' ? orig2 : canonicalizePhpVersion(orig2);
  return compareCanonical(v1, v2);
}

/** The body of `php_version_compare()` on already canonical strings (canonicalising twice changes them). */
function compareCanonical(v1: string, v2: string): number {
  // Walk the parts like PHP's strchr loop: p is the part's start, n the next '.' (or -1).
  let p1 = 0;
  let p2 = 0;
  let n1 = 0;
  let n2 = 0;
  let compare = 0;
  while (p1 < v1.length && p2 < v2.length && n1 !== -1 && n2 !== -1) {
    n1 = v1.indexOf('.', p1);
    n2 = v2.indexOf('.', p2);
    const part1 = v1.slice(p1, n1 === -1 ? undefined : n1);
    const part2 = v2.slice(p2, n2 === -1 ? undefined : n2);
    const d1 = isDigit(part1[0]);
    const d2 = isDigit(part2[0]);
    if (d1 && d2) compare = compareDigits(leadingDigits(part1), leadingDigits(part2));
    else if (!d1 && !d2) compare = compareSpecial(part1, part2);
    else compare = d1 ? compareSpecial('#N#', part2) : compareSpecial(part1, '#N#');
    if (compare !== 0) break;
    if (n1 !== -1) p1 = n1 + 1;
    if (n2 !== -1) p2 = n2 + 1;
  }
  if (compare === 0) {
    // PHP canonicalises the rest again here, so this recursion goes through the full function.
    if (n1 !== -1) {
      compare = isDigit(v1[p1]) ? 1 : phpVersionCompare(v1.slice(p1), '#N#');
    } else if (n2 !== -1) {
      compare = isDigit(v2[p2]) ? -1 : phpVersionCompare('#N#', v2.slice(p2));
    }
  }
  return compare;
}

function leadingDigits(s: string): string {
  const m = /^\d+/.exec(s);
  return m ? m[0] : '0';
}

/** Parses a Packagist version: strips a leading `v`/`V` and canonicalises like PHP. */
export function parseComposerVersion(input: string): ComposerVersion {
  if (input.trim() === '') invalid('composer', input, 'version string is empty');
  if (hasSpaceOrControl(input)) invalid('composer', input, 'contains whitespace or control characters');
  const stripped = input.replace(/^[vV]/, '');
  if (stripped === '') invalid('composer', input, 'nothing after the "v"');
  // PHP orders a version with trailing separators below itself ("1.0." < "1.0."), which is no
  // order at all; trailing separators are dropped so that the order stays total.
  const canonical = (stripped[0] === '#' ? stripped : canonicalizePhpVersion(stripped)).replace(/\.+$/, '');
  if (canonical === '') invalid('composer', input, 'no version parts');
  return { canonical, parts: canonical.split('.') };
}

/** The Composer/Packagist scheme. */
export const composer = defineScheme<ComposerVersion>({
  id: 'composer',
  parse: parseComposerVersion,
  compare: (a, b) => compareCanonical(a.canonical, b.canonical),
});
