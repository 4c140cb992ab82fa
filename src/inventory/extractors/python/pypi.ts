/** PyPI naming shared by the Python extractors. */
import { normalizePackageName } from '../../../ecosystems.js';
import type { FoundPackage } from '../../types.js';

/** The facts a Python extractor knows about one package. */
export interface PypiFacts {
  dev?: boolean;
  optional?: boolean;
  commit?: string;
  groups?: readonly string[];
}

/**
 * A found PyPI package, its name normalised per PEP 503 (`Foo_Bar` → `foo-bar`): PyPI and
 * OSV compare names that way, so an advisory for `foo-bar` must find `Foo_Bar`.
 */
export function pypiPackage(name: string, version: string, facts: PypiFacts = {}): FoundPackage {
  const pkg: FoundPackage = { purlType: 'pypi', ecosystem: 'PyPI', name: normalizePackageName('PyPI', name), version };
  if (facts.dev) pkg.dev = true;
  const metadata: Record<string, string> = {};
  if (facts.optional) metadata.optional = 'true';
  if (facts.commit) metadata.commit = facts.commit;
  if (facts.groups && facts.groups.length > 0) metadata.groups = facts.groups.join(',');
  if (Object.keys(metadata).length > 0) pkg.metadata = metadata;
  return pkg;
}
