/** `Pipfile.lock` (pipenv): `default` holds production packages, `develop` development ones. */
import { z } from 'zod';
import type { Extractor, ExtractContext, FileRef, FoundPackage } from '../../types.js';
import { baseName, dedupePackages, parseJson, readText, validate } from '../language-common.js';
import { pypiPackage } from './pypi.js';

const NEWEST_SPEC = 6;

const section = z.record(z.string(), z.looseObject({ version: z.string().optional(), ref: z.string().optional() })).optional();

/** The parts of a `Pipfile.lock` Vigil reads. */
export const pipfileLockSchema = z.looseObject({
  _meta: z.looseObject({ 'pipfile-spec': z.number().optional() }).optional(),
  default: section,
  develop: section,
});

/** Extracts PyPI packages from `Pipfile.lock`. */
export const pipfileLock = {
  id: 'python/pipfile-lock',
  version: 1,
  fileRequired(path: string): boolean {
    return baseName(path) === 'Pipfile.lock';
  },
  async extract(file: FileRef, ctx: ExtractContext): Promise<FoundPackage[]> {
    const text = await readText(file);
    if (text.trim() === '') return [];
    const lock = validate(file.path, pipfileLockSchema, parseJson(file.path, text), 'Pipfile.lock');
    const spec = lock._meta?.['pipfile-spec'];
    if (spec !== undefined && spec > NEWEST_SPEC) ctx.warn(`pipfile-spec ${spec} is newer than ${NEWEST_SPEC}; read as if it were`);
    const found: FoundPackage[] = [];
    const unversioned: string[] = [];
    for (const [group, dev] of [['default', false], ['develop', true]] as const) {
      for (const [name, entry] of Object.entries(lock[group] ?? {})) {
        // Only `==X` is a locked version; git/path entries carry a `ref` instead.
        if (!entry.version?.startsWith('==')) {
          unversioned.push(name);
          continue;
        }
        found.push(pypiPackage(name, entry.version.slice(2), { dev }));
      }
    }
    if (unversioned.length > 0) ctx.warn(`entries without a locked version skipped: ${unversioned.join(', ')}`);
    // A package in both sections is production code.
    return dedupePackages(found);
  },
} satisfies Extractor;
