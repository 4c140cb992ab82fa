/**
 * The default matcher, for language ecosystems: ecosystem + normalised name + the
 * ecosystem's version scheme.
 */
import { parseEcosystem } from '../../ecosystems.js';
import type { Matcher } from './types.js';

/** Language packages: npm, PyPI, Go, crates.io, Maven, RubyGems, Packagist, NuGet… */
export const ecosystemMatcher = {
  id: 'matchers/ecosystem',
  lookupKey(pkg, ecosystem) {
    return { ecosystem: parseEcosystem(ecosystem).info.name, name: pkg.name, version: pkg.version, exactRelease: false, label: pkg.name };
  },
} satisfies Matcher;
