/**
 * `vigil sbom <target> [--format cyclonedx-json|spdx-json|json] [-o FILE]`: inventories a
 * target (directory, image layout or archive, registry image, host over SSH, SBOM, lockfile) and writes it
 * as CycloneDX 1.6, SPDX 2.3 or Vigil's inventory JSON. The target options and the progress
 * display are exported for other commands that scan targets.
 */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { LimitExceededError, TargetError, scanTarget, type ScanOptions } from '../inventory/index.js';
import { SBOM_FORMATS, type SbomFormat } from '../inventory/sbom/formats.js';
import type { Inventory } from '../inventory/types.js';
import type { RegisterCommand } from './commands.js';
import { CliError } from './errors.js';
import { writeStdout } from './output.js';

/** The target-related flags, as commander hands them over. */
export interface TargetFlags {
  platform?: string;
  insecureRegistry?: boolean;
  registryUsername?: string;
  registryPassword?: string;
  registryToken?: string;
  maxDecompressedBytes?: string;
  maxEntries?: string;
  maxLayers?: string;
  maxFileBytes?: string;
  sshKey?: string;
  sshKnownHosts?: string;
}

/** Adds the flags every target-scanning command takes. */
export function addTargetOptions(cmd: Command): Command {
  return cmd
    .option('--platform <os/arch[/variant]>', 'image platform to pick from a multi-platform image', 'linux/amd64')
    .option('--insecure-registry', 'reach a loopback registry over plain HTTP')
    .option('--registry-username <name>', 'registry user (or $VIGIL_REGISTRY_USERNAME, or ~/.docker/config.json)')
    .option('--registry-password <password>', 'registry password (or $VIGIL_REGISTRY_PASSWORD)')
    .option('--registry-token <token>', 'registry bearer token, used as is (or $VIGIL_REGISTRY_TOKEN)')
    .option('--max-decompressed-bytes <n>', 'stop when layers decompress to more than this many bytes')
    .option('--max-entries <n>', 'stop past this many files across all layers')
    .option('--max-layers <n>', 'refuse images with more layers')
    .option('--max-file-bytes <n>', 'skip (with a warning) files larger than this')
    .option('--ssh-key <file>', 'private key for ssh: targets (default ~/.ssh/id_ed25519, id_ecdsa or id_rsa; or ssh-agent)')
    .option('--ssh-known-hosts <file>', 'known hosts for ssh: targets (default ~/.ssh/known_hosts)');
}

/** A positive integer flag's value; undefined when not given. */
export function positive(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw new CliError(`--${name} must be a positive integer, got "${value}"`);
  return n;
}

/** Turns the target flags into {@link ScanOptions}. */
export function scanOptionsFrom(flags: TargetFlags): ScanOptions {
  return {
    platform: flags.platform,
    registry: {
      insecure: flags.insecureRegistry ?? false,
      credentials:
        flags.registryUsername || flags.registryToken
          ? { username: flags.registryUsername, password: flags.registryPassword, token: flags.registryToken }
          : undefined,
    },
    ssh: { privateKeyPath: flags.sshKey, knownHostsPath: flags.sshKnownHosts },
    limits: {
      maxDecompressedBytes: positive('max-decompressed-bytes', flags.maxDecompressedBytes),
      maxEntries: positive('max-entries', flags.maxEntries),
      maxLayers: positive('max-layers', flags.maxLayers),
      maxFileBytes: positive('max-file-bytes', flags.maxFileBytes),
    },
  };
}

/**
 * Scans a target with a progress bar on stderr when stderr is a terminal, turning target
 * errors into {@link CliError}s that name the input.
 */
export async function scanWithProgress(target: string, options: ScanOptions): Promise<Inventory> {
  const interactive = process.stderr.isTTY === true && !process.env.CI;
  // The progress bar library loads only for a terminal: CI logs never show it.
  const cliProgress = interactive ? (await import('cli-progress')).default : undefined;
  const bar = cliProgress
    ? new cliProgress.SingleBar(
        { stream: process.stderr, format: 'scanning {bar} {percentage}% | {value}/{total} MiB', hideCursor: true, clearOnComplete: true },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  let started = false;
  const onProgress = bar
    ? (read: number, total?: number) => {
        const mib = Math.round(read / 1024 / 1024);
        const totalMib = Math.max(mib, Math.round((total ?? 0) / 1024 / 1024));
        if (!started) {
          bar.start(totalMib || mib, mib);
          started = true;
        } else {
          bar.setTotal(totalMib || mib);
          bar.update(mib);
        }
      }
    : undefined;
  try {
    return await scanTarget(target, { ...options, onProgress });
  } catch (err) {
    if (err instanceof TargetError || err instanceof LimitExceededError) throw new CliError(err.message);
    throw err;
  } finally {
    if (started) bar?.stop();
  }
}

/** Prints an inventory's warnings to stderr, a bounded number of them. */
export function reportWarnings(inventory: Inventory, max = 20): void {
  for (const w of inventory.warnings.slice(0, max)) {
    process.stderr.write(`vigil: warning: ${w.path ? `${w.path}: ` : ''}${w.reason}${w.extractor ? ` [${w.extractor}]` : ''}\n`);
  }
  if (inventory.warnings.length > max) process.stderr.write(`vigil: warning: … and ${inventory.warnings.length - max} more\n`);
  if (inventory.partial) process.stderr.write('vigil: warning: some files could not be read; the inventory may be incomplete\n');
}

/** The `sbom` command. */
export const registerSbom: RegisterCommand = (program: Command) => {
  addTargetOptions(
    program
      .command('sbom')
      .description('Inventory a target and write it as an SBOM (CycloneDX 1.6, SPDX 2.3) or inventory JSON')
      .argument('<target>', 'dir:PATH, oci-dir:PATH[:TAG], docker-archive:FILE, oci-archive:FILE, registry:HOST/REPO[:TAG|@DIGEST], sbom:FILE, file:PATH, or a path')
      .option('--format <format>', `output format: ${SBOM_FORMATS.join(', ')}`, 'cyclonedx-json')
      .option('-o, --output <file>', 'write to a file instead of stdout'),
  ).action(async (target: string, opts: TargetFlags & { format: string; output?: string }) => {
    if (!(SBOM_FORMATS as readonly string[]).includes(opts.format)) {
      throw new CliError(`unknown format "${opts.format}"; choose one of ${SBOM_FORMATS.join(', ')}`);
    }
    const inventory = await scanWithProgress(target, scanOptionsFrom(opts));
    reportWarnings(inventory);
    // Loaded here: `vigil scan` shares this file's target options and needs no SBOM writer.
    const { formatInventory } = await import('../inventory/sbom/index.js');
    const text = formatInventory(inventory, opts.format as SbomFormat);
    if (opts.output) {
      try {
        await writeFile(opts.output, text);
      } catch (err) {
        throw new CliError(`cannot write ${opts.output}: ${err instanceof Error ? err.message : String(err)}`);
      }
    } else {
      writeStdout(text);
    }
  });
};
