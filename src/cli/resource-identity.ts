/**
 * The name `vigil scan --server` files a target under, stable across CI runs: a directory or
 * lockfile in a git checkout by its repository remote and its path within the checkout (read
 * from `.git/config`, no git binary needed), an image archive by its repository and tag, an
 * SBOM by what it describes (both decided by {@link resourceFromInventory}); per-job paths
 * are the last resort.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { resourceFromInventory, type ResourceInput } from '../findings/resources.js';
import type { Inventory } from '../inventory/types.js';

/** Where a path sits in a git checkout. */
export interface GitLocation {
  /** The remote, normalised: `github.com/org/repo` (no scheme, user, password or `.git`). */
  remote: string;
  /** The path within the checkout, `/`-separated; empty at its root. */
  path: string;
}

/** The `[remote "NAME"] url = …` entries of a git config file, in order. */
export function remoteUrls(config: string): { name: string; url: string }[] {
  const out: { name: string; url: string }[] = [];
  let remote: string | undefined;
  for (const raw of config.split('\n')) {
    const line = raw.trim();
    const section = /^\[\s*([A-Za-z0-9.-]+)(?:\s+"((?:[^"\\]|\\.)*)")?\s*\]/.exec(line);
    if (section) {
      remote = section[1].toLowerCase() === 'remote' ? section[2] : undefined;
      continue;
    }
    const kv = /^url\s*=\s*(.*)$/i.exec(line);
    if (remote !== undefined && kv) out.push({ name: remote, url: kv[1].replace(/^"(.*)"$/, '$1').trim() });
  }
  return out;
}

/**
 * A remote URL as a stable name: `https://user:token@GitHub.com/org/repo.git`,
 * `git@github.com:org/repo.git` and `ssh://git@github.com/org/repo` all become
 * `github.com/org/repo`. Credentials never survive.
 */
export function normaliseRemote(url: string): string {
  let rest = url.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(rest);
  let host: string | undefined;
  if (scheme) {
    if (scheme[1].toLowerCase() === 'file') return scheme[2].replace(/\/+$/, '').replace(/\.git$/, '');
    const slash = scheme[2].indexOf('/');
    host = (slash < 0 ? scheme[2] : scheme[2].slice(0, slash)).replace(/^.*@/, '');
    rest = slash < 0 ? '' : scheme[2].slice(slash + 1);
    // Default ports say nothing about the repository.
    host = host.replace(/:(22|80|443)$/, '');
  } else {
    // scp-like `user@host:path`, but not a local path that happens to hold a colon.
    const scp = /^(?:[^@/]+@)?([^:/]+):(?!\/\/)(.*)$/.exec(rest);
    if (scp && !isAbsolute(rest)) [host, rest] = [scp[1], scp[2]];
  }
  const path = rest.replace(/\/+$/, '').replace(/\.git$/, '');
  return host ? `${host.toLowerCase()}/${path.replace(/^\/+/, '')}`.replace(/\/$/, '') : path;
}

/** The git directory holding the config of the checkout `dotGit` belongs to (worktrees share one). */
function configOf(dotGit: string): string | undefined {
  let gitDir = dotGit;
  if (statSync(dotGit).isFile()) {
    const pointer = /^gitdir:\s*(.+)$/m.exec(readFileSync(dotGit, 'utf8'))?.[1]?.trim();
    if (!pointer) return undefined;
    gitDir = resolve(dirname(dotGit), pointer);
  }
  const common = join(gitDir, 'commondir');
  if (existsSync(common)) gitDir = resolve(gitDir, readFileSync(common, 'utf8').trim());
  const config = join(gitDir, 'config');
  return existsSync(config) ? config : undefined;
}

/**
 * The git checkout `path` lies in and its remote (`origin`, else the first one), or undefined
 * outside a checkout or in one without remotes.
 */
export function gitLocation(path: string): GitLocation | undefined {
  const start = resolve(path);
  let dir = existsSync(start) && statSync(start).isDirectory() ? start : dirname(start);
  for (;;) {
    const dotGit = join(dir, '.git');
    if (existsSync(dotGit)) {
      const config = configOf(dotGit);
      if (!config) return undefined;
      const remotes = remoteUrls(readFileSync(config, 'utf8'));
      const remote = remotes.find((r) => r.name === 'origin') ?? remotes[0];
      if (!remote) return undefined;
      return { remote: normaliseRemote(remote.url), path: relative(dir, start).split(sep).join('/') };
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The local path a `dir:`/`file:` target (or a bare path) names. */
function localPath(target: string): string {
  return target.replace(/^(dir|file):/, '');
}

/**
 * The resource a scanned target is filed under by default: {@link resourceFromInventory},
 * with directories and lockfiles in a git checkout named `remote[/path]`, and other local
 * paths made absolute so that the working directory does not change the name. `stable` is
 * false when the name still depends on where the job ran (worth a hint to pass --name).
 */
export function defaultResource(inventory: Inventory, target: string): { resource: ResourceInput; stable: boolean } {
  const resource = resourceFromInventory(inventory);
  const t = inventory.target;
  if (t.type !== 'dir' && t.type !== 'file') {
    // An archive, layout or SBOM that names nothing better is filed under its path.
    const pathNamed = t.type !== 'registry' && t.type !== 'host' && resource.name === t.name;
    return { resource, stable: !pathNamed };
  }
  const path = localPath(target);
  const git = gitLocation(path);
  if (git) return { resource: { ...resource, name: git.path ? `${git.remote}/${git.path}` : git.remote }, stable: true };
  return { resource: { ...resource, name: resolve(path) }, stable: false };
}
