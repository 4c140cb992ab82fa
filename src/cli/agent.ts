import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { parseDuration, reportHost, runAgent, type HostInventory, type HostReportOptions } from '../agent/host-agent.js';
import { MOUNT_POLICIES, type MountPolicy } from '../agent/mounts.js';
import { lowerPriority } from '../agent/priority.js';
import { log } from '../log.js';
import { reportSummary, walkBar, walkLog } from './agent-progress.js';
import type { RegisterCommand } from './commands.js';
import { CliError } from './errors.js';
import { parseContext } from './scan.js';
import { positive, reportWarnings } from './sbom.js';
import { parseTags } from './tags.js';

interface AgentOptions {
  server: string;
  apiKey?: string;
  root: string;
  name?: string;
  tag: string[];
  context: string[];
  account?: string;
  interval: string;
  once?: boolean;
  /** False with --no-network. */
  network: boolean;
  exclude: string[];
  defaultExcludes: boolean;
  mounts: string;
  maxFileBytes?: string;
  maxEntries?: string;
}

/** Reports once, showing the walk's progress on stderr and a summary on stdout. */
async function reportOnce(report: HostReportOptions): Promise<void> {
  const progress = process.stderr.isTTY === true && !process.env.CI ? walkBar(report.root) : walkLog(report.root);
  let collected: HostInventory | undefined;
  let sentAt = 0;
  try {
    const res = await reportHost({
      ...report,
      onProgress: (bytes, scope) => progress.update(bytes, scope),
      onInventory: (c) => {
        progress.stop();
        collected = c;
        reportWarnings(c.inventory);
        sentAt = performance.now();
      },
    });
    process.stdout.write(reportSummary(collected!, res, (performance.now() - sentAt) / 1000));
  } catch (err) {
    progress.stop();
    const what = collected ? `host report to ${report.server} failed` : `inventory of ${report.root} failed`;
    throw new CliError(`${what}: ${err instanceof Error ? err.message : String(err)}`, 1);
  }
}

async function agentAction(opts: AgentOptions): Promise<void> {
  const apiKey = opts.apiKey ?? process.env.VIGIL_API_KEY;
  if (!apiKey) throw new CliError('vigil agent needs --api-key KEY (or VIGIL_API_KEY), a key with the scanner role');
  const intervalMs = parseDuration(opts.interval);
  if (intervalMs === undefined) throw new CliError(`--interval "${opts.interval}": expected a duration such as 30m, 6h or 1d`);
  if (!(MOUNT_POLICIES as readonly string[]).includes(opts.mounts)) throw new CliError(`--mounts "${opts.mounts}": expected one of ${MOUNT_POLICIES.join(', ')}`);
  const report: HostReportOptions = {
    server: opts.server,
    apiKey,
    root: resolve(opts.root),
    name: opts.name ?? hostname(),
    tags: parseTags(opts.tag),
    context: parseContext(opts.context),
    accountId: opts.account,
    network: opts.network,
    exclude: opts.exclude,
    defaultExcludes: opts.defaultExcludes,
    mounts: opts.mounts as MountPolicy,
    limits: { maxFileBytes: positive('max-file-bytes', opts.maxFileBytes), maxEntries: positive('max-entries', opts.maxEntries) },
  };
  // The agent shares the host with its real work: it walks at the lowest CPU priority.
  const nice = lowerPriority();
  if (opts.once) return reportOnce(report);
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  log.info({ server: opts.server, name: report.name, root: report.root, intervalMs, nice, mounts: report.mounts }, 'agent started');
  await runAgent({ ...report, intervalMs, log, signal: stop.signal });
  log.info('agent stopped');
}

/** Registers `vigil agent`. */
export const registerAgent: RegisterCommand = (program: Command) => {
  program
    .command('agent')
    .description("Report this host's installed packages to a Vigil server now and on an interval (a HOST resource)")
    .requiredOption('--server <url>', 'the Vigil server, e.g. https://vigil.example:8080')
    .option('--api-key <key>', 'API key with the scanner role (default: $VIGIL_API_KEY)')
    .option('--root <dir>', "the host's root filesystem", '/')
    .option('--name <name>', 'name of the HOST resource (default: the host name)')
    .option('--tag <key=value>', 'resource tag (repeatable)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--context <key=value>', 'internet-reachable=true|false, when known (repeatable)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--account <id>', "file the host under another account (delegated administrator's keys only)")
    .option('--interval <duration>', 'time between reports (30m, 6h, 1d)', '6h')
    .option('--once', 'report once and exit (1 when the report fails), with progress on stderr and a summary on stdout')
    .option('--no-network', "do not send this host's network report (listening sockets, interfaces, firewall) after its inventory")
    .option('--exclude <glob>', 'leave out matching directories and files: /… from the root, anything else at any depth (repeatable)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--no-default-excludes', 'walk temporary and cache trees too (/tmp, /var/tmp, /var/cache, container storage, ~/.cache, package manager caches)')
    .option('--mounts <policy>', 'other mounts under the root to walk: local (local disk filesystems), none (the root filesystem only, like --one-file-system) or all', 'local')
    .option('--max-file-bytes <n>', 'largest file read (default 256 MiB)')
    .option('--max-entries <n>', 'most directory entries walked (default 5,000,000)')
    .action(agentAction);
};
