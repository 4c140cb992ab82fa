/**
 * `package-lock.json` (lockfile versions 1–3) and `npm-shrinkwrap.json`, which has the same
 * format. Version 2 and 3 files carry a flat `packages` map keyed by install path; version 1
 * files (and v2 files written without it) only have the nested `dependencies` tree.
 */
import { z } from 'zod';
import type { Extractor, ExtractContext, FileRef, FoundPackage } from '../../types.js';
import { baseName, dedupePackages, dirName, insideInstalledTree, parseJson, readText, validate } from '../language-common.js';
import { commitFromUrl, isNonRegistrySpec, nameFromInstallPath, npmPackage, parseNpmAlias } from './npm.js';

const flag = z.boolean().optional().catch(undefined);

const packageEntry = z.looseObject({
  name: z.string().optional().catch(undefined),
  version: z.string().optional().catch(undefined),
  resolved: z.string().optional().catch(undefined),
  link: flag,
  dev: flag,
  devOptional: flag,
  optional: flag,
  inBundle: flag,
});

interface V1Dependency {
  version?: string;
  resolved?: string;
  dev?: boolean;
  optional?: boolean;
  bundled?: boolean;
  dependencies?: Record<string, V1Dependency>;
}

const v1Dependency: z.ZodType<V1Dependency> = z.lazy(() =>
  z.looseObject({
    version: z.string().optional().catch(undefined),
    resolved: z.string().optional().catch(undefined),
    dev: flag,
    optional: flag,
    bundled: flag,
    dependencies: z.record(z.string(), v1Dependency).optional(),
  }),
);

/** The parts of a `package-lock.json` Vigil reads; everything else is ignored. */
export const packageLockSchema = z.looseObject({
  lockfileVersion: z.number().int().optional(),
  packages: z.record(z.string(), packageEntry).optional(),
  dependencies: z.record(z.string(), v1Dependency).optional(),
});

const NEWEST_VERSION = 3;

/** Reads the version of the package installed at a lockfile path, if the target has it. */
type InstalledVersion = (installPath: string) => Promise<string | undefined>;

async function fromPackages(packages: Record<string, z.infer<typeof packageEntry>>, installed: InstalledVersion): Promise<FoundPackage[]> {
  const out: FoundPackage[] = [];
  for (const [path, entry] of Object.entries(packages)) {
    // "" is the project itself; links point at another entry (a workspace) that is listed too.
    if (path === '' || entry.link) continue;
    const name = entry.name ?? nameFromInstallPath(path);
    if (!name) continue;
    let version = entry.version ?? '';
    // When the tree is installed beside the lockfile and disagrees with it, what is on disk wins.
    const onDisk = path.includes('node_modules/') ? await installed(path) : undefined;
    const locked = onDisk && onDisk !== version ? version : undefined;
    if (onDisk) version = onDisk;
    const pkg = npmPackage(name, version, {
      dev: entry.dev === true || entry.devOptional === true,
      optional: entry.optional === true || entry.devOptional === true,
      bundled: entry.inBundle === true,
      commit: commitFromUrl(entry.resolved),
    });
    if (locked !== undefined) pkg.metadata = { ...pkg.metadata, lockedVersion: locked };
    out.push(pkg);
  }
  return out;
}

function* fromDependencies(deps: Record<string, V1Dependency>): Generator<FoundPackage> {
  for (const [key, dep] of Object.entries(deps)) {
    let name = key;
    let version = dep.version ?? '';
    const alias = parseNpmAlias(version);
    if (alias) ({ name, version } = alias);
    const commit = commitFromUrl(version) ?? commitFromUrl(dep.resolved);
    // A git, file or tarball dependency has no registry version in a v1 lockfile.
    if (isNonRegistrySpec(version)) version = '';
    yield npmPackage(name, version, { dev: dep.dev === true, optional: dep.optional === true, bundled: dep.bundled === true, commit });
    if (dep.dependencies) yield* fromDependencies(dep.dependencies);
  }
}

/** Extracts npm packages from `package-lock.json` and `npm-shrinkwrap.json`. */
export const packageLockJson = {
  id: 'javascript/package-lock-json',
  version: 1,
  fileRequired(path: string): boolean {
    const name = baseName(path);
    if (name !== 'package-lock.json' && name !== 'npm-shrinkwrap.json') return false;
    // A lockfile shipped inside an installed dependency describes how that dependency was
    // developed, not what is installed; the installed package.json files are the truth there.
    return !insideInstalledTree(path);
  },
  /** Installed package.json files beside the lockfile, to prefer what is on disk. */
  auxiliaryFile(path: string): boolean {
    return /(?:^|\/)node_modules\/(?:@[^/]+\/)?[^/]+\/package\.json$/.test(path);
  },
  async extract(file: FileRef, ctx: ExtractContext): Promise<FoundPackage[]> {
    const text = await readText(file);
    const data = parseJson(file.path, text);
    // An empty or `null` document is a lockfile with nothing in it, not an error.
    if (data === null) return [];
    const lock = validate(file.path, packageLockSchema, data, 'package-lock.json');
    if ((lock.lockfileVersion ?? 1) > NEWEST_VERSION) {
      ctx.warn(`lockfileVersion ${lock.lockfileVersion} is newer than ${NEWEST_VERSION}; read as version ${NEWEST_VERSION}`);
    }
    const root = dirName(file.path).replace(/\/$/, '');
    const installed: InstalledVersion = async (installPath) => {
      const buf = ctx.readFile ? await ctx.readFile(`${root}/${installPath}/package.json`).catch(() => undefined) : undefined;
      if (!buf) return undefined;
      try {
        const v = (JSON.parse(buf.toString('utf8')) as { version?: unknown }).version;
        return typeof v === 'string' && v !== '' ? v : undefined;
      } catch {
        return undefined;
      }
    };
    if (lock.packages) return dedupePackages(await fromPackages(lock.packages, installed));
    if (lock.dependencies) return dedupePackages([...fromDependencies(lock.dependencies)]);
    return [];
  },
} satisfies Extractor;
