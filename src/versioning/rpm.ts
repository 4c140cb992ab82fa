/**
 * RPM version ordering, as rpm implements it (`rpmio/rpmvercmp.c` and `rpmver.c`):
 * `[epoch:]version[-release]`, compared segment by segment with `rpmvercmp()`, where `~` sorts
 * before everything and `^` after the base version but before any other suffix.
 */
import { defineScheme, hasSpaceOrControl, invalid } from './cache.js';

/** A parsed RPM EVR. */
export interface RpmVersion {
  /** Epoch digits; `'0'` when absent (rpm treats a missing epoch as 0). */
  epoch: string;
  version: string;
  /** `undefined` when the string has no `-`. */
  release?: string;
  /** Epoch, version and release pre-split into rpmvercmp's segments, for fast comparison. */
  readonly tokens: { epoch: RpmToken[]; version: RpmToken[]; release?: RpmToken[] };
}

/** One rpmvercmp segment: `~`, `^`, a digit run (leading zeros dropped) or a letter run. */
export type RpmToken = { kind: '~' | '^' } | { kind: 'num' | 'alpha'; text: string };

/** Splits like rpmvercmp walks: separators (anything not alphanumeric, `~` or `^`) vanish. */
export function rpmTokens(s: string): RpmToken[] {
  const out: RpmToken[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (s[i] === '~' || s[i] === '^') {
      out.push({ kind: s[i] as '~' | '^' });
      i++;
    } else if (isDigit(c)) {
      const start = i;
      while (i < s.length && isDigit(s.charCodeAt(i))) i++;
      out.push({ kind: 'num', text: s.slice(start, i).replace(/^0+/, '') });
    } else if (isAlpha(c)) {
      const start = i;
      while (i < s.length && isAlpha(s.charCodeAt(i))) i++;
      out.push({ kind: 'alpha', text: s.slice(start, i) });
    } else {
      i++;
    }
  }
  return out;
}

/** rpmvercmp over pre-split segments; the same answers as {@link rpmvercmp} on the strings. */
export function compareRpmTokens(a: readonly RpmToken[], b: readonly RpmToken[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i];
    const y = b[i];
    if ((x && x.kind === '~') || (y && y.kind === '~')) {
      if (!x || x.kind !== '~') return 1;
      if (!y || y.kind !== '~') return -1;
      continue;
    }
    if ((x && x.kind === '^') || (y && y.kind === '^')) {
      if (!x) return -1;
      if (!y) return 1;
      if (x.kind !== '^') return 1;
      if (y.kind !== '^') return -1;
      continue;
    }
    if (!x || !y) return x ? 1 : y ? -1 : 0;
    const xt = (x as { text: string }).text;
    const yt = (y as { text: string }).text;
    if (x.kind !== y.kind) return x.kind === 'num' ? 1 : -1;
    if (x.kind === 'num' && xt.length !== yt.length) return xt.length > yt.length ? 1 : -1;
    if (xt !== yt) return xt < yt ? -1 : 1;
  }
  return 0;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isAlpha(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}
function isAlnum(c: number): boolean {
  return isDigit(c) || isAlpha(c);
}

/**
 * Splits an EVR like rpm's `parseEVR()`: leading digits followed by `:` are the epoch, and
 * everything after the last `-` (after the epoch) is the release.
 */
export function parseRpmVersion(input: string): RpmVersion {
  if (input === '') invalid('rpm', input, 'version string is empty');
  // rpm itself never sees blanks or control characters in an EVR: header fields cannot hold them.
  if (hasSpaceOrControl(input)) invalid('rpm', input, 'contains whitespace or control characters');
  const evr = splitEvr(input);
  return {
    ...evr,
    tokens: {
      epoch: rpmTokens(evr.epoch),
      version: rpmTokens(evr.version),
      ...(evr.release === undefined ? {} : { release: rpmTokens(evr.release) }),
    },
  };
}

function splitEvr(input: string): { epoch: string; version: string; release?: string } {
  let s = 0;
  while (s < input.length && isDigit(input.charCodeAt(s))) s++;
  let epoch = '0';
  let rest = input;
  if (input.charCodeAt(s) === 58 /* : */) {
    epoch = input.slice(0, s) || '0';
    rest = input.slice(s + 1);
  }
  const dash = rest.lastIndexOf('-');
  // The epoch digits cannot hold a '-', so the last '-' of the rest is rpm's version terminator.
  if (dash < 0) return { epoch, version: rest };
  return { epoch, version: rest.slice(0, dash), release: rest.slice(dash + 1) };
}

/** rpm's `rpmvercmp()` on one version or release string; -1, 0 or 1. */
export function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  const la = a.length;
  const lb = b.length;
  while (i < la || j < lb) {
    while (i < la && !isAlnum(a.charCodeAt(i)) && a[i] !== '~' && a[i] !== '^') i++;
    while (j < lb && !isAlnum(b.charCodeAt(j)) && b[j] !== '~' && b[j] !== '^') j++;
    const ca = i < la ? a[i] : '';
    const cb = j < lb ? b[j] : '';
    // Tilde sorts before everything else.
    if (ca === '~' || cb === '~') {
      if (ca !== '~') return 1;
      if (cb !== '~') return -1;
      i++;
      j++;
      continue;
    }
    // Caret is like tilde, except that the end of the other string (the base version) sorts lower.
    if (ca === '^' || cb === '^') {
      if (ca === '') return -1;
      if (cb === '') return 1;
      if (ca !== '^') return 1;
      if (cb !== '^') return -1;
      i++;
      j++;
      continue;
    }
    if (ca === '' || cb === '') break;
    let ei = i;
    let ej = j;
    let isNum: boolean;
    if (isDigit(a.charCodeAt(i))) {
      while (ei < la && isDigit(a.charCodeAt(ei))) ei++;
      while (ej < lb && isDigit(b.charCodeAt(ej))) ej++;
      isNum = true;
    } else {
      while (ei < la && isAlpha(a.charCodeAt(ei))) ei++;
      while (ej < lb && isAlpha(b.charCodeAt(ej))) ej++;
      isNum = false;
    }
    // Segments of different types: numeric is newer than alpha.
    if (ej === j) return isNum ? 1 : -1;
    let sa = a.slice(i, ei);
    let sb = b.slice(j, ej);
    if (isNum) {
      sa = sa.replace(/^0+/, '');
      sb = sb.replace(/^0+/, '');
      if (sa.length !== sb.length) return sa.length > sb.length ? 1 : -1;
    }
    if (sa !== sb) return sa < sb ? -1 : 1;
    i = ei;
    j = ej;
  }
  if (i >= la && j >= lb) return 0;
  return i >= la ? -1 : 1;
}

/**
 * Orders two EVRs: epoch, version, then release. A missing release sorts before any release:
 * rpm's dependency matching instead ignores the release when one side lacks it, which is not a
 * total order (`1.0-1 = 1.0 = 1.0-2`), and installed packages always carry one.
 */
export function compareRpmVersions(a: RpmVersion, b: RpmVersion): number {
  const e = compareRpmTokens(a.tokens.epoch, b.tokens.epoch);
  if (e !== 0) return e;
  const v = compareRpmTokens(a.tokens.version, b.tokens.version);
  if (v !== 0) return v;
  if (a.tokens.release === undefined || b.tokens.release === undefined) {
    if (a.tokens.release === b.tokens.release) return 0;
    return a.tokens.release === undefined ? -1 : 1;
  }
  return compareRpmTokens(a.tokens.release, b.tokens.release);
}

/** The RPM version scheme (Red Hat and its rebuilds, SUSE, Fedora, Amazon, Oracle, Azure Linux, …). */
export const rpm = defineScheme<RpmVersion>({ id: 'rpm', parse: parseRpmVersion, compare: compareRpmVersions });
