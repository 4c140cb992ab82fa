/**
 * `bun.lock`, Bun's text lockfile (JSON with comments and trailing commas). Each `packages`
 * entry is a tuple whose first element is `name@version` (or `name@github:…#commit` and the
 * like). Bun records no dev flag per package, so packages are not marked dev here.
 * The binary `bun.lockb` is not read.
 */
import { z } from 'zod';
import type { Extractor, ExtractContext, FileRef, FoundPackage } from '../../types.js';
import { baseName, dedupePackages, insideInstalledTree, parseJson, readText, stripJsonc, validate } from '../language-common.js';
import { commitFromUrl, npmPackage } from './npm.js';

const NEWEST_VERSION = 1;

/** The parts of a `bun.lock` Vigil reads. */
export const bunLockSchema = z.looseObject({
  lockfileVersion: z.number().int(),
  packages: z.record(z.string(), z.unknown()).optional(),
});

/** Extracts npm packages from `bun.lock`. */
export const bunLock = {
  id: 'javascript/bun-lock',
  version: 1,
  fileRequired(path: string): boolean {
    return baseName(path) === 'bun.lock' && !insideInstalledTree(path);
  },
  async extract(file: FileRef, ctx: ExtractContext): Promise<FoundPackage[]> {
    const text = await readText(file);
    if (text.trim() === '') return [];
    const lock = validate(file.path, bunLockSchema, parseJson(file.path, stripJsonc(text)), 'bun.lock');
    if (lock.lockfileVersion > NEWEST_VERSION) {
      ctx.warn(`lockfileVersion ${lock.lockfileVersion} is newer than ${NEWEST_VERSION}; read as version ${NEWEST_VERSION}`);
    }
    const found: FoundPackage[] = [];
    for (const [key, tuple] of Object.entries(lock.packages ?? {})) {
      const spec = Array.isArray(tuple) ? tuple[0] : undefined;
      if (typeof spec !== 'string') {
        ctx.warn(`package "${key}" has no "name@version" first element; skipped`);
        continue;
      }
      const at = spec.indexOf('@', spec.startsWith('@') ? 1 : 0);
      const name = at < 0 ? spec : spec.slice(0, at);
      const ref = at < 0 ? '' : spec.slice(at + 1);
      // Workspace members are the project's own code, not dependencies.
      if (ref.startsWith('workspace:')) continue;
      const registryVersion = /^\d/.test(ref) ? ref : '';
      found.push(npmPackage(name, registryVersion, { commit: registryVersion ? undefined : commitFromUrl(ref) }));
    }
    return dedupePackages(found);
  },
} satisfies Extractor;
