/**
 * `poetry.lock`. Lockfile 1.x marks dev packages with `category = "dev"`; Poetry 2 writes
 * `groups = [...]` instead, and a package outside the `main` group is a development one.
 */
import { z } from 'zod';
import type { Extractor, ExtractContext, FileRef, FoundPackage } from '../../types.js';
import { baseName, dedupePackages, parseToml, readText, validate } from '../language-common.js';
import { pypiPackage } from './pypi.js';

const NEWEST_LOCK_VERSION = 2;

/** The parts of a `poetry.lock` Vigil reads. */
export const poetryLockSchema = z.looseObject({
  package: z
    .array(
      z.looseObject({
        name: z.string(),
        version: z.string(),
        category: z.string().optional(),
        optional: z.boolean().optional(),
        groups: z.array(z.string()).optional(),
        source: z.looseObject({ type: z.string().optional(), resolved_reference: z.string().optional() }).optional(),
      }),
    )
    .optional(),
  metadata: z.looseObject({ 'lock-version': z.string().optional() }).optional(),
});

/** Extracts PyPI packages from `poetry.lock`. */
export const poetryLock = {
  id: 'python/poetry-lock',
  version: 1,
  fileRequired(path: string): boolean {
    return baseName(path) === 'poetry.lock';
  },
  async extract(file: FileRef, ctx: ExtractContext): Promise<FoundPackage[]> {
    const lock = validate(file.path, poetryLockSchema, await parseToml(file.path, await readText(file)), 'poetry.lock');
    const lockVersion = Number.parseFloat(lock.metadata?.['lock-version'] ?? '1');
    if (Math.floor(lockVersion) > NEWEST_LOCK_VERSION) {
      ctx.warn(`lock-version ${lock.metadata?.['lock-version']} is newer than ${NEWEST_LOCK_VERSION}.x; read as if it were`);
    }
    return dedupePackages(
      (lock.package ?? []).map((p) =>
        pypiPackage(p.name, p.version, {
          dev: p.groups ? !p.groups.includes('main') : p.category === 'dev',
          optional: p.optional === true,
          groups: p.groups,
          commit: p.source?.type === 'git' ? p.source.resolved_reference : undefined,
        }),
      ),
    );
  },
} satisfies Extractor;
