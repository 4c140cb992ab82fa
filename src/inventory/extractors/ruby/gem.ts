/** RubyGems naming shared by the Ruby extractors. */
import type { FoundPackage } from '../../types.js';

/** A found gem. */
export function gemPackage(name: string, version: string, metadata?: Record<string, string>): FoundPackage {
  const pkg: FoundPackage = { purlType: 'gem', ecosystem: 'RubyGems', name, version };
  if (metadata && Object.keys(metadata).length > 0) pkg.metadata = metadata;
  return pkg;
}
