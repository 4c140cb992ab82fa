/**
 * Turning native version constraints (`>= 1.2, < 2.0`, `~> 3.2.1`) into OSV range events.
 * Native formats list either the affected intervals (FriendsOfPHP) or the safe ones
 * (RubySec: patched and unaffected), so both directions are here.
 */
import type { OsvEvent } from '../types.js';

/** One end of an interval; `inclusive` says whether the version itself is inside. */
export interface Bound {
  version: string;
  inclusive: boolean;
}

/** A version interval; a missing end is unbounded. */
export interface Interval {
  lo?: Bound;
  hi?: Bound;
}

/** Thrown for a constraint that cannot be read; the message names it. */
export class ConstraintError extends Error {}

/**
 * Parses one conjunction (`>= 1.0, < 2.0` or `>=1.0 <2.0`) into an interval. `~>` is
 * RubyGems' pessimistic operator: `~> 3.2.1` means `>= 3.2.1, < 3.3`.
 */
export function parseConjunction(text: string): Interval {
  const out: Interval = {};
  const parts = text
    .split(/,|\s+(?=[<>=~!])/)
    .map((p) => p.trim())
    .filter(Boolean);
  if (parts.length === 0) throw new ConstraintError(`empty version constraint "${text}"`);
  for (const part of parts) {
    const m = /^(>=|<=|>|<|==|=|~>|!=)?\s*v?([0-9A-Za-z][0-9A-Za-z.\-+_]*)$/.exec(part);
    if (!m) throw new ConstraintError(`unreadable version constraint "${part}"`);
    const op = m[1] ?? '=';
    const version = m[2];
    switch (op) {
      case '>=':
        out.lo = { version, inclusive: true };
        break;
      case '>':
        out.lo = { version, inclusive: false };
        break;
      case '<':
        out.hi = { version, inclusive: false };
        break;
      case '<=':
        out.hi = { version, inclusive: true };
        break;
      case '=':
      case '==':
        out.lo = { version, inclusive: true };
        out.hi = { version, inclusive: true };
        break;
      case '~>': {
        out.lo = { version, inclusive: true };
        out.hi = { version: pessimisticCeiling(version), inclusive: false };
        break;
      }
      default:
        throw new ConstraintError(`unsupported operator in "${part}"`);
    }
  }
  return out;
}

/** `~> 3.2.1` → `3.3`; `~> 3.2` → `4`; `~> 3` → `4`. Pre-release parts are dropped first. */
export function pessimisticCeiling(version: string): string {
  const segments = version.split('.');
  const numeric: number[] = [];
  for (const s of segments) {
    if (!/^\d+$/.test(s)) break;
    numeric.push(Number(s));
  }
  if (numeric.length === 0) throw new ConstraintError(`cannot apply ~> to "${version}"`);
  const keep = numeric.length === 1 ? 1 : numeric.length - 1;
  const head = numeric.slice(0, keep);
  head[head.length - 1] += 1;
  return head.join('.');
}

/** OSV events for affected intervals given as they are (each becomes introduced → fixed). */
export function eventsForAffected(intervals: readonly Interval[]): OsvEvent[] {
  const events: OsvEvent[] = [];
  for (const iv of intervals) {
    // OSV's `introduced` is inclusive; an exclusive lower bound is rare enough that
    // marking the bound itself affected (a false positive, never a miss) is the safe side.
    events.push({ introduced: iv.lo?.version ?? '0' });
    if (iv.hi) events.push(iv.hi.inclusive ? { last_affected: iv.hi.version } : { fixed: iv.hi.version });
  }
  return events;
}

/**
 * OSV events for everything outside the safe intervals, using the ecosystem's order.
 * Returns [] when every version is safe.
 */
export function eventsOutside(safe: readonly Interval[], compare: (a: string, b: string) => number): OsvEvent[] {
  const lowCmp = (a?: Bound, b?: Bound): number => (!a ? (!b ? 0 : -1) : !b ? 1 : compare(a.version, b.version));
  const sorted = [...safe].sort((a, b) => lowCmp(a.lo, b.lo));
  // Merge overlapping or touching safe intervals.
  const merged: Interval[] = [];
  for (const iv of sorted) {
    const last = merged[merged.length - 1];
    if (last && (!last.hi || (iv.lo && overlaps(last.hi, iv.lo, compare)) || !iv.lo)) {
      if (!last.hi || !iv.hi) last.hi = undefined;
      else if (compare(iv.hi.version, last.hi.version) > 0) last.hi = iv.hi;
      continue;
    }
    merged.push({ ...iv });
  }
  const events: OsvEvent[] = [];
  let open = true; // affected from the very bottom until the first safe interval
  let start = '0';
  for (const iv of merged) {
    if (iv.lo) {
      if (open) {
        events.push({ introduced: start });
        events.push(iv.lo.inclusive ? { fixed: iv.lo.version } : { last_affected: iv.lo.version });
      }
    }
    open = false;
    if (!iv.hi) return events;
    // Affected again above the interval; `<= v` leaves v safe, which OSV cannot say
    // exactly, so v is marked affected (the safe side for a scanner).
    start = iv.hi.version;
    open = true;
  }
  if (open) events.push({ introduced: start });
  return events;
}

function overlaps(hi: Bound, lo: Bound, compare: (a: string, b: string) => number): boolean {
  const c = compare(lo.version, hi.version);
  return c < 0 || (c === 0 && (hi.inclusive || lo.inclusive));
}
