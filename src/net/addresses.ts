/**
 * Which IP addresses a server-side request may connect to. Every outbound request the
 * service makes (registry pulls and syncs, token endpoints, webhooks) is checked against an
 * {@link AddressPolicy} at connect time (see outbound.ts).
 */
import { BlockList, isIP } from 'node:net';

/** What a server-side request may connect to besides public addresses. */
export interface AddressPolicy {
  /** Loopback (127.0.0.0/8, ::1). */
  allowLoopback?: boolean;
  /** Private and shared ranges: RFC 1918, CGNAT, ULA, benchmarking, reserved. */
  allowPrivate?: boolean;
  /** Link-local and cloud metadata addresses (169.254.0.0/16, fe80::/10, fd00:ec2::254…). */
  allowLinkLocal?: boolean;
  /** Addresses the operator allows whatever their class (`VIGIL_OUTBOUND_ALLOW`). */
  allowed?: AddressList;
}

/** A parsed list of addresses and CIDR ranges. */
export class AddressList {
  private readonly list = new BlockList();
  /** The entries as given. */
  readonly entries: readonly string[];

  /** Parses `10.0.5.0/24, 127.0.0.1, fd12::/16`; throws naming `origin` and the bad entry. */
  constructor(text: string | readonly string[], origin = 'address list') {
    const entries = (typeof text === 'string' ? text.split(',') : text).map((e) => e.trim()).filter(Boolean);
    for (const entry of entries) {
      const [addr, bits, extra] = entry.split('/');
      const family = isIP(addr);
      const max = family === 6 ? 128 : 32;
      const prefix = bits === undefined ? max : Number(bits);
      if (!family || extra !== undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > max || (bits !== undefined && !/^\d+$/.test(bits))) {
        throw new Error(`${origin}: "${entry}" is not an IP address or CIDR range`);
      }
      this.list.addSubnet(addr, prefix, family === 6 ? 'ipv6' : 'ipv4');
    }
    this.entries = entries;
  }

  /** True when the address is in the list. */
  has(address: string): boolean {
    const { addr, family } = normalize(address);
    return this.list.check(addr, family);
  }
}

function blockList(v4: string[], v6: string[]): BlockList {
  const list = new BlockList();
  for (const cidr of v4) {
    const [a, b] = cidr.split('/');
    if (b === undefined) list.addAddress(a, 'ipv4');
    else list.addSubnet(a, Number(b), 'ipv4');
  }
  for (const cidr of v6) {
    const [a, b] = cidr.split('/');
    if (b === undefined) list.addAddress(a, 'ipv6');
    else list.addSubnet(a, Number(b), 'ipv6');
  }
  return list;
}

/** Never a destination: unspecified, "this network", multicast, broadcast. */
const never = blockList(['0.0.0.0/8', '224.0.0.0/4', '255.255.255.255'], ['::/128', 'ff00::/8']);
const loopback = blockList(['127.0.0.0/8'], ['::1']);
// Cloud metadata endpoints outside link-local: AWS IPv6 IMDS, Alibaba Cloud.
const linkLocal = blockList(['169.254.0.0/16', '100.100.100.200'], ['fe80::/10', 'fd00:ec2::254']);
const privateRanges = blockList(
  [
    '10.0.0.0/8',
    '172.16.0.0/12',
    '192.168.0.0/16',
    '100.64.0.0/10', // carrier-grade NAT (shared address space)
    '192.0.0.0/24', // IETF protocol assignments
    '192.0.2.0/24', // documentation
    '198.18.0.0/15', // benchmarking
    '198.51.100.0/24',
    '203.0.113.0/24',
    '240.0.0.0/4', // reserved
  ],
  ['fc00::/7', 'fec0::/10', '2001:db8::/32', '64:ff9b:1::/48', '100::/64'],
);

/** The IPv4 address an IPv6 address stands for (mapped, NAT64 or 6to4), else the address itself. */
function normalize(address: string): { addr: string; family: 'ipv4' | 'ipv6' } {
  const a = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (isIP(a) !== 6) return { addr: a, family: 'ipv4' };
  const mapped = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
  if (mapped) return { addr: mapped[1], family: 'ipv4' };
  const words = expand(a);
  const hex = (i: number) => parseInt(words[i], 16);
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  const zero = (from: number, to: number) => words.slice(from, to).every((w) => parseInt(w, 16) === 0);
  // Mapped (::ffff:0:0/96) and compatible (::/96) addresses in hex, the well-known NAT64
  // prefix 64:ff9b::/96 and 6to4 (2002::/16) all reach the IPv4 address inside.
  if (zero(0, 5) && (hex(5) === 0xffff || (hex(5) === 0 && (hex(6) !== 0 || hex(7) > 1)))) return { addr: v4(hex(6), hex(7)), family: 'ipv4' };
  if (hex(0) === 0x64 && hex(1) === 0xff9b && zero(2, 6)) return { addr: v4(hex(6), hex(7)), family: 'ipv4' };
  if (hex(0) === 0x2002) return { addr: v4(hex(1), hex(2)), family: 'ipv4' };
  return { addr: a, family: 'ipv6' };
}

/** The eight 16-bit words of an IPv6 address (dotted IPv4 tails converted). */
function expand(a: string): string[] {
  let s = a;
  const tail = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (tail) {
    const [b0, b1, b2, b3] = tail.slice(1).map(Number);
    s = `${s.slice(0, tail.index)}${((b0 << 8) | b1).toString(16)}:${((b2 << 8) | b3).toString(16)}`;
  }
  const [head, rest] = s.split('::');
  const h = head ? head.split(':') : [];
  const r = rest !== undefined && rest !== '' ? rest.split(':') : [];
  const fill = rest === undefined ? [] : Array<string>(8 - h.length - r.length).fill('0');
  return [...h, ...fill, ...r];
}

/** The class of an address, for messages and decisions. */
export type AddressClass = 'never' | 'loopback' | 'link-local' | 'private' | 'public';

/** Classifies an address (IPv4-mapped, NAT64 and 6to4 addresses as the IPv4 address inside). */
export function classifyAddress(address: string): AddressClass {
  const { addr, family } = normalize(address);
  if (never.check(addr, family)) return 'never';
  if (loopback.check(addr, family)) return 'loopback';
  if (linkLocal.check(addr, family)) return 'link-local';
  if (privateRanges.check(addr, family)) return 'private';
  return 'public';
}

const DESCRIBED: Record<Exclude<AddressClass, 'public'>, string> = {
  never: 'an unspecified, multicast or broadcast address',
  loopback: 'a loopback address',
  'link-local': 'a link-local or cloud metadata address',
  private: 'a private address',
};

/** Why an address is refused under a policy (`10.0.0.5 is a private address`), or undefined when allowed. */
export function refuseAddress(address: string, policy: AddressPolicy): string | undefined {
  const cls = classifyAddress(address);
  if (cls === 'public') return undefined;
  if (cls !== 'never' && policy.allowed?.has(address)) return undefined;
  if (cls === 'loopback' && policy.allowLoopback) return undefined;
  if (cls === 'link-local' && policy.allowLinkLocal) return undefined;
  if (cls === 'private' && policy.allowPrivate) return undefined;
  return `${address} is ${DESCRIBED[cls]}`;
}
