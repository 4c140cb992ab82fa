/**
 * RubyGems version ordering, as `Gem::Version#<=>` implements it: segments of digits or
 * letters, `-` meaning `.pre.`, any letter segment making a pre-release, trailing zeros of the
 * numeric part ignored. Written here rather than through `@renovatebot/ruby-semver` because
 * Ruby's integers are unbounded and that library's are not.
 */
import { compareDigits, compareStrings, defineScheme, invalid } from './cache.js';

/** A segment: digits (as a string) or letters. */
type Segment = { num: string } | { str: string };

/** A parsed gem version: its canonical segments. */
export interface GemVersion {
  segments: Segment[];
}

// Gem::Version::ANCHORED_VERSION_PATTERN; Ruby's \s is [ \t\r\n\f\v].
const PATTERN = /^[ \t\r\n\f\v]*([0-9]+(?:\.[0-9a-zA-Z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?)?[ \t\r\n\f\v]*$/;

function isZero(s: Segment): boolean {
  return 'num' in s && /^0+$/.test(s.num);
}

/** Parses like `Gem::Version.new` (an empty or blank string is version `0`, as in RubyGems). */
export function parseGemVersion(input: string): GemVersion {
  const m = PATTERN.exec(input);
  if (!m) return invalid('rubygems', input, 'malformed version number string');
  const version = (m[1] ?? '0').replaceAll('-', '.pre.');
  const all: Segment[] = (version.match(/[0-9]+|[a-z]+/gi) ?? []).map((p) => (/^\d/.test(p) ? { num: p } : { str: p }));
  // canonical_segments: drop trailing zeros of the numeric head and of the rest, separately.
  let firstString = all.findIndex((s) => 'str' in s);
  if (firstString < 0) firstString = all.length;
  const head = all.slice(0, firstString);
  const tail = all.slice(firstString);
  while (head.length > 0 && isZero(head[head.length - 1]!)) head.pop();
  while (tail.length > 0 && isZero(tail[tail.length - 1]!)) tail.pop();
  return { segments: [...head, ...tail] };
}

/** `Gem::Version#<=>` on canonical segments. */
export function compareGemVersions(a: GemVersion, b: GemVersion): number {
  const n = Math.max(a.segments.length, b.segments.length);
  const zero: Segment = { num: '0' };
  for (let i = 0; i < n; i++) {
    const l = a.segments[i] ?? zero;
    const r = b.segments[i] ?? zero;
    if ('num' in l && 'num' in r) {
      const c = compareDigits(l.num, r.num);
      if (c !== 0) return c;
    } else if ('str' in l && 'str' in r) {
      const c = compareStrings(l.str, r.str);
      if (c !== 0) return c;
    } else {
      return 'str' in l ? -1 : 1;
    }
  }
  return 0;
}

/** The RubyGems scheme. */
export const rubygems = defineScheme<GemVersion>({ id: 'rubygems', parse: parseGemVersion, compare: compareGemVersions });
