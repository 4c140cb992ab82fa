/** `pdm.lock`: each package lists the groups that pulled it in; outside `default` it is a development package. */
import { z } from 'zod';
import type { Extractor, ExtractContext, FileRef, FoundPackage } from '../../types.js';
import { baseName, dedupePackages, parseToml, readText, validate } from '../language-common.js';
import { pypiPackage } from './pypi.js';

const NEWEST_LOCK_VERSION = 4;

/** The parts of a `pdm.lock` Vigil reads. */
export const pdmLockSchema = z.looseObject({
  metadata: z.looseObject({ lock_version: z.string().optional(), groups: z.array(z.string()).optional() }).optional(),
  package: z
    .array(
      z.looseObject({
        name: z.string(),
        version: z.string().optional(),
        groups: z.array(z.string()).optional(),
        revision: z.string().optional(),
      }),
    )
    .optional(),
});

/** Extracts PyPI packages from `pdm.lock`. */
export const pdmLock = {
  id: 'python/pdm-lock',
  version: 1,
  fileRequired(path: string): boolean {
    return baseName(path) === 'pdm.lock';
  },
  async extract(file: FileRef, ctx: ExtractContext): Promise<FoundPackage[]> {
    const lock = validate(file.path, pdmLockSchema, await parseToml(file.path, await readText(file)), 'pdm.lock');
    const lockVersion = lock.metadata?.lock_version;
    if (lockVersion && Number.parseInt(lockVersion, 10) > NEWEST_LOCK_VERSION) {
      ctx.warn(`lock_version ${lockVersion} is newer than ${NEWEST_LOCK_VERSION}.x; read as if it were`);
    }
    return dedupePackages(
      (lock.package ?? []).map((p) =>
        pypiPackage(p.name, p.version ?? '', {
          dev: p.groups !== undefined && !p.groups.includes('default'),
          groups: p.groups,
          commit: p.revision,
        }),
      ),
    );
  },
} satisfies Extractor;
