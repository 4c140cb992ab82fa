/**
 * Listening sockets of the host (of the network namespace the reading process is in), with
 * their owning processes: `/proc/net/{tcp,tcp6,udp,udp6}` for the sockets and their inodes,
 * `/proc/<pid>/fd/*` links (`socket:[inode]`) for who holds them. Read-only; without root,
 * other users' processes stay unnamed.
 */
import { posix } from 'node:path';
import type { Listener } from '../model.js';
import { localHost, type HostReader } from './reader.js';

const { join } = posix;

/** A socket line of /proc/net/*. */
export interface ProcSocket {
  protocol: 'tcp' | 'udp';
  address: string;
  port: number;
  /** Kernel state: 0A is TCP LISTEN, 07 is an unconnected (bound) UDP socket. */
  state: string;
  inode: number;
  remotePort: number;
}

/** The kernel's hex address, 32-bit words in host (little-endian) order, as text. */
function decodeAddress(hex: string): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((w) => [w.slice(6, 8), w.slice(4, 6), w.slice(2, 4), w.slice(0, 2)].map((b) => parseInt(b, 16)));
  if (bytes.length === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  // IPv4-mapped addresses (::ffff:a.b.c.d) read better as what they are.
  if (groups.slice(0, 5).every((g) => g === '0') && groups[5] === 'ffff') return bytes.slice(12).join('.');
  return compress(groups);
}

function compress(groups: string[]): string {
  let best = { start: -1, length: 0 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best.length) best = { start: i, length: j - i };
    i = j;
  }
  if (best.length < 2) return groups.join(':');
  return `${groups.slice(0, best.start).join(':')}::${groups.slice(best.start + best.length).join(':')}`;
}

/** Parses one /proc/net/{tcp,tcp6,udp,udp6} file. */
export function parseProcNet(text: string, protocol: 'tcp' | 'udp'): ProcSocket[] {
  const out: ProcSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const [local, remote, state, inode] = [f[1]!, f[2]!, f[3]!, f[9]!];
    const [addr, port] = local.split(':');
    const remotePort = parseInt(remote.split(':')[1] ?? '0', 16);
    if (!addr || !port) continue;
    out.push({ protocol, address: decodeAddress(addr), port: parseInt(port, 16), state, inode: Number(inode), remotePort });
  }
  return out;
}

/** Whether a socket takes new connections or datagrams from anywhere. */
export function isListening(s: ProcSocket): boolean {
  return s.protocol === 'tcp' ? s.state === '0A' : s.state === '07' && s.remotePort === 0;
}

/** Socket inode → the process holding it (first found), from /proc/<pid>/fd. */
export async function socketOwners(procRoot = '/proc', host: HostReader = localHost): Promise<Map<number, { pid: number; process: string }>> {
  const owners = new Map<number, { pid: number; process: string }>();
  for (const entry of (await host.readdir(procRoot)) ?? []) {
    if (!/^\d+$/.test(entry)) continue;
    const fds = await host.readdir(join(procRoot, entry, 'fd'));
    if (!fds) continue; // gone, or not ours to read
    let name: string | undefined;
    for (const fd of fds) {
      const m = /^socket:\[(\d+)\]$/.exec((await host.readlink(join(procRoot, entry, 'fd', fd))) ?? '');
      if (!m) continue;
      const inode = Number(m[1]);
      if (owners.has(inode)) continue;
      name ??= ((await host.readFile(join(procRoot, entry, 'comm'))) ?? '').trim();
      owners.set(inode, { pid: Number(entry), process: name });
    }
  }
  return owners;
}

/** The listening TCP and UDP sockets, IPv4 and IPv6, with their processes where known. */
export async function collectListeners(procRoot = '/proc', host: HostReader = localHost): Promise<Listener[]> {
  const sockets: ProcSocket[] = [];
  for (const [file, protocol] of [
    ['tcp', 'tcp'],
    ['tcp6', 'tcp'],
    ['udp', 'udp'],
    ['udp6', 'udp'],
  ] as const) {
    const text = await host.readFile(join(procRoot, 'net', file));
    if (text === undefined) continue; // IPv6 disabled: no tcp6/udp6
    sockets.push(...parseProcNet(text, protocol).filter(isListening));
  }
  const owners = await socketOwners(procRoot, host);
  const seen = new Set<string>();
  const out: Listener[] = [];
  for (const s of sockets) {
    const key = `${s.protocol} ${s.address} ${s.port} ${s.inode}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const owner = owners.get(s.inode);
    out.push({ protocol: s.protocol, port: s.port, address: s.address, ...(owner?.process ? { process: owner.process } : {}), ...(owner ? { pid: owner.pid } : {}) });
  }
  return out.sort((a, b) => a.protocol.localeCompare(b.protocol) || a.port - b.port || a.address.localeCompare(b.address));
}
