/**
 * Alpine/Wolfi/Chainguard package version ordering, as apk-tools 3.x implements it
 * (`src/version.c`): `digit{.digit}…{letter}{_suffix{#}}…{~hash}{-r#}`. Suffixes sort
 * `_alpha < _beta < _pre < _rc < (none) < _cvs < _svn < _git < _hg < _p`; a number with a
 * leading zero (after the first) compares as a string, as in Gentoo.
 */
import { compareDigits, compareStrings, defineScheme, invalid } from './cache.js';

/** Token kinds in apk-tools' order; a later kind ends the version sooner. */
const enum Tok {
  InitialDigit = 0,
  Digit = 1,
  Letter = 2,
  Suffix = 3,
  SuffixNo = 4,
  CommitHash = 5,
  RevisionNo = 6,
  End = 7,
  Invalid = 8,
}

const SUFFIX_NONE = 5;
const SUFFIXES: Readonly<Record<string, number>> = { alpha: 1, beta: 2, pre: 3, rc: 4, cvs: 6, svn: 7, git: 8, hg: 9, p: 10 };

/** One token of an apk version; `value` is the raw text (digits, letter, suffix name or hash). */
export interface ApkToken {
  tok: number;
  value: string;
  /** Suffix weight for suffix tokens. */
  suffix: number;
}

/** A parsed apk version: its tokens, ending with an End (or, from {@link tokenizeApk}, Invalid) token. */
export interface ApkVersion {
  tokens: ApkToken[];
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Splits a version into apk-tools tokens; the last token is End or Invalid. Never throws. */
export function tokenizeApk(s: string): ApkToken[] {
  const out: ApkToken[] = [];
  let p = 0;
  const digits = (tok: number): ApkToken => {
    const start = p;
    while (p < s.length && isDigit(s.charCodeAt(p))) p++;
    return { tok: p === start ? Tok.Invalid : tok, value: s.slice(start, p), suffix: 0 };
  };
  let t = digits(Tok.InitialDigit);
  out.push(t);
  while (t.tok < Tok.End) {
    const prev = t.tok;
    if (p >= s.length) {
      t = { tok: Tok.End, value: '', suffix: 0 };
    } else {
      const ch = s[p]!;
      const c = s.charCodeAt(p);
      if (c >= 97 && c <= 122) {
        t = prev > Tok.Digit ? bad() : { tok: Tok.Letter, value: ch, suffix: 0 };
        p++;
      } else if (ch === '.') {
        p++;
        t = prev > Tok.Digit ? bad() : digits(Tok.Digit);
      } else if (isDigit(c)) {
        // Digits after the letter (`6.6.1p1`) are apk-tools 2.x syntax, which Alpine's indexes
        // up to 3.22 and its secdb use; apk-tools 3 rejects them, so they are accepted here.
        if (prev === Tok.Suffix) t = digits(Tok.SuffixNo);
        else if (prev === Tok.Letter) t = digits(Tok.Digit);
        else t = bad();
      } else if (ch === '_') {
        if (prev > Tok.SuffixNo) t = bad();
        else {
          p++;
          const start = p;
          while (p < s.length && s.charCodeAt(p) >= 97 && s.charCodeAt(p) <= 122) p++;
          const name = s.slice(start, p);
          const w = SUFFIXES[name];
          t = w === undefined ? bad() : { tok: Tok.Suffix, value: name, suffix: w };
        }
      } else if (ch === '~') {
        if (prev >= Tok.CommitHash) t = bad();
        else {
          p++;
          const start = p;
          while (p < s.length && /[0-9a-f]/.test(s[p]!)) p++;
          t = p === start ? bad() : { tok: Tok.CommitHash, value: s.slice(start, p), suffix: 0 };
        }
      } else if (ch === '-') {
        if (prev >= Tok.RevisionNo || s[p + 1] !== 'r') t = bad();
        else {
          p += 2;
          t = digits(Tok.RevisionNo);
        }
      } else {
        t = bad();
      }
    }
    out.push(t);
  }
  return out;
}

function bad(): ApkToken {
  return { tok: Tok.Invalid, value: '', suffix: 0 };
}

function tokenCmp(a: ApkToken, b: ApkToken): number {
  switch (a.tok) {
    case Tok.Digit:
      // A leading zero makes the part compare as a string (Gentoo rule): 1.01 < 1.1 but 1.001 < 1.01.
      if (a.value[0] === '0' || b.value[0] === '0') return compareStrings(a.value, b.value);
      return compareDigits(a.value, b.value);
    case Tok.InitialDigit:
    case Tok.SuffixNo:
    case Tok.RevisionNo:
      return compareDigits(a.value, b.value);
    case Tok.Letter:
      return compareStrings(a.value, b.value);
    case Tok.Suffix:
      return a.suffix === b.suffix ? 0 : a.suffix < b.suffix ? -1 : 1;
    default:
      return compareStrings(a.value, b.value);
  }
}

/**
 * apk-tools' comparison on token lists, defined for any strings (apk orders invalid versions
 * too). With `fuzzy`, a version that starts with all of `b` matches it (`3.6.1 ~ 3.6`).
 */
export function compareApkTokens(ta: readonly ApkToken[], tb: readonly ApkToken[], fuzzy = false): number {
  let i = 0;
  for (;;) {
    const a = ta[i]!;
    const b = tb[i]!;
    if (a.tok !== b.tok || a.tok >= Tok.End) {
      if (a.tok === b.tok) return 0;
      if (b.tok === Tok.End && fuzzy) return 0;
      // Equal so far: the longer version is newer unless what follows is a pre-release suffix.
      if (a.tok === Tok.Suffix && a.suffix < SUFFIX_NONE) return -1;
      if (b.tok === Tok.Suffix && b.suffix < SUFFIX_NONE) return 1;
      if (a.tok > b.tok) return -1;
      if (b.tok > a.tok) return 1;
      return 0;
    }
    const r = tokenCmp(a, b);
    if (r !== 0) return r;
    i++;
  }
}

/** apk-tools' `apk_version_compare()` on raw strings, valid or not (for tests and diagnostics). */
export function compareApkRaw(a: string, b: string, fuzzy = false): number {
  return compareApkTokens(tokenizeApk(a), tokenizeApk(b), fuzzy);
}

/** Parses a version that `apk_version_validate()` accepts. */
export function parseApkVersion(input: string): ApkVersion {
  const tokens = tokenizeApk(input);
  if (tokens[tokens.length - 1]!.tok !== Tok.End) {
    invalid('apk', input, input === '' ? 'version string is empty' : 'not of the form digit{.digit}…{letter}{_suffix{#}}…{~hash}{-r#}');
  }
  return { tokens };
}

/** The apk version scheme (Alpine, Wolfi, Chainguard). */
export const apk = defineScheme<ApkVersion>({
  id: 'apk',
  parse: parseApkVersion,
  compare: (a, b) => compareApkTokens(a.tokens, b.tokens),
});
