/**
 * The distribution matcher: advisories are per release, and Debian, Ubuntu and Alpine key
 * them by source package (origin), so every binary built from a vulnerable source is matched
 * with the source's version. RPM distributions key by binary package name and compare
 * `epoch:version-release` through the rpm scheme, which honours epochs.
 */
import { canonicalEcosystem, parseEcosystem, type EcosystemInfo } from '../../ecosystems.js';
import type { Matcher } from './types.js';

// Every package of an inventory names the same few ecosystem strings: parse each once.
const facts = new Map<string, { info: EcosystemInfo; canonical: string }>();
function ecosystemFacts(ecosystem: string): { info: EcosystemInfo; canonical: string } {
  let f = facts.get(ecosystem);
  if (!f) {
    f = { info: parseEcosystem(ecosystem).info, canonical: canonicalEcosystem(ecosystem) };
    facts.set(ecosystem, f);
  }
  return f;
}

/** OS packages: Debian, Ubuntu, Alpine, Wolfi, and the RPM distributions. */
export const distroMatcher = {
  id: 'matchers/distro',
  lookupKey(pkg, ecosystem) {
    const { info, canonical } = ecosystemFacts(ecosystem);
    // Alpine's secdb is keyed by origin as well, though the ecosystem table does not mark it.
    const source = (info.keyedBySource === true || info.scheme === 'apk') && pkg.source ? pkg.source : undefined;
    const name = source ? source.name : pkg.name;
    // A binNMU (`+b1`) or an apk subpackage carries its own version; advisories name the
    // source version, so compare that when the package records it.
    const version = source?.version ? source.version : pkg.version;
    const label = name === pkg.name ? pkg.name : `${pkg.name} (source ${name})`;
    return { ecosystem: canonical, name, version, exactRelease: true, label };
  },
} satisfies Matcher;
