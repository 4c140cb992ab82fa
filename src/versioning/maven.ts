/**
 * Maven version ordering: `ComparableVersion` semantics as in Maven 4 (apache/maven master,
 * which also passes Maven 3.9.x's own ComparableVersionTest). Dots and hyphens separate items, a letter/digit
 * transition separates too, hyphens open a sub-list, well-known qualifiers order
 * `alpha < beta < milestone < rc = cr < snapshot < (release) = ga = final = release < sp`,
 * unknown qualifiers sort after them in lexical order, and trailing "null" items are dropped.
 */
import { compareDigits, compareStrings, defineScheme, hasSpaceOrControl, invalid } from './cache.js';

/** Maven 4 refuses longer version strings (they are a denial-of-service risk). */
const MAX_VERSION_LENGTH = 256;

/** One item of a parsed Maven version. */
export type MavenItem =
  | { kind: 'num'; digits: string }
  | { kind: 'str'; value: string }
  | { kind: 'combo'; str: { kind: 'str'; value: string }; digit: MavenItem }
  | { kind: 'list'; items: MavenItem[] };

/** A parsed Maven version: the top-level list of items. */
export interface MavenVersion {
  items: { kind: 'list'; items: MavenItem[] };
}

const QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
const RELEASE_QUALIFIERS = new Set(['ga', 'final', 'release']);
const RELEASE_INDEX = String(QUALIFIERS.indexOf(''));

function comparableQualifier(q: string): string {
  if (RELEASE_QUALIFIERS.has(q)) return RELEASE_INDEX;
  const i = QUALIFIERS.indexOf(q);
  return i === -1 ? `${QUALIFIERS.length}-${q}` : String(i);
}

function stringItem(value: string, followedByDigit: boolean): { kind: 'str'; value: string } {
  let v = value;
  if (followedByDigit && v.length === 1) {
    // a1 = alpha-1, b1 = beta-1, m1 = milestone-1
    if (v === 'a') v = 'alpha';
    else if (v === 'b') v = 'beta';
    else if (v === 'm') v = 'milestone';
  }
  if (v === 'cr') v = 'rc';
  return { kind: 'str', value: v };
}

function numberItem(buf: string): MavenItem {
  const digits = buf.replace(/^0+/, '');
  return { kind: 'num', digits: digits === '' ? '0' : digits };
}

function comboItem(value: string): MavenItem {
  // Java's Character.isDigit: any Unicode decimal digit.
  const m = /\p{Nd}/u.exec(value);
  const index = m ? m.index : 0;
  return { kind: 'combo', str: stringItem(value.slice(0, index), true), digit: numberItem(value.slice(index)) };
}

function parseItem(isCombination: boolean, isDigit: boolean, buf: string): MavenItem {
  if (isCombination) return comboItem(buf.replaceAll('-', ''));
  if (isDigit) return numberItem(buf);
  return stringItem(buf, false);
}

function isNull(item: MavenItem): boolean {
  switch (item.kind) {
    case 'num':
      return item.digits === '0';
    case 'str':
      return item.value === '';
    case 'combo':
      return false;
    case 'list':
      return item.items.length === 0;
  }
}

function normalize(list: MavenItem[]): void {
  for (let i = list.length - 1; i >= 0; i--) {
    if (!isNull(list[i]!)) continue;
    const next = list[i + 1];
    if (i === list.length - 1 || next!.kind === 'str') {
      list.splice(i, 1);
    } else if (next!.kind === 'list') {
      const first = next!.items[0];
      if (first && (first.kind === 'combo' || first.kind === 'str')) list.splice(i, 1);
    }
  }
  if (list.length === 1 && list[0]!.kind === 'list') {
    // Removing a zero prefix must not leave an extra qualifier nesting level.
    const inner = list[0].items;
    list.length = 0;
    list.push(...inner);
  }
}

/** Parses like `ComparableVersion.parseVersion`. */
export function parseMavenVersion(input: string): MavenVersion {
  if (input === '') invalid('maven', input, 'version string is empty');
  if (input.length > MAX_VERSION_LENGTH) invalid('maven', input, `longer than ${MAX_VERSION_LENGTH} characters`);
  if (hasSpaceOrControl(input)) invalid('maven', input, 'contains whitespace or control characters');
  const version = input.toLowerCase();
  const top: { kind: 'list'; items: MavenItem[] } = { kind: 'list', items: [] };
  let list = top;
  const stack = [top];
  const push = (): void => {
    const sub: { kind: 'list'; items: MavenItem[] } = { kind: 'list', items: [] };
    list.items.push(sub);
    list = sub;
    stack.push(sub);
  };
  let isDigit = false;
  let isCombination = false;
  let start = 0;
  for (let i = 0; i < version.length; i++) {
    let c = version.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < version.length) {
      c = version.codePointAt(i)!;
      i++;
    }
    if (c === 46 /* . */) {
      list.items.push(i === start ? { kind: 'num', digits: '0' } : parseItem(isCombination, isDigit, version.slice(start, i)));
      isCombination = false;
      start = i + 1;
    } else if (c === 45 /* - */) {
      if (i === start) {
        list.items.push({ kind: 'num', digits: '0' });
      } else {
        // X-1 is treated as X1.
        if (!isDigit && i !== version.length - 1) {
          const c1 = version[i + 1]!;
          if (/\p{Nd}/u.test(c1)) {
            isCombination = true;
            continue;
          }
        }
        list.items.push(parseItem(isCombination, isDigit, version.slice(start, i)));
      }
      start = i + 1;
      if (list.items.length > 0) push();
      isCombination = false;
    } else if (c >= 48 && c <= 57) {
      if (!isDigit && i > start) {
        // X1
        isCombination = true;
        if (list.items.length > 0) push();
      }
      isDigit = true;
    } else {
      if (isDigit && i > start) {
        list.items.push(parseItem(isCombination, true, version.slice(start, i)));
        start = i;
        push();
        isCombination = false;
      }
      isDigit = false;
    }
  }
  if (version.length > start) {
    // 1.0.0.X1 < 1.0.0-X2: treat .X as -X for any string qualifier X.
    if (!isDigit && list.items.length > 0) push();
    list.items.push(parseItem(isCombination, isDigit, version.slice(start)));
  }
  while (stack.length > 0) normalize(stack.pop()!.items);
  return { items: top };
}

/** `Item.compareTo`, with `undefined` for Java's `null` (a missing item). */
function cmp(a: MavenItem, b: MavenItem | undefined): number {
  switch (a.kind) {
    case 'num':
      if (b === undefined) return a.digits === '0' ? 0 : 1;
      if (b.kind === 'num') return compareDigits(a.digits, b.digits);
      return 1; // 1.1 > 1-sp, 1.1 > 1-1
    case 'str':
      if (b === undefined) return compareStrings(comparableQualifier(a.value), RELEASE_INDEX);
      switch (b.kind) {
        case 'num':
          return -1;
        case 'str':
          return compareStrings(comparableQualifier(a.value), comparableQualifier(b.value));
        case 'combo': {
          const r = cmp(a, b.str);
          if (r !== 0) return r;
          return cmp(a, undefined) === 0 ? -cmp(b.digit, undefined) : -1;
        }
        case 'list':
          return -cmp(b, a);
      }
      break;
    case 'combo':
      if (b === undefined) {
        const r = cmp(a.str, undefined);
        return r === 0 ? cmp(a.digit, undefined) : r;
      }
      switch (b.kind) {
        case 'num':
          return -1;
        case 'str': {
          const r = cmp(a.str, b);
          if (r !== 0) return r;
          // X1 > X
          return cmp(a.str, undefined) === 0 ? cmp(a.digit, undefined) : 1;
        }
        case 'list':
          return -cmp(b, a);
        case 'combo':
          return cmp(a.str, b.str) || cmp(a.digit, b.digit);
      }
      break;
    case 'list':
      if (b === undefined) {
        for (const item of a.items) {
          const r = cmp(item, undefined);
          if (r !== 0) return r;
        }
        return 0;
      }
      switch (b.kind) {
        case 'num':
          return -1; // 1-1 < 1.0.x
        case 'str':
        case 'combo': {
          let r = a.items.length === 0 ? -cmp(b, undefined) : cmp(a.items[0]!, b);
          for (let i = 1; r === 0 && i < a.items.length; i++) r = cmp(a.items[i]!, undefined);
          return r;
        }
        case 'list': {
          const n = Math.max(a.items.length, b.items.length);
          for (let i = 0; i < n; i++) {
            const l = a.items[i];
            const r = b.items[i];
            const res = l === undefined ? (r === undefined ? 0 : -cmp(r, undefined)) : cmp(l, r);
            if (res !== 0) return res;
          }
          return 0;
        }
      }
  }
  return 0;
}

/** `ComparableVersion.compareTo`. */
export function compareMavenVersions(a: MavenVersion, b: MavenVersion): number {
  return Math.sign(cmp(a.items, b.items));
}

/** `ComparableVersion.getCanonical()`, for diagnostics. */
export function mavenCanonical(v: MavenVersion): string {
  const show = (item: MavenItem): string => {
    switch (item.kind) {
      case 'num':
        return item.digits;
      case 'str':
        return item.value;
      case 'combo':
        return item.str.value + show(item.digit);
      case 'list':
        return item.items.map((x, i) => (i === 0 ? '' : x.kind === 'list' ? '-' : '.') + show(x)).join('');
    }
  };
  return show(v.items);
}

/** The Maven scheme. */
export const maven = defineScheme<MavenVersion>({ id: 'maven', parse: parseMavenVersion, compare: compareMavenVersions });
