/**
 * SemVer 2.0 ordering (npm, crates.io, Hex, SwiftURL) through the `semver` package, npm's own
 * implementation. Strict parsing (an optional leading `v` is the only leniency, as in npm);
 * build metadata is ignored, as SemVer 2.0 precedence says.
 */
import { SemVer } from 'semver';
import { defineScheme, invalid } from './cache.js';

/** Parses a strict SemVer 2.0 version with the `semver` package. */
export function parseSemver(input: string): SemVer {
  try {
    return new SemVer(input);
  } catch (err) {
    // The package throws TypeError with its own wording ("Invalid Version", "Invalid major version"…).
    return invalid('semver', input, err instanceof Error ? err.message.replace(/: .*$/s, '') : 'not a SemVer 2.0 version');
  }
}

/** The SemVer 2.0 scheme. */
export const semver = defineScheme<SemVer>({
  id: 'semver',
  parse: parseSemver,
  compare: (a, b) => a.compare(b),
});
