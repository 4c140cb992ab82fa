/**
 * The AWS importer: a directory of AWS CLI JSON outputs, each named after its command
 * (`describe-instances.json`, …), into the topology model. Required files missing, JSON that
 * does not parse and fields of the wrong shape are errors naming the file (and field).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { parseBlock, type AddressBlock } from '../ip.js';
import { TopologyError, at, validate } from '../input.js';
import { emptyTopology, type AclRule, type GroupRule, type Interface, type LbListener, type RouteTarget, type RuleProtocol, type Topology } from '../model.js';
import { MAX_PORT, type PortRange } from '../ports.js';
import * as s from './schema.js';

/** Files without which there is no topology to analyse. */
export const REQUIRED_FILES = [
  'describe-instances.json',
  'describe-security-groups.json',
  'describe-subnets.json',
  'describe-route-tables.json',
  'describe-network-acls.json',
  'describe-internet-gateways.json',
] as const;

/** Whether `dir` looks like an AWS snapshot (holds any describe-*.json file). */
export function isAwsSnapshot(dir: string): boolean {
  return readdirSync(dir).some((f) => f.startsWith('describe-') && f.endsWith('.json'));
}

const TYPE = {
  vpc: 'AWS::EC2::VPC',
  subnet: 'AWS::EC2::Subnet',
  igw: 'AWS::EC2::InternetGateway',
  nat: 'AWS::EC2::NatGateway',
  routeTable: 'AWS::EC2::RouteTable',
  acl: 'AWS::EC2::NetworkAcl',
  group: 'AWS::EC2::SecurityGroup',
  instance: 'AWS::EC2::Instance',
  eni: 'AWS::EC2::NetworkInterface',
  lb: 'AWS::ElasticLoadBalancingV2::LoadBalancer',
} as const;

function readJson<S extends z.ZodType>(dir: string, file: string, schema: S): z.output<S> {
  let text: string;
  try {
    text = readFileSync(join(dir, file), 'utf8');
  } catch (err) {
    throw new TopologyError(`${file}: cannot read: ${(err as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new TopologyError(`${file}: not JSON: ${(err as Error).message}`);
  }
  return validate(schema, data, file);
}

function optional<S extends z.ZodType>(dir: string, file: string, schema: S): z.output<S> | undefined {
  return existsSync(join(dir, file)) ? readJson(dir, file, schema) : undefined;
}

/** AWS protocol names and numbers: `-1` (all), `tcp`/`6`, `udp`/`17`, `icmp`/`1`, any other number. */
export function awsProtocol(p: string): RuleProtocol {
  const t = p.trim().toLowerCase();
  if (t === '-1' || t === 'all') return 'all';
  if (t === 'tcp' || t === '6') return 'tcp';
  if (t === 'udp' || t === '17') return 'udp';
  if (t === 'icmp') return { number: 1 };
  if (t === 'icmpv6') return { number: 58 };
  const n = Number(t);
  if (t !== '' && Number.isInteger(n) && n >= 0 && n <= 255) return { number: n };
  throw new Error(`unknown protocol "${p}"`);
}

/** A rule's port range; rules for all protocols (or with -1 ports) cover every port. */
function portsOf(protocol: RuleProtocol, from: number | null | undefined, to: number | null | undefined): PortRange {
  if (protocol !== 'tcp' && protocol !== 'udp') return { begin: 0, end: MAX_PORT };
  if (from == null || to == null || from < 0 || to < 0) return { begin: 0, end: MAX_PORT };
  if (from > to || to > MAX_PORT) throw new Error(`bad port range ${from}-${to}`);
  return { begin: from, end: to };
}

/** Reads the snapshot in `dir`. */
export function importAws(dir: string): Topology {
  for (const f of REQUIRED_FILES) {
    if (!existsSync(join(dir, f))) throw new TopologyError(`${f}: required file missing from ${dir}`);
  }
  const t = emptyTopology();
  const blockAt = (file: string, field: string, text: string): AddressBlock => at(file, field, () => parseBlock(text));

  // Subnets, and the VPCs they name (describe-vpcs adds nothing the analysis needs).
  const subnets = readJson(dir, 'describe-subnets.json', s.describeSubnets);
  const vpcs = new Map<string, AddressBlock[]>();
  subnets.Subnets.forEach((sn, i) => {
    const field = `Subnets[${i}]`;
    const blocks: AddressBlock[] = [];
    if (sn.CidrBlock) blocks.push(blockAt('describe-subnets.json', `${field}.CidrBlock`, sn.CidrBlock));
    sn.Ipv6CidrBlockAssociationSet.forEach((a, j) => blocks.push(blockAt('describe-subnets.json', `${field}.Ipv6CidrBlockAssociationSet[${j}].Ipv6CidrBlock`, a.Ipv6CidrBlock)));
    t.subnets.push({ id: sn.SubnetId, componentType: TYPE.subnet, networkId: sn.VpcId, blocks });
    vpcs.set(sn.VpcId, [...(vpcs.get(sn.VpcId) ?? []), ...blocks]);
  });
  for (const [id, blocks] of vpcs) t.networks.push({ id, componentType: TYPE.vpc, blocks });

  const igws = readJson(dir, 'describe-internet-gateways.json', s.describeInternetGateways);
  for (const g of igws.InternetGateways) {
    const attached = g.Attachments.filter((a) => !a.State || a.State === 'available' || a.State === 'attached').map((a) => a.VpcId);
    t.gateways.push({ id: g.InternetGatewayId, componentType: TYPE.igw, kind: 'internet', networkIds: attached, portForwards: [] });
  }
  const nats = optional(dir, 'describe-nat-gateways.json', s.describeNatGateways);
  for (const g of nats?.NatGateways ?? []) t.gateways.push({ id: g.NatGatewayId, componentType: TYPE.nat, kind: 'nat', networkIds: g.VpcId ? [g.VpcId] : [], portForwards: [] });

  const tables = readJson(dir, 'describe-route-tables.json', s.describeRouteTables);
  tables.RouteTables.forEach((rt, i) => {
    const routes: Topology['routeTables'][number]['routes'] = [];
    rt.Routes.forEach((r, j) => {
      const field = `RouteTables[${i}].Routes[${j}]`;
      const target = routeTarget(r);
      const dest = r.DestinationCidrBlock ?? r.DestinationIpv6CidrBlock;
      if (!dest) {
        // Prefix-list routes (gateway endpoints for S3 and DynamoDB) lead to AWS services, not
        // to the internet gateway; only one to the gateway would change what reaches in.
        if (target.kind === 'internet-gateway') t.warnings.push(`route table ${rt.RouteTableId}: route to ${target.id} for prefix list ${r.DestinationPrefixListId ?? '?'} is not modelled`);
        return;
      }
      const field2 = r.DestinationCidrBlock ? `${field}.DestinationCidrBlock` : `${field}.DestinationIpv6CidrBlock`;
      routes.push({ destination: blockAt('describe-route-tables.json', field2, dest), target, active: r.State !== 'blackhole' });
    });
    t.routeTables.push({
      id: rt.RouteTableId,
      componentType: TYPE.routeTable,
      networkId: rt.VpcId,
      main: rt.Associations.some((a) => a.Main === true),
      subnetIds: rt.Associations.flatMap((a) => (a.SubnetId ? [a.SubnetId] : [])),
      routes,
    });
  });

  const acls = readJson(dir, 'describe-network-acls.json', s.describeNetworkAcls);
  acls.NetworkAcls.forEach((acl, i) => {
    const inbound: AclRule[] = [];
    const outbound: AclRule[] = [];
    acl.Entries.forEach((e, j) => {
      const field = `NetworkAcls[${i}].Entries[${j}]`;
      const protocol = at('describe-network-acls.json', `${field}.Protocol`, () => awsProtocol(e.Protocol));
      const ports = at('describe-network-acls.json', `${field}.PortRange`, () => portsOf(protocol, e.PortRange?.From, e.PortRange?.To));
      const text = e.CidrBlock ?? e.Ipv6CidrBlock;
      if (!text) throw new TopologyError(`describe-network-acls.json: ${field}: neither CidrBlock nor Ipv6CidrBlock`);
      const block = blockAt('describe-network-acls.json', `${field}.${e.CidrBlock ? 'CidrBlock' : 'Ipv6CidrBlock'}`, text);
      (e.Egress ? outbound : inbound).push({ number: e.RuleNumber, protocol, ports, block, action: e.RuleAction });
    });
    t.acls.push({ id: acl.NetworkAclId, componentType: TYPE.acl, networkId: acl.VpcId, stateful: false, isDefault: acl.IsDefault === true, subnetIds: acl.Associations.map((a) => a.SubnetId), inbound, outbound });
  });

  const groups = readJson(dir, 'describe-security-groups.json', s.describeSecurityGroups);
  groups.SecurityGroups.forEach((g, i) => {
    const inbound: GroupRule[] = [];
    g.IpPermissions.forEach((p, j) => {
      const field = `SecurityGroups[${i}].IpPermissions[${j}]`;
      const protocol = at('describe-security-groups.json', `${field}.IpProtocol`, () => awsProtocol(p.IpProtocol));
      const ports = at('describe-security-groups.json', `${field}.FromPort`, () => portsOf(protocol, p.FromPort, p.ToPort));
      p.IpRanges.forEach((r, k) => inbound.push({ protocol, ports, source: { block: blockAt('describe-security-groups.json', `${field}.IpRanges[${k}].CidrIp`, r.CidrIp) } }));
      p.Ipv6Ranges.forEach((r, k) => inbound.push({ protocol, ports, source: { block: blockAt('describe-security-groups.json', `${field}.Ipv6Ranges[${k}].CidrIpv6`, r.CidrIpv6) } }));
      for (const pair of p.UserIdGroupPairs) if (pair.GroupId) inbound.push({ protocol, ports, source: { groupId: pair.GroupId } });
      for (const pl of p.PrefixListIds) {
        inbound.push({ protocol, ports, source: { prefixListId: pl.PrefixListId } });
        t.warnings.push(`security group ${g.GroupId}: prefix list ${pl.PrefixListId} is not expanded (describe-managed-prefix-lists is not read); its rule opens nothing here`);
      }
    });
    t.securityGroups.push({ id: g.GroupId, componentType: TYPE.group, inbound });
  });

  const instances = readJson(dir, 'describe-instances.json', s.describeInstances);
  instances.Reservations.forEach((res, i) =>
    res.Instances.forEach((inst, j) => {
      const field = `Reservations[${i}].Instances[${j}]`;
      const addr = (f: string, text: string) => blockAt('describe-instances.json', `${field}.${f}`, text);
      const interfaces: Interface[] = inst.NetworkInterfaces.map((n, k) => {
        const f = `NetworkInterfaces[${k}]`;
        const priv = n.PrivateIpAddresses.length > 0 ? n.PrivateIpAddresses.map((p, m) => addr(`${f}.PrivateIpAddresses[${m}].PrivateIpAddress`, p.PrivateIpAddress)) : n.PrivateIpAddress ? [addr(`${f}.PrivateIpAddress`, n.PrivateIpAddress)] : [];
        const pub = new Set<string>();
        if (n.Association?.PublicIp) pub.add(n.Association.PublicIp);
        for (const p of n.PrivateIpAddresses) if (p.Association?.PublicIp) pub.add(p.Association.PublicIp);
        const v6 = n.Ipv6Addresses.map((a, m) => addr(`${f}.Ipv6Addresses[${m}].Ipv6Address`, a.Ipv6Address));
        return {
          id: n.NetworkInterfaceId,
          componentType: TYPE.eni,
          subnetId: n.SubnetId,
          privateAddresses: priv,
          publicAddresses: [...[...pub].map((a) => addr(`${f}.Association.PublicIp`, a)), ...v6],
          securityGroupIds: n.Groups.map((g) => g.GroupId),
        };
      });
      // Older outputs (or filtered queries) may lack NetworkInterfaces: the instance's own fields describe its primary interface.
      if (interfaces.length === 0 && inst.SubnetId) {
        interfaces.push({
          id: `${inst.InstanceId}/primary`,
          componentType: TYPE.eni,
          subnetId: inst.SubnetId,
          privateAddresses: inst.PrivateIpAddress ? [addr('PrivateIpAddress', inst.PrivateIpAddress)] : [],
          publicAddresses: inst.PublicIpAddress ? [addr('PublicIpAddress', inst.PublicIpAddress)] : [],
          securityGroupIds: inst.SecurityGroups.map((g) => g.GroupId),
        });
      }
      t.instances.push({ id: inst.InstanceId, componentType: TYPE.instance, state: inst.State?.Name ?? 'unknown', interfaces });
    }),
  );

  importLoadBalancers(dir, t);
  return t;
}

function routeTarget(r: z.output<typeof s.describeRouteTables>['RouteTables'][number]['Routes'][number]): RouteTarget {
  if (r.GatewayId === 'local') return { kind: 'local', id: 'local' };
  if (r.GatewayId?.startsWith('igw-')) return { kind: 'internet-gateway', id: r.GatewayId };
  if (r.NatGatewayId) return { kind: 'nat-gateway', id: r.NatGatewayId };
  if (r.EgressOnlyInternetGatewayId) return { kind: 'egress-only-gateway', id: r.EgressOnlyInternetGatewayId };
  const id = r.GatewayId ?? r.InstanceId ?? r.NetworkInterfaceId ?? r.TransitGatewayId ?? r.VpcPeeringConnectionId ?? 'unknown';
  return { kind: 'other', id };
}

/** Protocols a listener takes: TCP for HTTP(S)/TLS/TCP, UDP for UDP, both for TCP_UDP. */
function listenerProtocols(p: string | null | undefined): ('tcp' | 'udp')[] {
  switch ((p ?? '').toUpperCase()) {
    case 'UDP':
      return ['udp'];
    case 'TCP_UDP':
      return ['tcp', 'udp'];
    case 'GENEVE':
      return [];
    default:
      return ['tcp'];
  }
}

/**
 * elbv2 balancers: listeners (describe-listeners*.json, each names its balancer), their default
 * forward actions, target groups, and the registered targets of each group
 * (describe-target-health.<target group name>.json, or describe-target-health.json when there is
 * one group: the CLI's output for one group does not name it).
 */
function importLoadBalancers(dir: string, t: Topology): void {
  const lbs = optional(dir, 'describe-load-balancers.json', s.describeLoadBalancers);
  if (!lbs || lbs.LoadBalancers.length === 0) return;
  const files = readdirSync(dir);
  const listeners = files.filter((f) => /^describe-listeners(\..+)?\.json$/.test(f)).flatMap((f) => readJson(dir, f, s.describeListeners).Listeners);
  const groups = optional(dir, 'describe-target-groups.json', s.describeTargetGroups)?.TargetGroups ?? [];
  const targetsOf = new Map<string, { id: string; port?: number | null; state?: string | null }[]>();
  for (const g of groups) {
    const own = `describe-target-health.${g.TargetGroupName}.json`;
    const file = files.includes(own) ? own : groups.length === 1 && files.includes('describe-target-health.json') ? 'describe-target-health.json' : undefined;
    if (!file) {
      t.warnings.push(`target group ${g.TargetGroupName}: no ${own}; its targets are unknown`);
      continue;
    }
    targetsOf.set(g.TargetGroupArn, readJson(dir, file, s.describeTargetHealth).TargetHealthDescriptions.map((d) => ({ id: d.Target.Id, port: d.Target.Port ?? g.Port, state: d.TargetHealth?.State })));
  }
  const groupType = new Map(groups.map((g) => [g.TargetGroupArn, g.TargetType ?? 'instance']));
  const byPrivateAddress = new Map<string, string>();
  for (const i of t.instances) for (const n of i.interfaces) for (const a of n.privateAddresses) byPrivateAddress.set(a.text, i.id);

  for (const lb of lbs.LoadBalancers) {
    const type = lb.Type.toLowerCase();
    if (type === 'gateway') continue; // GENEVE to appliances, not a listener the internet connects to
    const own = listeners.filter((l) => l.LoadBalancerArn === lb.LoadBalancerArn);
    if (own.length === 0 && lb.Scheme === 'internet-facing') t.warnings.push(`load balancer ${lb.LoadBalancerArn}: no listeners in describe-listeners*.json; what it exposes is unknown`);
    const lbListeners: LbListener[] = [];
    for (const l of own) {
      if (l.Port == null) continue;
      const arns = l.DefaultActions.filter((a) => a.Type === 'forward').flatMap((a) => [...(a.TargetGroupArn ? [a.TargetGroupArn] : []), ...(a.ForwardConfig?.TargetGroups.map((g) => g.TargetGroupArn) ?? [])]);
      const targets: LbListener['targets'] = [];
      for (const arn of new Set(arns)) {
        for (const target of targetsOf.get(arn) ?? []) {
          if (target.state === 'unused' || target.state === 'draining' || target.port == null) continue;
          const instanceId = groupType.get(arn) === 'ip' ? byPrivateAddress.get(target.id) : target.id;
          if (!instanceId) {
            t.warnings.push(`target group ${arn}: target ${target.id} is not an address of a known instance`);
            continue;
          }
          targets.push({ instanceId, port: target.port });
        }
      }
      for (const protocol of listenerProtocols(l.Protocol)) lbListeners.push({ protocol, port: l.Port, targets });
    }
    t.loadBalancers.push({
      id: lb.LoadBalancerArn,
      componentType: TYPE.lb,
      internetFacing: lb.Scheme === 'internet-facing',
      networkId: lb.VpcId,
      subnetIds: lb.AvailabilityZones.flatMap((z) => (z.SubnetId ? [z.SubnetId] : [])),
      securityGroupIds: lb.SecurityGroups,
      families: lb.IpAddressType === 'dualstack' ? [4, 6] : lb.IpAddressType === 'dualstack-without-public-ipv4' ? [6] : [4],
      // Network balancers keep the client's address for instance targets; application ones connect from their own.
      preservesClientAddress: type === 'network',
      publicAddresses: lb.DNSName ? [lb.DNSName] : [],
      listeners: lbListeners,
    });
  }
}
