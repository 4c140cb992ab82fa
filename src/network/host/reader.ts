/**
 * Where the host collector reads from: this machine (`vigil agent`, `vigil network collect`)
 * or a host reached over SSH (`vigil scan ssh:…`). The parsers in this folder only see text,
 * so both paths share them. Every method is read-only and answers undefined (or empty) for
 * what cannot be read, so a partial view still gives a report.
 */
import { execFile } from 'node:child_process';
import { readFile, readdir, readlink } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';

/** One interface and its addresses (CIDR notation). */
export interface HostInterface {
  name: string;
  addresses: string[];
}

/** Read-only access to a host's /proc, its interfaces and its firewall tools. */
export interface HostReader {
  readFile(path: string): Promise<string | undefined>;
  readdir(path: string): Promise<string[] | undefined>;
  readlink(path: string): Promise<string | undefined>;
  /** Runs a command that only prints (nft, iptables-save); its stdout, or undefined when it fails. */
  run(cmd: string, args: string[]): Promise<string | undefined>;
  /** The interfaces with addresses, loopback left out, sorted by name. */
  interfaces(): Promise<HostInterface[]>;
  /** The root filesystem scanned on this host (an SSH target's ROOT), when not `/`. */
  root?: string;
}

/** The interfaces of this process's network namespace, loopback left out. */
export function localInterfaces(): HostInterface[] {
  const out: HostInterface[] = [];
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    const addresses = (addrs ?? []).filter((a) => !a.internal).map((a) => a.cidr ?? a.address);
    if (addresses.length > 0) out.push({ name, addresses });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** Interfaces from `ip -j addr show` (iproute2's JSON), loopback left out. */
export function parseIpAddrJson(text: string): HostInterface[] {
  const doc = JSON.parse(text) as { ifname?: string; flags?: string[]; addr_info?: { local?: string; prefixlen?: number }[] }[];
  if (!Array.isArray(doc)) throw new Error('ip -j addr: expected a JSON array');
  const out: HostInterface[] = [];
  for (const link of doc) {
    if (!link.ifname || link.flags?.includes('LOOPBACK')) continue;
    const addresses = (link.addr_info ?? []).filter((a) => a.local).map((a) => (a.prefixlen !== undefined ? `${a.local}/${a.prefixlen}` : a.local!));
    if (addresses.length > 0) out.push({ name: link.ifname, addresses });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

const orUndefined = <T>(p: Promise<T>): Promise<T | undefined> => p.catch(() => undefined);

/** This machine: the local filesystem and commands. */
export const localHost: HostReader = {
  readFile: (path) => orUndefined(readFile(path, 'utf8')),
  readdir: (path) => orUndefined(readdir(path)),
  readlink: (path) => orUndefined(readlink(path)),
  run: (cmd, args) =>
    new Promise((resolve) => {
      execFile(cmd, args, { encoding: 'utf8', timeout: 10_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout) => resolve(err ? undefined : stdout));
    }),
  interfaces: async () => localInterfaces(),
};
