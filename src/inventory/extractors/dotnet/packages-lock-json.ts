/**
 * NuGet `packages.lock.json`: resolved packages per target framework. Project references
 * (`type: Project`) are the solution's own code and are not reported; a package resolved for
 * several frameworks at one version is one package.
 */
import { z } from 'zod';
import type { Extractor, ExtractContext, FileRef, FoundPackage } from '../../types.js';
import { baseName, dedupePackages, parseJson, readText, validate } from '../language-common.js';
import { nugetPackage } from './nuget.js';

const NEWEST_VERSION = 2;

/** The parts of a `packages.lock.json` Vigil reads. */
export const packagesLockSchema = z.looseObject({
  version: z.number().optional(),
  dependencies: z.record(z.string(), z.record(z.string(), z.looseObject({ type: z.string().optional(), resolved: z.string().optional() }))),
});

/** Extracts NuGet packages from `packages.lock.json`. */
export const packagesLockJson = {
  id: 'dotnet/packages-lock-json',
  version: 1,
  fileRequired(path: string): boolean {
    return baseName(path) === 'packages.lock.json';
  },
  async extract(file: FileRef, ctx: ExtractContext): Promise<FoundPackage[]> {
    const lock = validate(file.path, packagesLockSchema, parseJson(file.path, await readText(file)), 'NuGet packages.lock.json');
    if ((lock.version ?? 1) > NEWEST_VERSION) ctx.warn(`lockfile version ${lock.version} is newer than ${NEWEST_VERSION}; read as if it were`);
    const found: FoundPackage[] = [];
    for (const [framework, deps] of Object.entries(lock.dependencies)) {
      for (const [name, dep] of Object.entries(deps)) {
        if (dep.type === 'Project' || !dep.resolved) continue;
        found.push(nugetPackage(name, dep.resolved, { framework }));
      }
    }
    return dedupePackages(found);
  },
} satisfies Extractor;
