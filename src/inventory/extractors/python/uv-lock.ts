/**
 * `uv.lock`. The project itself (a package whose source is `virtual` or `editable`) is not a
 * dependency. A package is dev when it is reachable only from a project's `dev-dependencies`
 * (dependency groups), not from its dependencies or optional dependencies.
 */
import { z } from 'zod';
import type { Extractor, ExtractContext, FileRef, FoundPackage } from '../../types.js';
import { baseName, parseToml, readText, validate } from '../language-common.js';
import { pypiPackage } from './pypi.js';
import { normalizePackageName } from '../../../ecosystems.js';

const NEWEST_VERSION = 1;

const depList = z.array(z.looseObject({ name: z.string() })).optional();
const depGroups = z.record(z.string(), depList).optional();

/** The parts of a `uv.lock` Vigil reads. */
export const uvLockSchema = z.looseObject({
  version: z.number().optional(),
  package: z
    .array(
      z.looseObject({
        name: z.string(),
        version: z.string().optional(),
        source: z.record(z.string(), z.unknown()).optional(),
        dependencies: depList,
        'optional-dependencies': depGroups,
        'dev-dependencies': depGroups,
      }),
    )
    .optional(),
});

type UvPackage = NonNullable<z.infer<typeof uvLockSchema>['package']>[number];

function isProject(p: UvPackage): boolean {
  return p.source !== undefined && ('virtual' in p.source || 'editable' in p.source);
}

/** Extracts PyPI packages from `uv.lock`. */
export const uvLock = {
  id: 'python/uv-lock',
  version: 1,
  fileRequired(path: string): boolean {
    return baseName(path) === 'uv.lock';
  },
  async extract(file: FileRef, ctx: ExtractContext): Promise<FoundPackage[]> {
    const lock = validate(file.path, uvLockSchema, await parseToml(file.path, await readText(file)), 'uv.lock');
    if ((lock.version ?? 1) > NEWEST_VERSION) ctx.warn(`lockfile version ${lock.version} is newer than ${NEWEST_VERSION}; read as if it were`);
    const packages = lock.package ?? [];
    const byName = new Map<string, UvPackage[]>();
    for (const p of packages) {
      const key = normalizePackageName('PyPI', p.name);
      byName.set(key, [...(byName.get(key) ?? []), p]);
    }
    function reach(roots: string[]): Set<string> {
      const seen = new Set<string>();
      const stack = roots.map((n) => normalizePackageName('PyPI', n));
      while (stack.length > 0) {
        const n = stack.pop() as string;
        if (seen.has(n)) continue;
        seen.add(n);
        for (const p of byName.get(n) ?? []) {
          for (const d of p.dependencies ?? []) stack.push(normalizePackageName('PyPI', d.name));
          for (const list of Object.values(p['optional-dependencies'] ?? {})) for (const d of list ?? []) stack.push(normalizePackageName('PyPI', d.name));
        }
      }
      return seen;
    }
    const projects = packages.filter(isProject);
    const prodRoots = projects.flatMap((p) => [
      ...(p.dependencies ?? []).map((d) => d.name),
      ...Object.values(p['optional-dependencies'] ?? {}).flatMap((l) => (l ?? []).map((d) => d.name)),
    ]);
    const devRoots = projects.flatMap((p) => Object.values(p['dev-dependencies'] ?? {}).flatMap((l) => (l ?? []).map((d) => d.name)));
    const prod = reach(prodRoots);
    const dev = reach(devRoots);
    const found: FoundPackage[] = [];
    for (const p of packages) {
      if (isProject(p)) continue;
      const key = normalizePackageName('PyPI', p.name);
      const git = typeof p.source?.git === 'string' ? p.source.git : undefined;
      const commit = git?.includes('#') ? git.slice(git.lastIndexOf('#') + 1) : undefined;
      found.push(pypiPackage(p.name, p.version ?? '', { dev: dev.has(key) && !prod.has(key), commit }));
    }
    return found;
  },
} satisfies Extractor;
