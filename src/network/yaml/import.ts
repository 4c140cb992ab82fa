/**
 * The YAML importer: Vigil's own plain topology format (docs/network.md), for networks no cloud
 * API describes — a home-lab router with port forwards, a firewall in front of a rack. Every
 * `*.yaml`/`*.yml` file of a directory is read and merged; errors name the file and field.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { isBlock, parseAddress, parseBlock } from '../ip.js';
import { TopologyError, at, validate } from '../input.js';
import { emptyTopology, type AclRule, type GroupRule, type RuleProtocol, type Topology } from '../model.js';
import { parsePortRange } from '../ports.js';
import { hostFacts } from '../host/collect.js';
import { hostNetworkReport } from '../host/schema.js';
import { topologyFile, type TopologyFile } from './schema.js';

/** The YAML files of a topology directory, sorted. */
export function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
}

const DEFAULT_TYPE = {
  network: 'Vigil::Network',
  subnet: 'Vigil::Subnet',
  internet: 'Vigil::InternetGateway',
  nat: 'Vigil::NatGateway',
  'egress-only': 'Vigil::EgressOnlyGateway',
  routeTable: 'Vigil::RouteTable',
  acl: 'Vigil::Firewall',
  group: 'Vigil::SecurityGroup',
  instance: 'Vigil::Instance',
  interface: 'Vigil::NetworkInterface',
  hostFirewall: 'Vigil::HostFirewall',
  lb: 'Vigil::LoadBalancer',
} as const;

function protocolOf(p: TopologyFile['acls'][number]['inbound'][number]['protocol']): RuleProtocol {
  if (typeof p === 'number') return p === 6 ? 'tcp' : p === 17 ? 'udp' : { number: p };
  if (p === 'icmp') return { number: 1 };
  if (p === 'icmpv6') return { number: 58 };
  return p;
}

/** Reads a host network report (`vigil network collect` output) beside the topology. */
function readHostReport(dir: string, name: string, where: string): ReturnType<typeof hostFacts> {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(join(dir, name), 'utf8'));
  } catch (err) {
    throw new TopologyError(`${where}: cannot read ${name}: ${(err as Error).message}`);
  }
  return hostFacts(validate(hostNetworkReport, data, name));
}

interface Reference {
  file: string;
  field: string;
  kind: 'network' | 'subnet' | 'gateway' | 'route table' | 'ACL' | 'security group' | 'instance' | 'load balancer';
  id: string;
}

/** Reads the YAML topology in `dir`. */
export function importYaml(dir: string): Topology {
  const files = yamlFiles(dir);
  if (files.length === 0) throw new TopologyError(`${dir}: no *.yaml or *.yml topology file`);
  const t = emptyTopology();
  const refs: Reference[] = [];
  const defined = new Map<Reference['kind'], Map<string, string>>(); // kind → id → file that defines it
  const define = (file: string, field: string, kind: Reference['kind'], id: string) => {
    const ids = defined.get(kind) ?? new Map<string, string>();
    const before = ids.get(id);
    if (before) throw new TopologyError(`${file}: ${field}: ${kind} "${id}" is already defined${before === file ? '' : ` in ${before}`}`);
    ids.set(id, file);
    defined.set(kind, ids);
  };
  const routeTableSubnets = new Map<string, string[]>();
  const aclSubnets = new Map<string, string[]>();

  for (const file of files) {
    let data: unknown;
    try {
      data = parse(readFileSync(join(dir, file), 'utf8'));
    } catch (err) {
      throw new TopologyError(`${file}: not YAML: ${(err as Error).message}`);
    }
    const doc = validate(topologyFile, data ?? {}, file);
    const block = (field: string, text: string) => at(file, field, () => parseBlock(text));
    const address = (field: string, text: string) => at(file, field, () => parseAddress(text));
    const ref = (field: string, kind: Reference['kind'], id: string) => refs.push({ file, field, kind, id });
    const rule = (field: string, r: TopologyFile['acls'][number]['inbound'][number], i: number, direction: 'source' | 'destination'): AclRule => {
      const other = direction === 'source' ? 'destination' : 'source';
      if (r[other] !== undefined) throw new TopologyError(`${file}: ${field}.${other}: ${direction === 'source' ? 'inbound' : 'outbound'} rules name a ${direction}, not a ${other}`);
      return {
        number: r.rule ?? i + 1,
        protocol: protocolOf(r.protocol),
        ports: at(file, `${field}.ports`, () => parsePortRange(r.ports ?? 'all')),
        block: block(`${field}.${direction}`, r[direction] ?? '0.0.0.0/0'),
        action: r.action,
      };
    };

    doc.networks.forEach((n, i) => {
      define(file, `networks[${i}].id`, 'network', n.id);
      t.networks.push({ id: n.id, componentType: n.type ?? DEFAULT_TYPE.network, blocks: n.cidrs.map((c, j) => block(`networks[${i}].cidrs[${j}]`, c)) });
    });
    doc.subnets.forEach((s, i) => {
      const f = `subnets[${i}]`;
      define(file, `${f}.id`, 'subnet', s.id);
      ref(`${f}.network`, 'network', s.network);
      t.subnets.push({ id: s.id, componentType: s.type ?? DEFAULT_TYPE.subnet, networkId: s.network, blocks: s.cidrs.map((c, j) => block(`${f}.cidrs[${j}]`, c)) });
      if (s.routeTable) {
        ref(`${f}.routeTable`, 'route table', s.routeTable);
        routeTableSubnets.set(s.routeTable, [...(routeTableSubnets.get(s.routeTable) ?? []), s.id]);
      }
      if (s.acl) {
        ref(`${f}.acl`, 'ACL', s.acl);
        aclSubnets.set(s.acl, [...(aclSubnets.get(s.acl) ?? []), s.id]);
      }
    });
    doc.gateways.forEach((g, i) => {
      const f = `gateways[${i}]`;
      define(file, `${f}.id`, 'gateway', g.id);
      g.networks.forEach((n, j) => ref(`${f}.networks[${j}]`, 'network', n));
      if (g.publicAddress) address(`${f}.publicAddress`, g.publicAddress);
      if (g.portForwards.length > 0 && g.kind !== 'internet') throw new TopologyError(`${file}: ${f}.portForwards: only an internet gateway forwards ports in`);
      t.gateways.push({
        id: g.id,
        componentType: g.type ?? DEFAULT_TYPE[g.kind],
        kind: g.kind,
        networkIds: g.networks,
        portForwards: g.portForwards.map((p, j) => {
          ref(`${f}.portForwards[${j}].to`, 'instance', p.to);
          return { protocol: p.protocol, publicPort: p.port, instanceId: p.to, targetPort: p.toPort ?? p.port, ...(g.publicAddress ? { publicAddress: g.publicAddress } : {}) };
        }),
      });
    });
    doc.routeTables.forEach((rt, i) => {
      const f = `routeTables[${i}]`;
      define(file, `${f}.id`, 'route table', rt.id);
      ref(`${f}.network`, 'network', rt.network);
      t.routeTables.push({
        id: rt.id,
        componentType: rt.type ?? DEFAULT_TYPE.routeTable,
        networkId: rt.network,
        main: rt.main,
        subnetIds: [],
        routes: rt.routes.map((r, j) => ({
          destination: block(`${f}.routes[${j}].destination`, r.destination),
          // The analysis checks the target is an internet gateway of the subnet's network; any other name is some other hop.
          target: { kind: r.target === 'local' ? 'local' : 'other', id: r.target },
          active: !r.blackhole,
        })),
      });
    });
    doc.acls.forEach((a, i) => {
      const f = `acls[${i}]`;
      define(file, `${f}.id`, 'ACL', a.id);
      if (a.network) ref(`${f}.network`, 'network', a.network);
      t.acls.push({
        id: a.id,
        componentType: a.type ?? DEFAULT_TYPE.acl,
        ...(a.network ? { networkId: a.network } : {}),
        stateful: a.stateful,
        isDefault: false,
        subnetIds: [],
        inbound: a.inbound.map((r, j) => rule(`${f}.inbound[${j}]`, r, j, 'source')),
        outbound: a.outbound.map((r, j) => rule(`${f}.outbound[${j}]`, r, j, 'destination')),
      });
    });
    doc.securityGroups.forEach((g, i) => {
      const f = `securityGroups[${i}]`;
      define(file, `${f}.id`, 'security group', g.id);
      t.securityGroups.push({
        id: g.id,
        componentType: g.type ?? DEFAULT_TYPE.group,
        inbound: g.inbound.map((r, j): GroupRule => {
          const rf = `${f}.inbound[${j}]`;
          if ((r.source === undefined) === (r.group === undefined)) throw new TopologyError(`${file}: ${rf}: name exactly one of source (a CIDR block) and group`);
          if (r.group) ref(`${rf}.group`, 'security group', r.group);
          return {
            protocol: protocolOf(r.protocol),
            ports: at(file, `${rf}.ports`, () => parsePortRange(r.ports ?? 'all')),
            source: r.group ? { groupId: r.group } : { block: block(`${rf}.source`, r.source!) },
          };
        }),
      });
    });
    doc.instances.forEach((inst, i) => {
      const f = `instances[${i}]`;
      define(file, `${f}.id`, 'instance', inst.id);
      const firewall = inst.host?.firewall;
      t.instances.push({
        id: inst.id,
        componentType: inst.type ?? DEFAULT_TYPE.instance,
        state: inst.state,
        interfaces: inst.interfaces.map((n, j) => {
          const nf = `${f}.interfaces[${j}]`;
          ref(`${nf}.subnet`, 'subnet', n.subnet);
          n.securityGroups.forEach((g, k) => ref(`${nf}.securityGroups[${k}]`, 'security group', g));
          return {
            id: n.id ?? `${inst.id}/eth${j}`,
            componentType: n.type ?? DEFAULT_TYPE.interface,
            subnetId: n.subnet,
            privateAddresses: n.privateAddresses.map((a, k) => address(`${nf}.privateAddresses[${k}]`, a)),
            publicAddresses: n.publicAddresses.map((a, k) => address(`${nf}.publicAddresses[${k}]`, a)),
            securityGroupIds: n.securityGroups,
          };
        }),
        ...(inst.host
          ? {
              host: {
                ...(firewall
                  ? {
                      firewall: {
                        id: `${inst.id}/firewall`,
                        componentType: firewall.type ?? DEFAULT_TYPE.hostFirewall,
                        chains: [{ defaultAction: firewall.defaultAction, rules: firewall.rules.map((r, j) => rule(`${f}.host.firewall.rules[${j}]`, r, j, 'source')) }],
                      },
                    }
                  : {}),
                ...(inst.host.listeners
                  ? {
                      listeners: inst.host.listeners.map((l, j) => {
                        if (!['0.0.0.0', '::', '*'].includes(l.address) && !isBlock(l.address)) throw new TopologyError(`${file}: ${f}.host.listeners[${j}].address: not an IP address: "${l.address}"`);
                        return { protocol: l.protocol, port: l.port, address: l.address, ...(l.process ? { process: l.process } : {}), ...(l.pid ? { pid: l.pid } : {}) };
                      }),
                    }
                  : {}),
              },
            }
          : {}),
      });
      if (inst.hostReport) {
        if (inst.host) throw new TopologyError(`${file}: ${f}.hostReport: name one of host and hostReport`);
        const { facts, warnings } = readHostReport(dir, inst.hostReport, `${file}: ${f}.hostReport`);
        t.instances[t.instances.length - 1]!.host = facts;
        t.warnings.push(...warnings.map((w) => `${inst.id}: ${w}`));
      }
    });
    doc.loadBalancers.forEach((lb, i) => {
      const f = `loadBalancers[${i}]`;
      define(file, `${f}.id`, 'load balancer', lb.id);
      ref(`${f}.network`, 'network', lb.network);
      lb.subnets.forEach((s, j) => ref(`${f}.subnets[${j}]`, 'subnet', s));
      lb.securityGroups.forEach((g, j) => ref(`${f}.securityGroups[${j}]`, 'security group', g));
      lb.listeners.forEach((l, j) => l.targets.forEach((tg, k) => ref(`${f}.listeners[${j}].targets[${k}].instance`, 'instance', tg.instance)));
      t.loadBalancers.push({
        id: lb.id,
        componentType: lb.type ?? DEFAULT_TYPE.lb,
        internetFacing: lb.internetFacing,
        networkId: lb.network,
        subnetIds: lb.subnets,
        securityGroupIds: lb.securityGroups,
        families: lb.families,
        preservesClientAddress: lb.preservesClientAddress,
        publicAddresses: lb.publicAddresses,
        listeners: lb.listeners.map((l) => ({ protocol: l.protocol, port: l.port, targets: l.targets.map((x) => ({ instanceId: x.instance, port: x.port })) })),
      });
    });
  }

  for (const r of refs) {
    if (!defined.get(r.kind)?.has(r.id)) throw new TopologyError(`${r.file}: ${r.field}: unknown ${r.kind} "${r.id}"`);
  }
  // Routes name gateways by id: those that are internet gateways become internet-gateway targets.
  const kinds = new Map(t.gateways.map((g) => [g.id, g.kind]));
  for (const rt of t.routeTables) {
    rt.subnetIds = routeTableSubnets.get(rt.id) ?? [];
    for (const r of rt.routes) {
      const kind = kinds.get(r.target.id);
      if (kind === 'internet') r.target.kind = 'internet-gateway';
      else if (kind === 'nat') r.target.kind = 'nat-gateway';
      else if (kind === 'egress-only') r.target.kind = 'egress-only-gateway';
    }
  }
  for (const a of t.acls) a.subnetIds = aclSubnets.get(a.id) ?? [];
  return t;
}
