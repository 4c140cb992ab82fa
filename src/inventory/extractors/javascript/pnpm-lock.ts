/**
 * `pnpm-lock.yaml`, lockfile versions 5.x, 6.x and 9.x. Package keys changed shape between
 * them (`/name/1.0.0_peer` in 5, `/name@1.0.0(peer)` in 6, `name@1.0.0(peer)` in 9), and 9
 * moved the dev flag out of `packages` into the importers, so dev is worked out from there.
 */
import { z } from 'zod';
import type { Extractor, ExtractContext, FileRef, FoundPackage } from '../../types.js';
import { baseName, dedupePackages, insideInstalledTree, parseYaml, readText, validate } from '../language-common.js';
import { npmPackage } from './npm.js';
import { yarnCommit } from './yarn-lock.js';

const NEWEST_VERSION = 9;

const pnpmPackage = z.looseObject({
  name: z.string().optional().catch(undefined),
  version: z.union([z.string(), z.number()]).transform(String).optional().catch(undefined),
  dev: z.boolean().optional().catch(undefined),
  optional: z.boolean().optional().catch(undefined),
  resolution: z
    .looseObject({ commit: z.string().optional(), tarball: z.string().optional(), repo: z.string().optional() })
    .optional()
    .catch(undefined),
});

const depMap = z.record(z.string(), z.union([z.string(), z.looseObject({ version: z.string() })])).optional().catch(undefined);

const importer = z.looseObject({ dependencies: depMap, optionalDependencies: depMap, devDependencies: depMap });

/** The parts of a `pnpm-lock.yaml` Vigil reads. */
export const pnpmLockSchema = z.looseObject({
  lockfileVersion: z.union([z.string(), z.number()]).transform(String).optional(),
  packages: z.record(z.string(), pnpmPackage.nullable()).nullable().optional(),
  importers: z.record(z.string(), importer.nullable()).nullable().optional().catch(undefined),
  // Snapshots (one per package, v9) are only walked for dev marking; read loosely in `snapshotDeps`
  // rather than validated whole, which would double the time on a large lockfile.
  snapshots: z.record(z.string(), z.unknown()).nullable().optional().catch(undefined),
  // Single-project lockfiles before v9 keep the importer's maps at the top level.
  dependencies: depMap,
  optionalDependencies: depMap,
  devDependencies: depMap,
});

type PnpmLock = z.infer<typeof pnpmLockSchema>;

function isVersion(v: string): boolean {
  return /^\d/.test(v);
}

/** Name and version from a `packages` key, or undefined when the key names no registry version. */
export function parsePnpmKey(key: string, majorVersion: number): { name: string; version: string } | undefined {
  let k = key.startsWith('/') ? key.slice(1) : key;
  const paren = k.indexOf('(');
  if (paren > 0) k = k.slice(0, paren);
  if (majorVersion >= 6) {
    const at = k.indexOf('@', k.startsWith('@') ? 1 : 0);
    if (at > 0) return { name: k.slice(0, at), version: k.slice(at + 1) };
  }
  // 5.x: `[host/]name/version[_peers]`, the name possibly scoped.
  const segs = k.split('/');
  // `file:…`, `link:…` and other protocol keys carry their name in the entry, if anywhere.
  if (segs.length < 2 || segs[0].includes(':')) return undefined;
  const version = segs[segs.length - 1].split('_')[0];
  const scoped = segs.length >= 3 && segs[segs.length - 3].startsWith('@');
  const name = scoped ? `${segs[segs.length - 3]}/${segs[segs.length - 2]}` : segs[segs.length - 2];
  return { name, version };
}

function depVersion(v: string | { version: string }): string {
  return typeof v === 'string' ? v : v.version;
}

/** `name@version` keys a snapshot depends on; anything malformed is ignored. */
function snapshotDeps(snap: unknown): string[] {
  const out: string[] = [];
  if (!snap || typeof snap !== 'object') return out;
  for (const field of ['dependencies', 'optionalDependencies'] as const) {
    const deps = (snap as Record<string, unknown>)[field];
    if (!deps || typeof deps !== 'object') continue;
    for (const [name, v] of Object.entries(deps as Record<string, unknown>)) {
      if (typeof v === 'string') out.push(`${name}@${v}`);
    }
  }
  return out;
}

/**
 * Lockfile 9 has no per-package dev flag. A package is dev when it is reachable from some
 * importer's `devDependencies` and from no importer's production or optional dependencies.
 */
function devKeysV9(lock: PnpmLock): Set<string> {
  const snapshots = lock.snapshots ?? {};
  function walk(roots: string[]): Set<string> {
    const seen = new Set<string>();
    const stack = [...roots];
    while (stack.length > 0) {
      const key = stack.pop() as string;
      if (seen.has(key)) continue;
      seen.add(key);
      for (const dep of snapshotDeps(snapshots[key])) stack.push(dep);
    }
    return seen;
  }
  const prodRoots: string[] = [];
  const devRoots: string[] = [];
  for (const imp of Object.values(lock.importers ?? {})) {
    for (const [name, v] of [...Object.entries(imp?.dependencies ?? {}), ...Object.entries(imp?.optionalDependencies ?? {})]) {
      prodRoots.push(`${name}@${depVersion(v)}`);
    }
    for (const [name, v] of Object.entries(imp?.devDependencies ?? {})) devRoots.push(`${name}@${depVersion(v)}`);
  }
  const prod = walk(prodRoots);
  const dev = new Set<string>();
  for (const key of walk(devRoots)) if (!prod.has(key)) dev.add(key.replace(/\(.*$/, ''));
  return dev;
}

/** Extracts npm packages from `pnpm-lock.yaml`. */
export const pnpmLock = {
  id: 'javascript/pnpm-lock',
  version: 1,
  fileRequired(path: string): boolean {
    return baseName(path) === 'pnpm-lock.yaml' && !insideInstalledTree(path);
  },
  async extract(file: FileRef, ctx: ExtractContext): Promise<FoundPackage[]> {
    const text = await readText(file);
    const data = await parseYaml(file.path, text);
    if (data === null || data === undefined) return [];
    const lock = validate(file.path, pnpmLockSchema, data, 'pnpm lockfile');
    const major = Number.parseFloat(lock.lockfileVersion ?? '5') || 5;
    if (Math.floor(major) > NEWEST_VERSION) {
      ctx.warn(`lockfileVersion ${lock.lockfileVersion} is newer than ${NEWEST_VERSION}; read as version ${NEWEST_VERSION}`);
    }
    const devV9 = major >= 9 ? devKeysV9(lock) : new Set<string>();
    const found: FoundPackage[] = [];
    for (const [key, entry] of Object.entries(lock.packages ?? {})) {
      const parsed = parsePnpmKey(key, major);
      let name = entry?.name ?? parsed?.name;
      let version = entry?.version ?? parsed?.version;
      if (parsed && !entry?.version && !isVersion(parsed.version)) version = undefined;
      if (entry?.name === undefined && parsed === undefined) name = undefined;
      if (!name || version === undefined || !isVersion(version)) {
        ctx.warn(`package key "${key}" names no package version; skipped`);
        continue;
      }
      const commit = entry?.resolution?.commit ?? yarnCommit(entry?.resolution?.tarball);
      const dev = major >= 9 ? devV9.has(`${name}@${parsed?.version ?? version}`) || devV9.has(key) : entry?.dev === true;
      found.push(npmPackage(name, version, { dev, optional: entry?.optional === true, commit }));
    }
    return dedupePackages(found);
  },
} satisfies Extractor;
