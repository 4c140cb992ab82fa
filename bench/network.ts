/**
 * Network reachability: analysis time for 10,000 synthetic instances (goal: under 2 s) in 8
 * VPCs of 10 subnets each, 400 security groups of 3–10 rules (internet-wide, partial internet
 * ranges, private ranges, group references), a 12-rule NACL per subnet, 1–3 groups per instance,
 * most with a public IPv4 address, some with IPv6, some stopped.
 */
import { analyze } from '../src/network/analyze.js';
import { parseBlock } from '../src/network/ip.js';
import { emptyTopology, type AclRule, type GroupRule, type RuleProtocol, type Topology } from '../src/network/model.js';
import type { Bench } from './benches.js';
import { report } from './report.js';

const INSTANCES = 10_000;

/** A small deterministic generator, so every run analyses the same topology. */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x80000000;
  };
}

/** The synthetic topology the bench analyses. */
export function syntheticTopology(instances = INSTANCES): Topology {
  const rnd = random(42);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const t = emptyTopology();
  const protocols: RuleProtocol[] = ['tcp', 'tcp', 'tcp', 'udp', 'all'];
  const sources = ['0.0.0.0/0', '0.0.0.0/0', '::/0', '198.51.100.0/24', '203.0.113.0/25', '10.0.0.0/8', '192.168.0.0/16', '100.64.0.0/10'];
  const port = () => Math.floor(rnd() * 65000);
  for (let g = 0; g < 400; g++) {
    const inbound: GroupRule[] = [];
    for (let r = 0, n = 3 + Math.floor(rnd() * 8); r < n; r++) {
      const begin = pick([22, 80, 443, 3389, 5432, 6379, 8080, port()]);
      const ports = { begin, end: Math.min(65535, begin + pick([0, 0, 0, 10, 1000])) };
      inbound.push({ protocol: pick(protocols), ports, source: rnd() < 0.15 ? { groupId: `sg-${Math.floor(rnd() * 400)}` } : { block: parseBlock(pick(sources)) } });
    }
    t.securityGroups.push({ id: `sg-${g}`, componentType: 'AWS::EC2::SecurityGroup', inbound });
  }
  const subnets: string[] = [];
  for (let v = 0; v < 8; v++) {
    const vpc = `vpc-${v}`;
    t.networks.push({ id: vpc, componentType: 'AWS::EC2::VPC', blocks: [parseBlock(`10.${v}.0.0/16`)] });
    t.gateways.push({ id: `igw-${v}`, componentType: 'AWS::EC2::InternetGateway', kind: 'internet', networkIds: [vpc], portForwards: [] });
    const local = { destination: parseBlock(`10.${v}.0.0/16`), target: { kind: 'local' as const, id: 'local' }, active: true };
    t.routeTables.push({ id: `rtb-${v}-main`, componentType: 'AWS::EC2::RouteTable', networkId: vpc, main: true, subnetIds: [], routes: [local] });
    const publicTable = { id: `rtb-${v}-pub`, componentType: 'AWS::EC2::RouteTable', networkId: vpc, main: false, subnetIds: [] as string[], routes: [local, { destination: parseBlock('0.0.0.0/0'), target: { kind: 'internet-gateway' as const, id: `igw-${v}` }, active: true }, { destination: parseBlock('::/0'), target: { kind: 'internet-gateway' as const, id: `igw-${v}` }, active: true }] };
    t.routeTables.push(publicTable);
    for (let s = 0; s < 10; s++) {
      const id = `subnet-${v}-${s}`;
      subnets.push(id);
      t.subnets.push({ id, componentType: 'AWS::EC2::Subnet', networkId: vpc, blocks: [parseBlock(`10.${v}.${s}.0/24`), parseBlock(`2600:1f18:${v}:${s}::/64`)] });
      if (s < 7) publicTable.subnetIds.push(id);
      const rule = (number: number, protocol: RuleProtocol, begin: number, end: number, cidr: string, action: 'allow' | 'deny'): AclRule => ({ number, protocol, ports: { begin, end }, block: parseBlock(cidr), action });
      const inbound = [rule(10, 'tcp', 23, 23, '0.0.0.0/0', 'deny'), rule(20, 'tcp', 3389, 3389, '198.51.100.0/24', 'deny'), rule(30, 'udp', 0, 1023, '0.0.0.0/0', 'deny')];
      for (let r = 0; r < 7; r++) inbound.push(rule(100 + r, pick(protocols), 0, 65535, pick(['0.0.0.0/0', '10.0.0.0/8', '203.0.113.0/24']), rnd() < 0.2 ? 'deny' : 'allow'));
      inbound.push(rule(200, 'all', 0, 65535, '0.0.0.0/0', 'allow'), rule(201, 'all', 0, 65535, '::/0', 'allow'));
      t.acls.push({ id: `acl-${v}-${s}`, componentType: 'AWS::EC2::NetworkAcl', networkId: vpc, stateful: false, isDefault: false, subnetIds: [id], inbound, outbound: [rule(100, 'all', 0, 65535, '0.0.0.0/0', 'allow'), rule(101, 'all', 0, 65535, '::/0', 'allow')] });
    }
  }
  for (let i = 0; i < instances; i++) {
    const subnet = pick(subnets);
    const [, v, s] = subnet.split('-');
    const groups = [...new Set(Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => `sg-${Math.floor(rnd() * 400)}`))];
    const publicAddresses = [];
    if (rnd() < 0.7) publicAddresses.push(parseBlock(`54.${i >> 16}.${(i >> 8) & 255}.${i & 255}`));
    if (rnd() < 0.1) publicAddresses.push(parseBlock(`2600:1f18:${v}:${s}::${(i + 1).toString(16)}`));
    t.instances.push({
      id: `i-${i}`,
      componentType: 'AWS::EC2::Instance',
      state: rnd() < 0.1 ? 'stopped' : 'running',
      interfaces: [{ id: `eni-${i}`, componentType: 'AWS::EC2::NetworkInterface', subnetId: subnet, privateAddresses: [parseBlock(`10.${v}.${s}.${(i % 250) + 4}`)], publicAddresses, securityGroupIds: groups }],
    });
  }
  return t;
}

/** The `network` bench. */
export const networkBench: Bench = {
  name: 'network',
  async run() {
    const topology = syntheticTopology();
    analyze(syntheticTopology(200)); // warm the JIT on a small one
    const runs: number[] = [];
    let exposures = 0;
    for (let i = 0; i < 3; i++) {
      const start = performance.now();
      exposures = analyze(topology).exposures.length;
      runs.push(performance.now() - start);
    }
    const best = Math.min(...runs);
    console.log(`  ${INSTANCES.toLocaleString('en-US')} instances, ${topology.securityGroups.length} groups, ${topology.subnets.length} subnets → ${exposures.toLocaleString('en-US')} exposures`);
    report('analysis, 10,000 instances (best of 3)', best / 1000, 's', { atMost: 2 });
    report('analysis, 10,000 instances (first run)', runs[0]! / 1000, 's');
  },
};
