/**
 * `bun.lock`, Bun's text lockfile (JSON with comments and trailing commas). Each `packages`
 * entry is a tuple whose first element is `name@version` (or `name@github:…#commit` and the
 * like) and whose first object holds its dependencies. Bun records no dev flag, so a package
 * is dev when it is reachable only from the workspaces' `devDependencies`, resolving each
 * dependency the way Bun hoists (`parent/child`, then up the parents, then top level).
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
  workspaces: z.record(z.string(), z.unknown()).optional().catch(undefined),
  packages: z.record(z.string(), z.unknown()).optional(),
});

const PROD_FIELDS = ['dependencies', 'optionalDependencies', 'peerDependencies'] as const;

function depNames(obj: unknown, fields: readonly string[]): string[] {
  if (!obj || typeof obj !== 'object') return [];
  const out: string[] = [];
  for (const f of fields) {
    const deps = (obj as Record<string, unknown>)[f];
    if (deps && typeof deps === 'object') out.push(...Object.keys(deps));
  }
  return out;
}

/** Splits a packages key (`chalk/supports-color`, `@s/a/b`) into package names. */
function keyParts(key: string): string[] {
  const segs = key.split('/');
  const parts: string[] = [];
  for (let i = 0; i < segs.length; i++) parts.push(segs[i].startsWith('@') && i + 1 < segs.length ? `${segs[i]}/${segs[++i]}` : segs[i]);
  return parts;
}

/** Keys of packages reachable only from the workspaces' devDependencies. */
function devKeys(workspaces: Record<string, unknown>, packages: Record<string, unknown>): Set<string> {
  const resolve = (from: string[], dep: string): string | undefined => {
    for (let i = from.length; i >= 0; i--) {
      const key = [...from.slice(0, i), dep].join('/');
      if (key in packages) return key;
    }
    return undefined;
  };
  const walk = (roots: string[]): Set<string> => {
    const seen = new Set<string>();
    const stack = roots.map((r) => resolve([], r)).filter((k): k is string => k !== undefined);
    while (stack.length > 0) {
      const key = stack.pop() as string;
      if (seen.has(key)) continue;
      seen.add(key);
      const tuple = packages[key];
      const info = Array.isArray(tuple) ? tuple.find((x) => x !== null && typeof x === 'object' && !Array.isArray(x)) : undefined;
      for (const dep of depNames(info, PROD_FIELDS)) {
        const next = resolve(keyParts(key), dep);
        if (next) stack.push(next);
      }
    }
    return seen;
  };
  const ws = Object.values(workspaces);
  const prod = walk(ws.flatMap((w) => depNames(w, PROD_FIELDS)));
  const dev = walk(ws.flatMap((w) => depNames(w, ['devDependencies'])));
  return new Set([...dev].filter((k) => !prod.has(k)));
}

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
    const packages = lock.packages ?? {};
    const dev = devKeys(lock.workspaces ?? {}, packages);
    const found: FoundPackage[] = [];
    for (const [key, tuple] of Object.entries(packages)) {
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
      found.push(npmPackage(name, registryVersion, { dev: dev.has(key), commit: registryVersion ? undefined : commitFromUrl(ref) }));
    }
    return dedupePackages(found);
  },
} satisfies Extractor;
