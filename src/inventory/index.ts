/**
 * The inventory entry point: `scanTarget('registry:…' | 'dir:…' | …)` → {@link Inventory}.
 * Knows nothing of advisories.
 */
import type { HostReader } from '../network/host/reader.js';
import { buildInventory } from './build.js';
import { resolveLimits, type ScanLimits } from './limits.js';
import { extractors as registered } from './registry.js';
import { openSource, parseTarget } from './sources/index.js';
import type { RegistryOptions } from './sources/registry.js';
import type { SshOptions } from './sources/ssh.js';
import type { Extractor, Inventory, ScanWarning } from './types.js';

export { TargetError } from './errors.js';
export { assertKnownScheme, assertTargetPresent } from './sources/index.js';
export { LimitExceededError, DEFAULT_LIMITS, type ScanLimits } from './limits.js';
export type { RegistryOptions, RegistryCredentials } from './sources/registry.js';

/** Options of {@link scanTarget}. */
export interface ScanOptions {
  /** Bounds on what the scan reads; missing fields take the defaults. */
  limits?: Partial<ScanLimits>;
  /** `os/arch[/variant]` for multi-platform images (default linux/amd64). */
  platform?: string;
  /** Credentials and transport for `registry:` targets. */
  registry?: RegistryOptions;
  /** Credentials and known hosts for `ssh:` targets. */
  ssh?: SshOptions;
  signal?: AbortSignal;
  /** The extractors to run (default: the registry's). */
  extractors?: readonly Extractor[];
  /** Progress: input bytes read so far and, when known, the total. */
  onProgress?(bytesRead: number, totalBytes?: number): void;
  /**
   * Leaves out directories (with all they hold) and files of a directory target: called with
   * each directory's path inside the target before the walk enters it, and with each wanted
   * file before it is read.
   */
  prune?(path: string, isDir: boolean): boolean;
  /** False for a directory `prune` will leave out, asked without entering it, so a walk may list ahead. */
  mayList?(path: string): boolean;
  /**
   * Called after the inventory, before the connection closes, when the target is a live host
   * (ssh:): reads what else is wanted from it over the same session (its network report).
   */
  withHost?(host: HostReader): Promise<void>;
}

/**
 * Inventories one target: `dir:PATH`, `oci-dir:PATH[:TAG]`, `docker-archive:FILE`,
 * `oci-archive:FILE[:TAG]`, `registry:HOST/REPO[:TAG|@DIGEST]`, `sbom:FILE`, `file:PATH`,
 * `ssh:[USER@]HOST[:PORT][/ROOT]`, or
 * a path / image reference without a scheme (auto-detected). Throws {@link TargetError} for
 * a target that cannot be read; problems with single files become warnings.
 */
export async function scanTarget(ref: string, options: ScanOptions = {}): Promise<Inventory> {
  const limits = resolveLimits(options.limits);
  const target = await parseTarget(ref, limits);
  // The SBOM reader (its schemas and PURL parser) loads only for an SBOM.
  if (target.scheme === 'sbom') return (await import('./sbom/read.js')).readSbomFile(target.value, target.raw, limits);
  const openWarnings: ScanWarning[] = [];
  const source = await openSource(target, {
    limits,
    platform: options.platform,
    registry: options.registry,
    ssh: options.ssh,
    signal: options.signal,
    warn: (reason) => openWarnings.push({ reason }),
  });
  try {
    const inventory = await buildInventory(source, {
      extractors: options.extractors ?? registered,
      limits,
      signal: options.signal,
      onProgress: options.onProgress,
      ...(options.prune ? { prune: options.prune } : {}),
      ...(options.mayList ? { mayList: options.mayList } : {}),
    });
    inventory.warnings.unshift(...openWarnings);
    if (options.withHost && source.hostReader) await options.withHost(source.hostReader());
    return inventory;
  } finally {
    await source.close();
  }
}
