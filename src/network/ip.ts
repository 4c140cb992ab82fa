/**
 * IPv4 and IPv6 addresses and CIDR blocks as integer ranges (bigint, one arithmetic for both
 * families), parsed by ipaddr.js, and the address space this analysis calls "the internet".
 */
import ipaddr from 'ipaddr.js';

/** 4 for IPv4, 6 for IPv6. */
export type Family = 4 | 6;

/** A CIDR block (or a single address, /32 or /128) as the inclusive range it covers. */
export interface AddressBlock {
  family: Family;
  first: bigint;
  last: bigint;
  /** Prefix length: 0–32 for IPv4, 0–128 for IPv6 (-1 for a range that is no single prefix). */
  prefix: number;
  /** As written in the input, for messages and output. */
  text: string;
}

/** Raised for text that is not an address or CIDR block; the message quotes it. */
export class AddressError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AddressError';
  }
}

function toBigInt(bytes: number[]): bigint {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n;
}

function bitsOf(family: Family): number {
  return family === 4 ? 32 : 128;
}

/** Parses `10.0.0.0/16`, `2001:db8::/56` or a single address (`203.0.113.7`, `::1`). */
export function parseBlock(text: string): AddressBlock {
  const t = text.trim();
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  let prefix: number;
  try {
    if (t.includes('/')) [addr, prefix] = ipaddr.parseCIDR(t);
    else {
      addr = ipaddr.parse(t);
      prefix = addr.kind() === 'ipv4' ? 32 : 128;
    }
  } catch {
    throw new AddressError(`not an IP address or CIDR block: "${text}"`);
  }
  const family: Family = addr.kind() === 'ipv4' ? 4 : 6;
  const bits = bitsOf(family);
  const value = toBigInt(addr.toByteArray());
  const hostBits = BigInt(bits - prefix);
  const first = (value >> hostBits) << hostBits;
  return { family, first, last: first + (1n << hostBits) - 1n, prefix, text: t };
}

/** Parses a single address (no prefix); throws AddressError otherwise. */
export function parseAddress(text: string): AddressBlock {
  if (text.includes('/')) throw new AddressError(`expected an address, not a CIDR block: "${text}"`);
  return parseBlock(text);
}

/** Whether `text` parses as an address or block. */
export function isBlock(text: string): boolean {
  try {
    parseBlock(text);
    return true;
  } catch {
    return false;
  }
}

/** Whether `block` holds the address `value` of its family. */
export function contains(block: AddressBlock, family: Family, value: bigint): boolean {
  return block.family === family && block.first <= value && value <= block.last;
}

/** Whether two blocks share an address. */
export function blocksOverlap(a: AddressBlock, b: AddressBlock): boolean {
  return a.family === b.family && a.first <= b.last && b.first <= a.last;
}

/**
 * Addresses that are not the internet: private (RFC 1918), shared CGNAT (RFC 6598), loopback,
 * link-local, "this network", multicast and reserved IPv4; for IPv6 everything outside global
 * unicast 2000::/3 (so ULA fc00::/7, link-local, loopback, multicast and IPv4-mapped are out).
 * Documentation and benchmark ranges (192.0.2.0/24, 198.18.0.0/15, 203.0.113.0/24,
 * 2001:db8::/32) count as internet: they stand for internet addresses in examples and tests.
 */
const NOT_INTERNET_V4 = ['0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.168.0.0/16', '224.0.0.0/3'].map(parseBlock);

/** The internet's address space per family, as disjoint sorted ranges. */
export const INTERNET: Readonly<Record<Family, readonly AddressBlock[]>> = {
  4: complement(4, NOT_INTERNET_V4),
  6: [parseBlock('2000::/3')],
};

function complement(family: Family, blocks: readonly AddressBlock[]): AddressBlock[] {
  const max = (1n << BigInt(bitsOf(family))) - 1n;
  const sorted = [...blocks].sort((a, b) => (a.first < b.first ? -1 : 1));
  const out: AddressBlock[] = [];
  let next = 0n;
  for (const b of sorted) {
    if (b.first > next) out.push({ family, first: next, last: b.first - 1n, prefix: -1, text: 'internet' });
    if (b.last + 1n > next) next = b.last + 1n;
  }
  if (next <= max) out.push({ family, first: next, last: max, prefix: -1, text: 'internet' });
  return out;
}

/** Whether the address (or any address of the block) is on the internet by the definition above. */
export function isInternet(block: AddressBlock): boolean {
  return INTERNET[block.family].some((r) => blocksOverlap(r, block));
}

/**
 * Splits `space` (disjoint ranges of one family) at every edge of `blocks`, so that each piece
 * lies wholly inside or wholly outside each block: one address per piece then stands for all.
 * Returns the first address of each piece.
 */
export function pieces(family: Family, space: readonly AddressBlock[], blocks: readonly AddressBlock[]): bigint[] {
  const edges = new Set<bigint>();
  const seen = new Set<AddressBlock>();
  for (const b of blocks) {
    if (b.family !== family || seen.has(b)) continue;
    seen.add(b);
    edges.add(b.first);
    edges.add(b.last + 1n);
  }
  const sortedEdges = [...edges].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const out: bigint[] = [];
  for (const r of space) {
    out.push(r.first);
    for (const e of sortedEdges) if (e > r.first && e <= r.last) out.push(e);
  }
  return out;
}
