import type { Package } from '../../inventory/types.js';
import type { OsvAffected, OsvRecord } from '../../vulndb/types.js';

/** One advisory that affects one package, with what fixes it. */
export interface AdvisoryMatch {
  record: OsvRecord;
  /** The `affected` entries that matched the package. */
  affected: OsvAffected[];
  /**
   * Every entry of the record that names the package, as range evaluation reads them (matching
   * or not): what a fixed version must leave (see `resolveFix` in `src/versioning/osv-range.ts`).
   */
  entries: OsvAffected[];
}

/** What a matcher asked the index and what it concluded, for one package. */
export interface PackageMatches {
  /** The ecosystem the advisories were looked up in (`Debian:12`, `npm`). */
  ecosystem: string;
  /** The name looked up: the source package for Debian/Ubuntu/Alpine, else the package name. */
  lookupName: string;
  /** The version compared: the source version for source-keyed distributions. */
  version: string;
  matches: AdvisoryMatch[];
}

/** Records a dropped or uncertain decision about a package. */
export type MatchWarn = (reason: string) => void;

/** What to look up for one package. */
export interface LookupKey {
  /** Canonical OSV ecosystem: with release for distributions (`Debian:12`), base for languages (`PyPI`). */
  ecosystem: string;
  /** Name as the advisories spell it (source package for source-keyed distributions). */
  name: string;
  version: string;
  /** Distribution data answers for its exact release only (`Debian:12` never for `Debian:11`). */
  exactRelease: boolean;
  /** How the package is named in warnings (`libssl3 (source openssl)`). */
  label: string;
}

/**
 * Decides what one package is looked up as. Thin: the shared routine in `common.ts` does the
 * lookup and the range evaluation for every matcher.
 */
export interface Matcher {
  readonly id: string;
  lookupKey(pkg: Package, ecosystem: string): LookupKey;
}
