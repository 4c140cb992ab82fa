/**
 * Host facts for reachability, collected on the host itself (by `vigil agent`) or over SSH
 * (`vigil scan ssh:…`): listening sockets with their processes, interfaces and addresses, and
 * the firewall. Read-only: it reads /proc and asks nft or iptables-save to print, nothing else.
 */
import type { HostFacts, Listener } from '../model.js';
import { collectDockerContainers, type HostContainer } from './containers.js';
import { collectFirewall, firewallModel, type CollectedFirewall } from './firewall.js';
import { localHost, type HostInterface, type HostReader } from './reader.js';
import { collectListeners } from './sockets.js';

export type { HostInterface } from './reader.js';
export type { HostContainer, PublishedPort } from './containers.js';

/** Everything collected, as it would be sent to a server and stored with the host's inventory. */
export interface HostNetworkReport {
  /** The host firewall's id in paths. */
  firewallId: string;
  listeners: Listener[];
  interfaces: HostInterface[];
  firewall: CollectedFirewall;
  /** The containers the host's runtimes record (running or not); absent in reports of older agents. */
  containers?: HostContainer[];
}

/**
 * Collects the report for a host: by default the network namespace this process runs in, or
 * the one `host` reads from (an SSH session). Plain JSON, to send and store as is.
 * `firewallId` names the host firewall in paths; `root` is the host's root filesystem, under
 * which the container runtimes' state is read (default `/`, or the SSH target's ROOT).
 */
export async function collectHostNetwork(opts: { procRoot?: string; firewallId?: string; host?: HostReader; root?: string } = {}): Promise<HostNetworkReport> {
  const host = opts.host ?? localHost;
  return {
    firewallId: opts.firewallId ?? 'host/firewall',
    listeners: await collectListeners(opts.procRoot, host),
    interfaces: await host.interfaces(),
    firewall: await collectFirewall(host),
    containers: await collectDockerContainers(opts.root ?? host.root ?? '/', host),
  };
}

/** The facts the analysis applies to an instance from its host's report, and what could not be modelled. */
export function hostFacts(report: HostNetworkReport): { facts: HostFacts; warnings: string[] } {
  const { firewall, warnings } = firewallModel(report.firewall, report.firewallId);
  return { facts: { listeners: report.listeners, ...(firewall ? { firewall } : {}) }, warnings };
}
