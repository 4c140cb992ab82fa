/**
 * Sets of ports as sorted, disjoint, non-adjacent inclusive ranges: the interval arithmetic the
 * reachability analysis does per rule, so a rule over 0–65535 costs one range, not 65,536 ports.
 */

/** An inclusive range of ports, `begin <= end`, both in 0–65535. */
export interface PortRange {
  begin: number;
  end: number;
}

/** Sorted by `begin`, disjoint and never adjacent (`[1,2],[3,4]` is stored as `[1,4]`). */
export type PortSet = readonly PortRange[];

/** The highest port number. */
export const MAX_PORT = 65535;

/** Every port, 0–65535 (what AWS means by "all ports"). */
export const ALL_PORTS: PortSet = [{ begin: 0, end: MAX_PORT }];

/** The empty set. */
export const NO_PORTS: PortSet = [];

/** Ports a client picks its source port from (the range AWS recommends NACLs allow replies to). */
export const EPHEMERAL_PORTS: PortSet = [{ begin: 1024, end: MAX_PORT }];

/** Builds a set from ranges in any order, overlapping or adjacent. */
export function portSet(ranges: readonly PortRange[]): PortSet {
  if (ranges.length <= 1) return ranges.map((r) => ({ begin: r.begin, end: r.end }));
  const sorted = [...ranges].sort((a, b) => a.begin - b.begin);
  const out: PortRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.begin <= last.end + 1) {
      if (r.end > last.end) last.end = r.end;
    } else out.push({ begin: r.begin, end: r.end });
  }
  return out;
}

/** Ports in `a` or `b`. */
export function union(a: PortSet, b: PortSet): PortSet {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  return portSet([...a, ...b]);
}

/** Ports in both `a` and `b` (a linear merge of the two sorted lists). */
export function intersect(a: PortSet, b: PortSet): PortSet {
  const out: PortRange[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const begin = Math.max(a[i]!.begin, b[j]!.begin);
    const end = Math.min(a[i]!.end, b[j]!.end);
    if (begin <= end) out.push({ begin, end });
    if (a[i]!.end < b[j]!.end) i++;
    else j++;
  }
  return out;
}

/** Ports in `a` but not in `b`. */
export function subtract(a: PortSet, b: PortSet): PortSet {
  if (a.length === 0 || b.length === 0) return a;
  const out: PortRange[] = [];
  let j = 0;
  for (const r of a) {
    let begin = r.begin;
    while (j < b.length && b[j]!.end < begin) j++;
    let k = j;
    while (k < b.length && b[k]!.begin <= r.end) {
      if (b[k]!.begin > begin) out.push({ begin, end: b[k]!.begin - 1 });
      begin = Math.max(begin, b[k]!.end + 1);
      k++;
    }
    if (begin <= r.end) out.push({ begin, end: r.end });
  }
  return out;
}

/** Whether the two sets share a port. */
export function overlaps(a: PortSet, b: PortSet): boolean {
  return intersect(a, b).length > 0;
}

/** Whether `port` is in the set. */
export function hasPort(set: PortSet, port: number): boolean {
  for (const r of set) {
    if (port < r.begin) return false;
    if (port <= r.end) return true;
  }
  return false;
}

/** `22`, `8080-8090`: how ranges are written in docs, YAML and tables. */
export function formatRange(r: PortRange): string {
  return r.begin === r.end ? String(r.begin) : `${r.begin}-${r.end}`;
}

/** Parses `22`, `8000-8080` or `all`/`*` (every port); throws with the text on anything else. */
export function parsePortRange(text: string | number): PortRange {
  if (typeof text === 'number') text = String(text);
  const t = text.trim();
  if (t === 'all' || t === '*') return { begin: 0, end: MAX_PORT };
  const m = /^(\d{1,5})(?:\s*-\s*(\d{1,5}))?$/.exec(t);
  if (!m) throw new Error(`not a port or port range: "${text}"`);
  const begin = Number(m[1]);
  const end = m[2] === undefined ? begin : Number(m[2]);
  if (begin > MAX_PORT || end > MAX_PORT) throw new Error(`port out of range 0-65535: "${text}"`);
  if (begin > end) throw new Error(`port range ends before it begins: "${text}"`);
  return { begin, end };
}
