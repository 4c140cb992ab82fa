/**
 * Installed npm packages: the `package.json` at the root of each `node_modules/<name>/` or
 * `node_modules/@scope/<name>/` folder. This is what is really on disk, so it wins over any
 * lockfile that disagrees; lockfiles inside `node_modules` are skipped for that reason.
 */
import { z } from 'zod';
import type { Extractor, ExtractContext, FileRef, FoundPackage } from '../../types.js';
import { parseJson, readText } from '../language-common.js';
import { npmPackage } from './npm.js';

/** A package's own `package.json` is small; a huge one is not worth reading whole. */
const MAX_PACKAGE_JSON_BYTES = 8 * 1024 * 1024;

const INSTALLED = /(?:^|\/)node_modules\/(?:@[^/]+\/)?[^/@.][^/]*\/package\.json$/;

/** The fields of an installed `package.json` Vigil reads. */
export const installedPackageJsonSchema = z.looseObject({
  name: z.string().min(1).optional().catch(undefined),
  version: z.string().optional().catch(undefined),
});

/** Extracts installed npm packages from `node_modules/**\/package.json`. */
export const nodeModules = {
  id: 'javascript/node-modules',
  version: 1,
  fileRequired(path: string): boolean {
    return INSTALLED.test(path);
  },
  async extract(file: FileRef, ctx: ExtractContext): Promise<FoundPackage[]> {
    const data = parseJson(file.path, await readText(file, MAX_PACKAGE_JSON_BYTES));
    const parsed = installedPackageJsonSchema.safeParse(data);
    if (!parsed.success || data === null || typeof data !== 'object' || Array.isArray(data)) {
      ctx.warn('package.json is not an object; skipped');
      return [];
    }
    const { name, version } = parsed.data;
    // Test fixtures and stubs inside packages sometimes carry a package.json without a
    // name or version: they are not installed packages.
    if (!name || !version) return [];
    return [npmPackage(name, version)];
  },
} satisfies Extractor;
