/**
 * The host agent behind `vigil agent`: inventories the host's root filesystem (OS and
 * language packages) and files it with a Vigil server as a HOST resource, once or on an
 * interval. The server matches, scores and tracks it like any scan, and re-evaluates the
 * stored inventory when advisories change, so the agent only has to report what is
 * installed; a host that stops reporting turns STALE_INVENTORY in coverage.
 */
import { release } from 'node:os';
import { resolve } from 'node:path';
import { scanTarget, type ScanLimits } from '../inventory/index.js';
import type { Inventory } from '../inventory/types.js';
import type { Logger } from '../log.js';
import type { ScanContext } from '../matching/types.js';
import { collectHostNetwork } from '../network/host/collect.js';
import { submitHostNetwork, submitInventory, type HostNetworkResult, type SubmitResult } from '../server/client.js';
import { hostScope, type HostScope } from './host-scope.js';
import type { MountPolicy } from './mounts.js';

/** Where and as what the host reports. */
export interface HostReportOptions {
  server: string;
  apiKey: string;
  /** The host's root filesystem (`/` on the host itself). */
  root: string;
  /** The HOST resource's name, unique in the account (the host name by default). */
  name: string;
  tags?: Record<string, string>;
  context?: ScanContext;
  accountId?: string;
  signal?: AbortSignal;
  /**
   * Send the host's network report (listening sockets with their processes, interfaces,
   * firewall) after the inventory; default true. It is read from the network namespace the
   * agent runs in (`/proc`, `nft`/`iptables-save`), whatever `root` is; the containers it
   * lists are read from Docker's state under `root`.
   */
  network?: boolean;
  /** `--exclude` globs (see {@link hostScope}). */
  exclude?: readonly string[];
  /** False with `--no-default-excludes`. */
  defaultExcludes?: boolean;
  /** Which other mounts under the root are walked (default `local`). */
  mounts?: MountPolicy;
  /** Bounds on what the inventory reads; missing fields take the defaults. */
  limits?: Partial<ScanLimits>;
  /** Called as the walk goes: package bytes read so far, and the scope (directories, current one). */
  onProgress?(bytesRead: number, scope: HostScope): void;
  /** Called with the inventory before it is sent. */
  onInventory?(collected: HostInventory): void;
}

/** An inventory of the host, with what its walk left out and how long it took. */
export interface HostInventory {
  inventory: Inventory;
  scope: HostScope;
  /** Wall seconds of the walk. */
  seconds: number;
}

/**
 * Inventories the host's root as a `host` target, within its scope (mount policy, default
 * and given excludes). On the host itself (`/`) it records the running kernel (`uname -r`),
 * so that matching judges the running kernel's package and no other.
 */
export async function collectHost(opts: Pick<HostReportOptions, 'root' | 'name' | 'exclude' | 'defaultExcludes' | 'mounts' | 'limits' | 'signal' | 'onProgress'>): Promise<HostInventory> {
  const started = performance.now();
  const scope = hostScope({ root: opts.root, exclude: opts.exclude, defaultExcludes: opts.defaultExcludes, mounts: opts.mounts });
  const onProgress = opts.onProgress;
  const scanned = await scanTarget(`dir:${opts.root}`, {
    signal: opts.signal,
    limits: opts.limits,
    prune: (path, isDir) => scope.prune(path, isDir),
    mayList: (path) => scope.mayList(path),
    ...(onProgress ? { onProgress: (bytes: number) => onProgress(bytes, scope) } : {}),
  });
  const os = scanned.os && resolve(opts.root) === '/' ? { ...scanned.os, runningKernel: release() } : scanned.os;
  const inventory: Inventory = { ...scanned, ...(os ? { os } : {}), target: { type: 'host', name: opts.name } };
  return { inventory, scope, seconds: (performance.now() - started) / 1000 };
}

/** The server's answers to a host report: the scan, and what the network report did (unless turned off). */
export type HostReportResult = SubmitResult & { network?: HostNetworkResult };

/** Inventories the host and files it with the server, then its network report; returns the server's answers. */
export async function reportHost(opts: HostReportOptions): Promise<HostReportResult> {
  const collected = await collectHost(opts);
  opts.onInventory?.(collected);
  const { inventory } = collected;
  const scan = await submitInventory({
    server: opts.server,
    apiKey: opts.apiKey,
    inventory,
    context: opts.context,
    resource: { type: 'HOST', name: opts.name, tags: opts.tags },
    accountId: opts.accountId,
    signal: opts.signal,
  });
  if (opts.network === false) return scan;
  // Sockets and firewall are the namespace the agent runs in; containers are read under the scanned root.
  const report = await collectHostNetwork({ firewallId: `${opts.name}/firewall`, root: opts.root });
  const network = await submitHostNetwork({ server: opts.server, apiKey: opts.apiKey, name: opts.name, report, accountId: opts.accountId, signal: opts.signal });
  return { ...scan, network };
}

/** How long after a failed report the agent tries again, at first and at most. */
const RETRY_MS = { first: 30_000, max: 15 * 60_000 };

/**
 * Reports now and then every `intervalMs` (±10 %, so a fleet started together does not
 * report together) until `signal` aborts. A failed report is logged and retried sooner,
 * backing off from 30 s to 15 min (never later than the interval).
 */
export async function runAgent(opts: HostReportOptions & { intervalMs: number; log: Logger; signal: AbortSignal }): Promise<void> {
  let retry = RETRY_MS.first;
  while (!opts.signal.aborted) {
    let wait: number;
    try {
      const started = Date.now();
      let collected: HostInventory | undefined;
      const res = await reportHost({ ...opts, onInventory: (c) => (collected = c) });
      const inventory = collected && { packages: collected.inventory.packages.length, warnings: collected.inventory.warnings.length, partial: collected.inventory.partial === true };
      opts.log.info({ resource: res.resource.id, name: res.resource.name, inventoryVersion: res.inventoryVersion, ...inventory, findingCount: res.findingCount ?? res.result.findings.length, findings: res.summary, networkAnalysis: res.network?.analysisId, ms: Date.now() - started }, 'host reported');
      retry = RETRY_MS.first;
      wait = opts.intervalMs * (0.9 + Math.random() * 0.2);
    } catch (err) {
      if (opts.signal.aborted) return;
      opts.log.error({ err: err instanceof Error ? err.message : String(err), retryInMs: Math.min(retry, opts.intervalMs) }, 'host report failed');
      wait = Math.min(retry, opts.intervalMs);
      retry = Math.min(retry * 2, RETRY_MS.max);
    }
    await sleep(wait, opts.signal);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

/** A duration such as `90s`, `15m`, `6h` or `1d`, in milliseconds; undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) return undefined;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  const ms = Number(m[1]) * unit;
  return ms > 0 ? ms : undefined;
}
