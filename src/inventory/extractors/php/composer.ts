/** Packagist naming shared by the PHP extractors. */
import { z } from 'zod';
import type { FoundPackage } from '../../types.js';

/** One package as composer.lock and installed.json describe it. */
export const composerEntry = z.looseObject({
  name: z.string(),
  version: z.string(),
  source: z.looseObject({ reference: z.string().nullable().optional() }).nullable().optional(),
});

/**
 * A found Packagist package. Names are `vendor/package`, compared case-insensitively by
 * Packagist, so they are lower-cased; the vendor is the PURL namespace.
 */
export function composerPackage(entry: z.infer<typeof composerEntry>, dev: boolean): FoundPackage {
  const name = entry.name.toLowerCase();
  const pkg: FoundPackage = { purlType: 'composer', ecosystem: 'Packagist', name, version: entry.version };
  const slash = name.indexOf('/');
  if (slash > 0) pkg.namespace = name.slice(0, slash);
  if (dev) pkg.dev = true;
  const ref = entry.source?.reference;
  if (ref && /^[0-9a-f]{7,40}$/i.test(ref)) pkg.metadata = { commit: ref };
  return pkg;
}
