/**
 * A host network report in `vigil scan ssh:` output: a "Host network" section in the table
 * (listening sockets, interfaces, firewall) and a `hostNetwork` field in the JSON. Other
 * formats (SARIF, SBOMs, remediation) describe packages only and are left as they are.
 */
import type { HostNetworkReport } from './collect.js';
import type { CollectedFirewall } from './firewall.js';
import type { HostInterface } from './reader.js';
import type { Listener } from '../model.js';

/** The report as `--format json` shows it: the firewall summarised, not its raw rules (`vigil network collect` prints those). */
export interface HostNetworkSummary {
  listeners: Listener[];
  interfaces: HostInterface[];
  /** `rules` is absent when the tool's output could not be read. */
  firewall: { tool: CollectedFirewall['tool']; rules?: number };
}

/** How many rules the collected firewall holds: nftables `rule` objects, `iptables-save` `-A` lines; undefined when unreadable. */
export function firewallRuleCount(firewall: CollectedFirewall): number | undefined {
  if (firewall.tool === 'none') return 0;
  if (firewall.tool === 'iptables') return firewall.raw.split('\n').filter((line) => line.startsWith('-A ')).length;
  try {
    const doc = JSON.parse(firewall.raw) as { nftables?: unknown };
    if (!Array.isArray(doc.nftables)) return undefined;
    return doc.nftables.filter((entry) => typeof entry === 'object' && entry !== null && 'rule' in entry).length;
  } catch {
    return undefined;
  }
}

/** The JSON form of a report, sockets in protocol and port order. */
export function hostNetworkSummary(report: HostNetworkReport): HostNetworkSummary {
  const rules = firewallRuleCount(report.firewall);
  const listeners = [...report.listeners].sort((a, b) => a.protocol.localeCompare(b.protocol) || a.port - b.port || a.address.localeCompare(b.address));
  return { listeners, interfaces: report.interfaces, firewall: { tool: report.firewall.tool, ...(rules !== undefined ? { rules } : {}) } };
}

function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - [...text].length));
}

/** The table's "Host network" section, as lines. */
export function formatHostNetwork(report: HostNetworkReport): string[] {
  const s = hostNetworkSummary(report);
  const lines = ['Host network', `  Listening sockets (${s.listeners.length})`];
  if (s.listeners.length > 0) {
    const header = ['PROTOCOL', 'ADDRESS', 'PORT', 'PROCESS'];
    // Without root, other users' sockets have no process: say so rather than leave a blank.
    const rows = s.listeners.map((l) => [l.protocol, l.address, String(l.port), l.process ? `${l.process}${l.pid !== undefined ? ` (${l.pid})` : ''}` : '?']);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => [...r[i]!].length)));
    for (const row of [header, ...rows]) lines.push('    ' + row.map((c, i) => pad(c, widths[i]!)).join('  ').trimEnd());
  }
  lines.push(`  Interfaces (${s.interfaces.length})`);
  for (const nic of s.interfaces) lines.push(`    ${nic.name}  ${nic.addresses.join(', ') || '(no address)'}`);
  const rules = s.firewall.rules === undefined ? 'rules unreadable' : `${s.firewall.rules} rule${s.firewall.rules === 1 ? '' : 's'}`;
  lines.push(`  Firewall: ${s.firewall.tool === 'none' ? 'none found (neither nft nor iptables-save answered)' : `${s.firewall.tool}, ${rules}`}`);
  return lines;
}

/**
 * The rendered scan with the host's network added: the table gets its section before the
 * closing summary line, the JSON document a `hostNetwork` field; other formats are unchanged.
 */
export function withHostNetwork(format: string, text: string, report: HostNetworkReport): string {
  if (format === 'json') return `${JSON.stringify({ ...(JSON.parse(text) as object), hostNetwork: hostNetworkSummary(report) }, null, 2)}\n`;
  if (format !== 'table') return text;
  const lines = text.replace(/\n$/, '').split('\n');
  const summary = lines.pop()!;
  return [...lines, ...formatHostNetwork(report), '', summary].join('\n') + '\n';
}
