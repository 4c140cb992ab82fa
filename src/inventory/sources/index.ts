/**
 * Turns a target string into a {@link Source}: Syft-style scheme prefixes (`dir:`, `oci-dir:`,
 * `docker-archive:`, `oci-archive:`, `registry:`, `file:`, `ssh:`), or auto-detection when there is
 * none. `sbom:` targets are read by the SBOM readers, not walked, and are handled by the
 * caller.
 */
import { existsSync } from 'node:fs';
import { open as openFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { TargetError } from '../errors.js';
import type { ScanLimits } from '../limits.js';
import type { Source } from '../walk.js';
import { DirectorySource } from './directory.js';
import { parsePlatform } from './platform.js';
import type { RegistryOptions } from './registry.js';
import { SingleFileSource } from './single-file.js';
import type { SshOptions } from './ssh.js';

/** The schemes a target may start with. */
export const SCHEMES = ['dir', 'oci-dir', 'docker-archive', 'oci-archive', 'registry', 'sbom', 'file', 'ssh'] as const;
/** One target scheme. */
export type Scheme = (typeof SCHEMES)[number];

/** A target string split into scheme and the rest. */
export interface TargetRef {
  scheme: Scheme;
  /** What follows the scheme: a path, `path:tag`, or an image reference. */
  value: string;
  /** The string as the user gave it. */
  raw: string;
}

/** Options for opening sources. */
export interface OpenOptions {
  limits: ScanLimits;
  /** `os/arch[/variant]` for multi-platform images; default linux/amd64. */
  platform?: string;
  registry?: RegistryOptions;
  /** Credentials and known hosts for `ssh:` targets. */
  ssh?: SshOptions;
  signal?: AbortSignal;
  /** Problems found while opening (e.g. an archive with several images). */
  warn(reason: string): void;
}

async function exists(path: string): Promise<'dir' | 'file' | undefined> {
  try {
    const st = await stat(path);
    return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : undefined;
  } catch {
    return undefined;
  }
}

async function head(path: string, n: number): Promise<Buffer> {
  const fh = await openFile(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

function looksLikeTar(buf: Buffer): boolean {
  if (buf.length < 512) return false;
  if (buf.subarray(257, 262).toString('latin1') === 'ustar') return true;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : buf[i];
  return parseInt(buf.subarray(148, 156).toString('latin1').replace(/\0.*$/s, '').trim(), 8) === sum;
}

const NO_SUCH_PATH = 'no such file or directory (for an image in a registry, write registry:HOST/REPO[:TAG])';

/** True for what reads as an image in a registry rather than a path: `HOST[:PORT]/REPO…` (a dot or port in the first part, or localhost). */
function looksLikeImageName(target: string): boolean {
  const firstPart = target.split('/')[0];
  return target.includes('/') && (firstPart.includes('.') || firstPart.includes(':') || firstPart === 'localhost');
}

/** Schemes whose value is a path on this machine. */
const LOCAL_SCHEMES: ReadonlySet<string> = new Set<Scheme>(['dir', 'file', 'sbom', 'oci-dir', 'oci-archive', 'docker-archive']);
/** Schemes whose value is `PATH[:TAG]` (see {@link splitTag}). */
const TAGGED_SCHEMES: ReadonlySet<string> = new Set<Scheme>(['oci-dir', 'oci-archive']);

/**
 * Throws for a target on this machine with nothing at its path (a typo), without reading it, so
 * that a command can say so before anything slow (downloading the advisory database). Remote
 * targets, and paths that exist, pass: reading them says what else is wrong.
 */
export function assertTargetPresent(target: string): void {
  const split = splitScheme(target);
  if (split && !LOCAL_SCHEMES.has(split.scheme)) return;
  const value = split ? split.value : target;
  if (!value || existsSync(value)) return;
  const tagged = split && TAGGED_SCHEMES.has(split.scheme) ? tagSplit(value) : undefined;
  if (tagged && existsSync(tagged.path)) return;
  if (split) throw new TargetError(target, 'no such file or directory');
  if (!looksLikeImageName(target)) throw new TargetError(target, NO_SUCH_PATH);
}

/** Looks at a path (and the first bytes of a file) to decide what kind of target it is. */
export async function detectScheme(target: string, limits: ScanLimits): Promise<TargetRef> {
  const kind = await exists(target);
  if (kind === 'dir') {
    const layout = (await exists(join(target, 'oci-layout'))) === 'file' && (await exists(join(target, 'index.json'))) === 'file';
    return { scheme: layout ? 'oci-dir' : 'dir', value: target, raw: target };
  }
  if (kind === 'file') {
    const first = await head(target, 4096);
    if (looksLikeTar(first)) {
      const { TarIndex } = await import('./tar-index.js');
      const index = await TarIndex.build(target, target, limits.maxArchiveMembers);
      if (index.find('/manifest.json')) return { scheme: 'docker-archive', value: target, raw: target };
      if (index.find('/index.json')) return { scheme: 'oci-archive', value: target, raw: target };
      throw new TargetError(target, 'a tar archive that is neither a docker archive (manifest.json) nor an OCI archive (index.json); unpack it and scan the directory');
    }
    const text = first.toString('utf8');
    if (/^\s*\{/.test(text) && (/"bomFormat"\s*:\s*"CycloneDX"/.test(text) || /"spdxVersion"\s*:/.test(text))) {
      return { scheme: 'sbom', value: target, raw: target };
    }
    return { scheme: 'file', value: target, raw: target };
  }
  if (looksLikeImageName(target)) return { scheme: 'registry', value: target, raw: target };
  throw new TargetError(target, NO_SUCH_PATH);
}

/**
 * Refuses a target that starts with a scheme Vigil does not know (`dri:/tmp`, a typo of
 * `dir:`) instead of trying it as a registry host. Not a scheme: a registry host with a port
 * (`localhost:5000/app`), an image tag (`registry.example.com/app:1`, whose first colon
 * follows a slash; `alpine:3.19`, a tag without a slash) or a path that exists.
 */
export function assertKnownScheme(target: string): void {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/s.exec(target);
  if (!m || (SCHEMES as readonly string[]).includes(m[1])) return;
  const rest = m[2];
  if (/^\d+(\/|$)/.test(rest) || /^[\w][\w.-]{0,127}$/.test(rest) || existsSync(target)) return;
  throw new TargetError(target, `unknown target scheme '${m[1]}:' (known: ${SCHEMES.join(', ')}; or give a path)`);
}

/** `scheme:value` split when the prefix is a known scheme, else undefined. */
function splitScheme(target: string): { scheme: Scheme; value: string } | undefined {
  const colon = target.indexOf(':');
  const scheme = target.slice(0, Math.max(colon, 0));
  return colon > 0 && (SCHEMES as readonly string[]).includes(scheme) ? { scheme: scheme as Scheme, value: target.slice(colon + 1) } : undefined;
}

/** Splits `scheme:value` when the prefix is a known scheme; otherwise auto-detects. */
export async function parseTarget(target: string, limits: ScanLimits): Promise<TargetRef> {
  const split = splitScheme(target);
  if (split) {
    if (!split.value) throw new TargetError(target, `nothing after "${split.scheme}:"`);
    return { ...split, raw: target };
  }
  assertKnownScheme(target);
  return detectScheme(target, limits);
}

/** `PATH:TAG` read as a path and a tag (the last colon, a tag without `/`), or undefined. */
function tagSplit(value: string): { path: string; tag: string } | undefined {
  const i = value.lastIndexOf(':');
  return i > 0 && !value.slice(i + 1).includes('/') ? { path: value.slice(0, i), tag: value.slice(i + 1) } : undefined;
}

/** `PATH[:TAG]`: the tag is split off only when PATH alone exists. */
async function splitTag(value: string): Promise<{ path: string; tag?: string }> {
  if (await exists(value)) return { path: value };
  const tagged = tagSplit(value);
  return tagged && (await exists(tagged.path)) ? tagged : { path: value };
}

/** Opens a walkable source for a target (every scheme but `sbom`). */
export async function openSource(ref: TargetRef, opts: OpenOptions): Promise<Source> {
  const platform = parsePlatform(opts.platform);
  switch (ref.scheme) {
    case 'dir':
      return DirectorySource.open(ref.value, ref.raw);
    case 'file':
      return SingleFileSource.open(ref.value, ref.raw);
    case 'oci-dir': {
      const { path, tag } = await splitTag(ref.value);
      // Image readers load on demand, like the registry and SSH clients below: their tar and
      // zstd readers cost a directory or lockfile scan start-up time.
      return (await import('./oci-layout.js')).LayoutImageSource.fromDirectory(path, tag, ref.raw, platform, opts.limits);
    }
    case 'oci-archive': {
      const { path, tag } = await splitTag(ref.value);
      return (await import('./oci-layout.js')).LayoutImageSource.fromArchive(path, tag, ref.raw, platform, opts.limits);
    }
    case 'docker-archive':
      return (await import('./docker-archive.js')).DockerArchiveSource.open(ref.value, ref.raw, opts.limits, opts.warn);
    case 'registry':
      // Loaded on demand: the HTTP and SSH clients cost every other scan start-up time.
      return (await import('./registry.js')).RegistrySource.open(ref.value, ref.raw, platform, opts.limits, opts.registry ?? {}, opts.signal);
    case 'ssh':
      return (await import('./ssh.js')).SshSource.open(ref.value, ref.raw, opts.ssh, opts.signal);
    case 'sbom':
      throw new TargetError(ref.raw, 'an SBOM is read, not walked');
  }
}
