/**
 * Host facts for reachability, collected on the host itself (by `vigil agent`, later also over
 * SSH): listening sockets with their processes, interfaces and addresses, and the firewall.
 * Read-only: it reads /proc and asks nft or iptables-save to print, nothing else.
 */
import { networkInterfaces } from 'node:os';
import type { HostFacts, Listener } from '../model.js';
import { collectFirewall, firewallModel, type CollectedFirewall } from './firewall.js';
import { collectListeners } from './sockets.js';

/** One interface and its addresses (CIDR notation). */
export interface HostInterface {
  name: string;
  addresses: string[];
}

/** Everything collected, as it would be sent to a server and stored with the host's inventory. */
export interface HostNetworkReport {
  /** The host firewall's id in paths. */
  firewallId: string;
  listeners: Listener[];
  interfaces: HostInterface[];
  firewall: CollectedFirewall;
}

/** The interfaces of this network namespace, loopback left out. */
export function collectInterfaces(): HostInterface[] {
  const out: HostInterface[] = [];
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    const addresses = (addrs ?? []).filter((a) => !a.internal).map((a) => a.cidr ?? a.address);
    if (addresses.length > 0) out.push({ name, addresses });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Collects the report for the host (the network namespace) this process runs in; plain JSON,
 * to send and store as is. `firewallId` names the host firewall in paths.
 */
export function collectHostNetwork(opts: { procRoot?: string; firewallId?: string } = {}): HostNetworkReport {
  return { firewallId: opts.firewallId ?? 'host/firewall', listeners: collectListeners(opts.procRoot), interfaces: collectInterfaces(), firewall: collectFirewall() };
}

/** The facts the analysis applies to an instance from its host's report, and what could not be modelled. */
export function hostFacts(report: HostNetworkReport): { facts: HostFacts; warnings: string[] } {
  const { firewall, warnings } = firewallModel(report.firewall, report.firewallId);
  return { facts: { listeners: report.listeners, ...(firewall ? { firewall } : {}) }, warnings };
}
