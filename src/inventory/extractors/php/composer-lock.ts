/**
 * `composer.lock`: `packages` are production dependencies, `packages-dev` development ones.
 * A composer.lock inside `vendor/` belongs to an installed package's own development and is
 * skipped: `vendor/composer/installed.json` says what is installed there.
 */
import { z } from 'zod';
import type { Extractor, ExtractContext, FileRef, FoundPackage } from '../../types.js';
import { baseName, dedupePackages, insideInstalledTree, parseJson, readText, validate } from '../language-common.js';
import { composerEntry, composerPackage } from './composer.js';

/** The parts of a `composer.lock` Vigil reads. */
export const composerLockSchema = z.looseObject({
  packages: z.array(composerEntry).nullable().optional(),
  'packages-dev': z.array(composerEntry).nullable().optional(),
});

/** Extracts Packagist packages from `composer.lock`. */
export const composerLock = {
  id: 'php/composer-lock',
  version: 1,
  fileRequired(path: string): boolean {
    return baseName(path) === 'composer.lock' && !insideInstalledTree(path, ['vendor', 'node_modules']);
  },
  async extract(file: FileRef, _ctx: ExtractContext): Promise<FoundPackage[]> {
    const data = parseJson(file.path, await readText(file));
    if (data === null) return [];
    const lock = validate(file.path, composerLockSchema, data, 'composer.lock');
    return dedupePackages([
      ...(lock.packages ?? []).map((p) => composerPackage(p, false)),
      ...(lock['packages-dev'] ?? []).map((p) => composerPackage(p, true)),
    ]);
  },
} satisfies Extractor;
