import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { parseDuration, reportHost, runAgent, type HostReportOptions } from '../agent/host-agent.js';
import { log } from '../log.js';
import type { RegisterCommand } from './commands.js';
import { CliError } from './errors.js';
import { parseContext } from './scan.js';
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
}

async function agentAction(opts: AgentOptions): Promise<void> {
  const apiKey = opts.apiKey ?? process.env.VIGIL_API_KEY;
  if (!apiKey) throw new CliError('vigil agent needs --api-key KEY (or VIGIL_API_KEY), a key with the scanner role');
  const intervalMs = parseDuration(opts.interval);
  if (intervalMs === undefined) throw new CliError(`--interval "${opts.interval}": expected a duration such as 30m, 6h or 1d`);
  const report: HostReportOptions = {
    server: opts.server,
    apiKey,
    root: resolve(opts.root),
    name: opts.name ?? hostname(),
    tags: parseTags(opts.tag),
    context: parseContext(opts.context),
    accountId: opts.account,
    network: opts.network,
  };
  if (opts.once) {
    try {
      const res = await reportHost(report);
      const total = Object.values(res.summary).reduce((a, n) => a + n, 0);
      const network = res.network ? ', network report sent' : '';
      process.stdout.write(`${res.resource.type} ${res.resource.name} (${res.resource.id}): inventory ${res.inventoryVersion} reported, ${total} findings${network}\n`);
    } catch (err) {
      throw new CliError(`host report to ${opts.server} failed: ${err instanceof Error ? err.message : String(err)}`, 1);
    }
    return;
  }
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  log.info({ server: opts.server, name: report.name, root: report.root, intervalMs }, 'agent started');
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
    .option('--once', 'report once and exit (1 when the report fails)')
    .option('--no-network', "do not send this host's network report (listening sockets, interfaces, firewall) after its inventory")
    .action(agentAction);
};
