/**
 * SemVer 2.0 ordering (npm, crates.io, Hex, SwiftURL) through the `semver` package, npm's own
 * implementation. Strict parsing (an optional leading `v` is the only leniency, as in npm);
 * build metadata is ignored, as SemVer 2.0 precedence says.
 */
// The class alone: the package's index loads every range and function module with it.
import SemVer from 'semver/classes/semver.js';
import { compareDigits, defineScheme, invalid } from './cache.js';

/** Parses a strict SemVer 2.0 version with the `semver` package. */
export function parseSemver(input: string): SemVer {
  try {
    return new SemVer(input);
  } catch (err) {
    // The package throws TypeError with its own wording ("Invalid Version", "Invalid major version"…).
    return invalid('semver', input, err instanceof Error ? err.message.replace(/: .*$/s, '') : 'not a SemVer 2.0 version');
  }
}

/**
 * SemVer 2.0 precedence on parsed versions: the same answers as `SemVer#compare`, without its
 * per-call type checks (this runs millions of times per scan).
 */
export function compareSemver(a: SemVer, b: SemVer): number {
  if (a.major !== b.major) return a.major < b.major ? -1 : 1;
  if (a.minor !== b.minor) return a.minor < b.minor ? -1 : 1;
  if (a.patch !== b.patch) return a.patch < b.patch ? -1 : 1;
  const pa = a.prerelease;
  const pb = b.prerelease;
  if (pa.length === 0 || pb.length === 0) return pa.length === pb.length ? 0 : pa.length === 0 ? 1 : -1;
  const n = Math.min(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    const x = pa[i]!;
    const y = pb[i]!;
    if (x === y) continue;
    // node-semver keeps numeric identifiers beyond 2^53 as strings; they are still numeric.
    const xn = typeof x === 'number' || /^\d+$/.test(x);
    const yn = typeof y === 'number' || /^\d+$/.test(y);
    // Numeric identifiers sort before alphanumeric ones.
    if (xn !== yn) return xn ? -1 : 1;
    if (xn && (typeof x !== 'number' || typeof y !== 'number')) return compareDigits(String(x), String(y));
    return x < y ? -1 : 1;
  }
  return pa.length === pb.length ? 0 : pa.length < pb.length ? -1 : 1;
}

/** The SemVer 2.0 scheme. */
export const semver = defineScheme<SemVer>({ id: 'semver', parse: parseSemver, compare: compareSemver });
