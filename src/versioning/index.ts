/**
 * The version scheme registry: one line per scheme. Every comparison Vigil makes goes through
 * the scheme of the package's ecosystem; no scheme falls back to another's rules.
 */
import { parseEcosystem, type SchemeId } from '../ecosystems.js';
import { apk } from './apk.js';
import { composer } from './composer.js';
import { cran } from './cran.js';
import { dpkg } from './dpkg.js';
import { go } from './go.js';
import { maven } from './maven.js';
import { nuget } from './nuget.js';
import { pep440 } from './pep440.js';
import { pub } from './pub.js';
import { rpm } from './rpm.js';
import { rubygems } from './rubygems.js';
import { semver } from './semver.js';
import type { VersionScheme } from './types.js';

export { InvalidVersionError, type VersionScheme } from './types.js';

/** Every scheme by id. */
export const schemes: Record<SchemeId, VersionScheme> = {
  dpkg,
  rpm,
  apk,
  semver,
  pub,
  go,
  pep440,
  maven,
  nuget,
  rubygems,
  composer,
  cran,
};

/**
 * The scheme of an OSV ecosystem string (`Debian:12`, `PyPI`, …). Throws
 * `UnknownEcosystemError` (listing the known ecosystems) for anything else.
 */
export function schemeFor(ecosystem: string): VersionScheme {
  return schemes[parseEcosystem(ecosystem).info.scheme];
}
