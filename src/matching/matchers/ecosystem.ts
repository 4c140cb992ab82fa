/**
 * The default matcher, for language ecosystems: ecosystem + normalised name + the
 * ecosystem's version scheme.
 */
import { parseEcosystem } from '../../ecosystems.js';
import type { Matcher } from './types.js';

// Every package of an inventory names the same few ecosystem strings: parse each once.
const bases = new Map<string, string>();

/** Language packages: npm, PyPI, Go, crates.io, Maven, RubyGems, Packagist, NuGet… */
export const ecosystemMatcher = {
  id: 'matchers/ecosystem',
  lookupKey(pkg, ecosystem) {
    let base = bases.get(ecosystem);
    if (base === undefined) {
      base = parseEcosystem(ecosystem).info.name;
      // Bounded, as the strings come from scanned files.
      if (bases.size >= 1_000) bases.clear();
      bases.set(ecosystem, base);
    }
    return { ecosystem: base, name: pkg.name, version: pkg.version, exactRelease: false, label: pkg.name };
  },
} satisfies Matcher;
