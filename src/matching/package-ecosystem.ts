/**
 * Which ecosystem a package is matched in, and the key it is looked up under: shared by the
 * engine (which matches) and the coverage check (which asks whether the index has data there).
 */
import { languageEcosystemForPurlType, tryParseEcosystem, type EcosystemInfo } from '../ecosystems.js';
import type { Package } from '../inventory/types.js';
import { distroMatcher } from './matchers/distro.js';
import { ecosystemMatcher } from './matchers/ecosystem.js';
import type { LookupKey } from './matchers/types.js';

/** The ecosystem a package is matched in, or undefined when it cannot be known. */
export function ecosystemOf(pkg: Package): { raw: string; info: EcosystemInfo } | undefined {
  if (pkg.ecosystem) {
    return tryParseEcosystem(pkg.ecosystem);
  }
  // Language packages know their ecosystem from their PURL type even when no OS was found.
  const info = languageEcosystemForPurlType(pkg.purlType);
  return info ? { raw: info.name, info } : undefined;
}

/** The lookup key of a package in its ecosystem: distributions by release (and source package), languages by base name. */
export function lookupKeyOf(pkg: Package, eco: { raw: string; info: EcosystemInfo }): LookupKey {
  return (eco.info.kind === 'os' ? distroMatcher : ecosystemMatcher).lookupKey(pkg, eco.raw);
}
