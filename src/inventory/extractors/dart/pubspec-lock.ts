/**
 * Dart/Flutter `pubspec.lock`. SDK packages (`source: sdk`, e.g. `flutter`) come with the
 * SDK and are not Pub packages. `direct dev` packages are dev; packages pulled in only by
 * them cannot be told apart in this file and are not marked.
 */
import { z } from 'zod';
import type { Extractor, ExtractContext, FileRef, FoundPackage } from '../../types.js';
import { baseName, parseYaml, readText, validate } from '../language-common.js';

/** The parts of a `pubspec.lock` Vigil reads. */
export const pubspecLockSchema = z.looseObject({
  packages: z
    .record(
      z.string(),
      z.looseObject({
        dependency: z.string().optional(),
        source: z.string().optional(),
        version: z.union([z.string(), z.number()]).transform(String).optional(),
        description: z.unknown().optional(),
      }),
    )
    .nullable()
    .optional(),
});

/** Extracts Pub packages from `pubspec.lock`. */
export const pubspecLock = {
  id: 'dart/pubspec-lock',
  version: 1,
  fileRequired(path: string): boolean {
    return baseName(path) === 'pubspec.lock';
  },
  async extract(file: FileRef, _ctx: ExtractContext): Promise<FoundPackage[]> {
    const data = await parseYaml(file.path, await readText(file));
    if (data === null || data === undefined) return [];
    const lock = validate(file.path, pubspecLockSchema, data, 'pubspec.lock');
    const found: FoundPackage[] = [];
    for (const [name, p] of Object.entries(lock.packages ?? {})) {
      if (p.source === 'sdk') continue;
      const pkg: FoundPackage = { purlType: 'pub', ecosystem: 'Pub', name: name.toLowerCase(), version: p.version ?? '' };
      if (p.dependency === 'direct dev') pkg.dev = true;
      const ref = (p.description as { 'resolved-ref'?: unknown } | undefined)?.['resolved-ref'];
      if (p.source === 'git' && typeof ref === 'string') pkg.metadata = { commit: ref };
      found.push(pkg);
    }
    return found;
  },
} satisfies Extractor;
