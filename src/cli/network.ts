/**
 * `vigil network`: network reachability of a topology snapshot.
 *   vigil network analyze DIR [--format table|json]
 *   vigil network collect [--firewall-id ID]
 * DIR holds AWS CLI outputs (describe-*.json) or a YAML topology (docs/network.md); collect
 * prints this host's listening sockets, interfaces and firewall as JSON, for a topology's `hostReport`.
 */
import type { Command } from 'commander';
import { hostname } from 'node:os';
import { analyze, type Exposure } from '../network/analyze.js';
import { collectHostNetwork } from '../network/host/collect.js';
import { TopologyError } from '../network/input.js';
import { loadTopology } from '../network/load.js';
import { formatRange } from '../network/ports.js';
import type { RegisterCommand } from './commands.js';
import { CliError } from './errors.js';
import { writeStdout } from './output.js';

function publicEndpoint(e: Exposure): string {
  const port = formatRange(e.publicPortRange);
  if (e.publicAddresses.length === 0) return `:${port}`;
  return e.publicAddresses.map((a) => (a.includes(':') ? `[${a}]:${port}` : `${a}:${port}`)).join(' ');
}

/** One row per exposure, columns padded to their widest cell. */
export function exposureTable(exposures: readonly Exposure[]): string {
  const header = ['RESOURCE', 'PROTOCOL', 'PORTS', 'FROM THE INTERNET AT', 'LISTENING', 'PATH'];
  const rows = exposures.map((e) => [
    e.resourceId,
    e.protocol,
    formatRange(e.openPortRange),
    publicEndpoint(e),
    e.listeners === undefined ? '?' : e.listeners.map((l) => `${l.port}/${l.protocol}${l.process ? ` ${l.process}` : ''}`).join(', ') || '-',
    e.networkPath.steps.map((s) => s.componentId).join(' → '),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n');
}

/** The `network` command and its subcommands. */
export const registerNetwork: RegisterCommand = (program: Command) => {
  const network = program.command('network').description('Network reachability: which ports of which hosts the internet can reach');
  network
    .command('analyze')
    .description('Print what the internet can reach in a topology directory (AWS describe-*.json outputs or YAML)')
    .argument('<dir>', 'directory holding the topology snapshot')
    .option('--format <format>', 'table or json', 'table')
    .action((dir: string, opts: { format: string }) => {
      if (opts.format !== 'table' && opts.format !== 'json') throw new CliError(`--format must be table or json, not "${opts.format}"`);
      let loaded;
      try {
        loaded = loadTopology(dir);
      } catch (err) {
        if (err instanceof TopologyError) throw new CliError(err.message);
        throw err;
      }
      const { exposures, warnings } = analyze(loaded.topology);
      for (const w of warnings) process.stderr.write(`vigil: warning: ${w}\n`);
      if (opts.format === 'json') writeStdout(`${JSON.stringify({ exposures, warnings }, null, 2)}\n`);
      else writeStdout(exposures.length === 0 ? 'Nothing in this topology is reachable from the internet.\n' : `${exposureTable(exposures)}\n`);
    });
  network
    .command('collect')
    .description("Print this host's listening sockets (with their processes), interfaces and firewall rules as JSON; reads only")
    .option('--firewall-id <id>', 'the host firewall in paths (default: <host name>/firewall)')
    .action(async (opts: { firewallId?: string }) => {
      writeStdout(`${JSON.stringify(await collectHostNetwork({ firewallId: opts.firewallId ?? `${hostname()}/firewall` }), null, 2)}\n`);
    });
};
