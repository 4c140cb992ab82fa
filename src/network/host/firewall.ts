/**
 * The host's own firewall, read-only: `nft -j list ruleset` (else `iptables-save`, kept as
 * text), and the nftables input chains translated into the model's host firewall. The
 * translation never closes what it does not understand: a rule with a match it cannot read
 * drops that match when it accepts (so it accepts at least as much) and is skipped when it
 * drops, and each such rule is a warning. Exposures may then be over-reported, never missed.
 */
import { parseBlock, type AddressBlock } from '../ip.js';
import type { AclRule, FirewallChain, HostFirewall, RuleProtocol } from '../model.js';
import { MAX_PORT, type PortRange } from '../ports.js';
import { localHost, type HostReader } from './reader.js';

/** What the host's firewall tools printed (stored as is; modelled by `firewallModel`). */
export interface CollectedFirewall {
  tool: 'nftables' | 'iptables' | 'none';
  /** `nft -j list ruleset` JSON or `iptables-save` text, as printed. */
  raw: string;
}

/** Reads the firewall of the host (by default this process's network namespace). */
export async function collectFirewall(host: HostReader = localHost): Promise<CollectedFirewall> {
  const nft = await host.run('nft', ['-j', 'list', 'ruleset']);
  if (nft !== undefined) return { tool: 'nftables', raw: nft };
  const ipt = await host.run('iptables-save', []);
  if (ipt !== undefined) return { tool: 'iptables', raw: ipt };
  return { tool: 'none', raw: '' };
}

/** The model of a collected firewall (none when nothing filters input or it cannot be modelled), with what was not understood. */
export function firewallModel(collected: CollectedFirewall, id: string): { firewall?: HostFirewall; warnings: string[] } {
  if (collected.tool === 'iptables') return { warnings: ['iptables rules are collected as text but not modelled; the host firewall is not applied'] };
  if (collected.tool === 'none') return { warnings: [] };
  let doc: unknown;
  try {
    doc = JSON.parse(collected.raw);
  } catch (err) {
    return { warnings: [`nft -j output is not JSON (${(err as Error).message}); the host firewall is not applied`] };
  }
  return nftToFirewall(doc, id);
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

interface Conditions {
  protocols?: ('tcp' | 'udp')[];
  ports?: PortRange[];
  blocks?: AddressBlock[];
  /** The rule cannot match a new connection from outside (established-only, loopback). */
  never?: boolean;
  unknown: string[];
}

function portsOf(right: unknown): PortRange[] | undefined {
  if (typeof right === 'number') return [{ begin: right, end: right }];
  if (isObj(right) && Array.isArray(right.range)) return [{ begin: Number(right.range[0]), end: Number(right.range[1]) }];
  if (isObj(right) && Array.isArray(right.set)) {
    const parts = right.set.map(portsOf);
    return parts.every((p) => p !== undefined) ? parts.flat() : undefined;
  }
  return undefined;
}

function blocksOf(right: unknown): AddressBlock[] | undefined {
  try {
    if (typeof right === 'string') return [parseBlock(right)];
    if (isObj(right) && isObj(right.prefix)) return [parseBlock(`${String(right.prefix.addr)}/${String(right.prefix.len)}`)];
    if (isObj(right) && Array.isArray(right.set)) {
      const parts = right.set.map(blocksOf);
      return parts.every((p) => p !== undefined) ? parts.flat() : undefined;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** Reads the matches of one rule into conditions, noting what it cannot read. */
function conditions(exprs: unknown[]): Conditions {
  const c: Conditions = { unknown: [] };
  for (const e of exprs) {
    if (!isObj(e)) continue;
    if ('counter' in e || 'log' in e || 'limit' in e || 'comment' in e) continue;
    if (!isObj(e.match)) continue; // verdicts are read elsewhere
    const { left, right, op } = e.match as { left: unknown; right: unknown; op: string };
    const text = JSON.stringify(e.match);
    const negated = op === '!=';
    if (isObj(left) && isObj(left.ct) && left.ct.key === 'state') {
      const states = Array.isArray(right) ? right : isObj(right) && Array.isArray(right.set) ? right.set : [right];
      if (!negated && !states.includes('new')) c.never = true;
      continue;
    }
    if (isObj(left) && isObj(left.meta) && (left.meta.key === 'iif' || left.meta.key === 'iifname') && !negated && right === 'lo') {
      c.never = true;
      continue;
    }
    if (isObj(left) && isObj(left.meta) && left.meta.key === 'l4proto' && !negated && (right === 'tcp' || right === 'udp')) {
      c.protocols = [right];
      continue;
    }
    if (isObj(left) && isObj(left.payload) && !negated) {
      const { protocol, field } = left.payload as { protocol: string; field: string };
      if ((protocol === 'tcp' || protocol === 'udp') && field === 'dport') {
        const ports = portsOf(right);
        if (ports) {
          c.protocols = [protocol];
          c.ports = ports;
          continue;
        }
      }
      if ((protocol === 'ip' || protocol === 'ip6') && field === 'saddr') {
        const blocks = blocksOf(right);
        if (blocks) {
          c.blocks = blocks;
          continue;
        }
      }
    }
    c.unknown.push(text);
  }
  return c;
}

function verdictOf(exprs: unknown[]): 'allow' | 'deny' | 'other' | undefined {
  for (const e of exprs) {
    if (!isObj(e)) continue;
    if ('accept' in e) return 'allow';
    if ('drop' in e || 'reject' in e) return 'deny';
    if ('jump' in e || 'goto' in e || 'return' in e || 'queue' in e) return 'other';
  }
  return undefined; // counters, logs: the packet goes on to the next rule
}

/**
 * Translates an `nft -j list ruleset` document: every base chain on the input hook (families
 * ip, ip6, inet) becomes one chain; a packet must be allowed by all. Undefined when there is no
 * such chain (nothing filters input).
 */
export function nftToFirewall(doc: unknown, id: string): { firewall?: HostFirewall; warnings: string[] } {
  const warnings: string[] = [];
  const items = isObj(doc) && Array.isArray(doc.nftables) ? (doc.nftables as unknown[]) : [];
  const chains: { family: string; table: string; name: string; policy: string }[] = [];
  const rules = new Map<string, unknown[][]>();
  for (const item of items) {
    if (!isObj(item)) continue;
    if (isObj(item.chain)) {
      const ch = item.chain as { family: string; table: string; name: string; hook?: string; type?: string; policy?: string };
      if (ch.hook === 'input' && (ch.type ?? 'filter') === 'filter' && ['ip', 'ip6', 'inet'].includes(ch.family)) chains.push({ family: ch.family, table: ch.table, name: ch.name, policy: ch.policy ?? 'accept' });
    }
    if (isObj(item.rule)) {
      const r = item.rule as { family: string; table: string; chain: string; expr?: unknown[] };
      const key = `${r.family} ${r.table} ${r.chain}`;
      rules.set(key, [...(rules.get(key) ?? []), r.expr ?? []]);
    }
  }
  if (chains.length === 0) return { warnings };
  const out: FirewallChain[] = [];
  for (const chain of chains) {
    const where = `nftables ${chain.family} ${chain.table} ${chain.name}`;
    const everywhere = chain.family === 'ip' ? ['0.0.0.0/0'] : chain.family === 'ip6' ? ['::/0'] : ['0.0.0.0/0', '::/0'];
    const translated: AclRule[] = [];
    for (const exprs of rules.get(`${chain.family} ${chain.table} ${chain.name}`) ?? []) {
      const verdict = verdictOf(exprs);
      if (verdict === undefined) continue;
      const c = conditions(exprs);
      if (c.never) continue;
      if (verdict === 'other') {
        warnings.push(`${where}: a rule jumps elsewhere (${JSON.stringify(exprs)}); treated as accepting what it matches`);
      } else if (c.unknown.length > 0) {
        warnings.push(`${where}: ${verdict === 'allow' ? 'accept rule read without' : 'drop rule skipped for'} ${c.unknown.join(', ')}`);
        if (verdict === 'deny') continue;
      }
      const action = verdict === 'deny' ? 'deny' : 'allow';
      const protocols: RuleProtocol[] = c.protocols ?? ['all'];
      const ports = c.ports ?? [{ begin: 0, end: MAX_PORT }];
      const blocks = c.blocks ?? everywhere.map((b) => parseBlock(b));
      for (const protocol of protocols) for (const p of ports) for (const block of blocks) translated.push({ number: translated.length + 1, protocol, ports: p, block, action });
    }
    // A chain of one family never sees the other family's packets.
    if (chain.family !== 'inet') translated.push({ number: translated.length + 1, protocol: 'all', ports: { begin: 0, end: MAX_PORT }, block: parseBlock(chain.family === 'ip' ? '::/0' : '0.0.0.0/0'), action: 'allow' });
    out.push({ rules: translated, defaultAction: chain.policy === 'drop' ? 'deny' : 'allow' });
  }
  return { firewall: { id, componentType: 'Host::Nftables', chains: out }, warnings };
}
