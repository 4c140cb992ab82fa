/**
 * What the host agent walks of a root filesystem: everything but the mounts its mount policy
 * leaves out (src/agent/mounts.ts), temporary and cache trees (the default excludes) and what
 * the operator excludes with `--exclude GLOB`. It also counts the directories it admits, for
 * progress, and remembers what it left out, for the summary.
 */
import picomatch from 'picomatch';
import { mountsToSkip, readMounts, type MountEntry, type MountPolicy } from './mounts.js';

/**
 * Left out unless `--no-default-excludes`: trees where nothing is installed, only downloaded,
 * built or unpacked for a while. Trivy skips `proc`, `sys`, `dev` and `**\/.git` by default;
 * these go further because a host agent runs unattended on every machine of a fleet, where a
 * temp directory of fixtures, a package manager's cache or a container runtime's image store
 * would otherwise be reported as installed. Container storage belongs to images, which are
 * scanned as images.
 */
export const DEFAULT_EXCLUDES: readonly string[] = [
  '/tmp',
  '/var/tmp',
  '/var/cache',
  '/var/lib/docker',
  '/var/lib/containerd',
  '/var/lib/containers',
  '**/.git',
  '**/.cache',
  '**/.npm',
  '**/.pnpm-store',
  '**/.local/share/pnpm/store',
  '**/.yarn/berry/cache',
  '**/.m2/repository',
  '**/.gradle/caches',
  '**/.ivy2/cache',
  '**/go/pkg/mod',
  '**/.cargo/registry',
  '**/.cargo/git',
  '**/.nuget/packages',
  '**/.composer/cache',
];

/** What decides the walk's scope. */
export interface HostScopeOptions {
  /** The root on disk (`/` on the host itself); mounts are found relative to it. */
  root: string;
  /** `--exclude` globs: `/…` anchored at the root, anything else matched at any depth. */
  exclude?: readonly string[];
  /** False with `--no-default-excludes`. */
  defaultExcludes?: boolean;
  mounts?: MountPolicy;
  /** The mount table (default: this process's). */
  mountTable?: readonly MountEntry[];
}

/** One tree the walk left out, and why. */
export interface LeftOut {
  path: string;
  /** `tmpfs mount`, `nfs4 mount`, `excluded by /tmp`. */
  why: string;
}

/** The scope of one walk: the prune function to hand the walk, and what it saw. */
export interface HostScope {
  prune(path: string, isDir: boolean): boolean;
  /** False for a directory `prune` will leave out; unlike `prune` it counts and records nothing. */
  mayList(path: string): boolean;
  /** Directories admitted so far. */
  readonly directories: number;
  /** The directory the walk entered last. */
  readonly currentDir: string;
  /** Trees left out, in walk order. */
  readonly leftOut: readonly LeftOut[];
  /** Wanted files left out by an exclude. */
  readonly filesExcluded: number;
}

/** A glob as the walk matches it: anchored at the root when it starts with `/`, at any depth otherwise. */
function anchored(glob: string): string {
  const g = glob.trim().replace(/\/+$/, '');
  if (g.startsWith('/') || g.startsWith('**/')) return g;
  return `**/${g}`;
}

/** Builds the scope of a walk of `root`. */
export function hostScope(opts: HostScopeOptions): HostScope {
  const globs = [...(opts.defaultExcludes === false ? [] : DEFAULT_EXCLUDES), ...(opts.exclude ?? [])].filter((g) => g.trim() !== '');
  const matchers = globs.map((g) => ({ glob: g, test: picomatch(anchored(g), { dot: true }) }));
  const skipMounts = mountsToSkip(opts.root, opts.mountTable ?? readMounts(), opts.mounts ?? 'local');
  const leftOut: LeftOut[] = [];
  let directories = 0;
  let currentDir = '/';
  let filesExcluded = 0;
  const excludedBy = (path: string): string | undefined => matchers.find((m) => m.test(path))?.glob;
  return {
    prune(path, isDir) {
      if (!isDir) {
        if (excludedBy(path) === undefined) return false;
        filesExcluded++;
        return true;
      }
      const mount = skipMounts.get(path);
      if (mount) {
        leftOut.push({ path, why: `${mount.fsType} mount` });
        return true;
      }
      const glob = excludedBy(path);
      if (glob !== undefined) {
        leftOut.push({ path, why: `excluded by ${glob}` });
        return true;
      }
      directories++;
      currentDir = path;
      return false;
    },
    mayList(path) {
      return !skipMounts.has(path) && excludedBy(path) === undefined;
    },
    get directories() {
      return directories;
    },
    get currentDir() {
      return currentDir;
    },
    leftOut,
    get filesExcluded() {
      return filesExcluded;
    },
  };
}
