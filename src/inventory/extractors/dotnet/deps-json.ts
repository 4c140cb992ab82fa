/**
 * `*.deps.json`, written beside every published .NET application: its `libraries` map lists
 * each library as `Name/Version` with a type; `package` entries came from NuGet (projects and
 * references are the application's own code or the framework's).
 */
import { z } from 'zod';
import type { Extractor, ExtractContext, FileRef, FoundPackage } from '../../types.js';
import { parseJson, readText, validate } from '../language-common.js';
import { nugetPackage } from './nuget.js';

/** The parts of a `.deps.json` Vigil reads. */
export const depsJsonSchema = z.looseObject({
  libraries: z.record(z.string(), z.looseObject({ type: z.string().optional() })).optional(),
});

/** Extracts NuGet packages from `.deps.json` files. */
export const depsJson = {
  id: 'dotnet/deps-json',
  version: 1,
  fileRequired(path: string): boolean {
    return path.endsWith('.deps.json');
  },
  async extract(file: FileRef, ctx: ExtractContext): Promise<FoundPackage[]> {
    const deps = validate(file.path, depsJsonSchema, parseJson(file.path, await readText(file)), '.NET deps.json');
    const found: FoundPackage[] = [];
    for (const [key, lib] of Object.entries(deps.libraries ?? {})) {
      if (lib.type !== 'package') continue;
      const slash = key.lastIndexOf('/');
      if (slash <= 0) {
        ctx.warn(`library "${key}" is not Name/Version; skipped`);
        continue;
      }
      found.push(nugetPackage(key.slice(0, slash), key.slice(slash + 1)));
    }
    return found;
  },
} satisfies Extractor;
