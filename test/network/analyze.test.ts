import { describe, expect, it } from 'vitest';
import { analyze, type Exposure } from '../../src/network/analyze.js';
import { parseBlock } from '../../src/network/ip.js';
import type { Acl, AclRule, GroupRule, Instance, RuleProtocol, Topology } from '../../src/network/model.js';
import { emptyTopology } from '../../src/network/model.js';

const b = parseBlock;
const ports = (text: string) => {
  const [x, y] = text.split('-').map(Number);
  return { begin: x!, end: y ?? x! };
};
const acl = (number: number, protocol: RuleProtocol, p: string, block: string, action: 'allow' | 'deny' = 'allow'): AclRule => ({ number, protocol, ports: ports(p), block: b(block), action });
const from = (protocol: RuleProtocol, p: string, source: string): GroupRule => ({ protocol, ports: ports(p), source: source.startsWith('sg-') ? { groupId: source } : { block: b(source) } });
const OPEN_ACL: AclRule[] = [acl(100, 'all', '0-65535', '0.0.0.0/0'), acl(101, 'all', '0-65535', '::/0')];

/** One VPC, a public subnet (default route to the IGW) and a private one (no IGW route). */
function world(opts: { inbound?: AclRule[]; outbound?: AclRule[]; groups?: Record<string, GroupRule[]> } = {}): Topology {
  const t = emptyTopology();
  t.networks.push({ id: 'vpc-1', componentType: 'AWS::EC2::VPC', blocks: [b('10.0.0.0/16'), b('2001:db8:1::/56')] });
  t.subnets.push({ id: 'subnet-pub', componentType: 'AWS::EC2::Subnet', networkId: 'vpc-1', blocks: [b('10.0.1.0/24')] });
  t.subnets.push({ id: 'subnet-priv', componentType: 'AWS::EC2::Subnet', networkId: 'vpc-1', blocks: [b('10.0.2.0/24')] });
  t.gateways.push({ id: 'igw-1', componentType: 'AWS::EC2::InternetGateway', kind: 'internet', networkIds: ['vpc-1'], portForwards: [] });
  t.gateways.push({ id: 'nat-1', componentType: 'AWS::EC2::NatGateway', kind: 'nat', networkIds: ['vpc-1'], portForwards: [] });
  const local = { destination: b('10.0.0.0/16'), target: { kind: 'local' as const, id: 'local' }, active: true };
  t.routeTables.push({ id: 'rtb-main', componentType: 'AWS::EC2::RouteTable', networkId: 'vpc-1', main: true, subnetIds: [], routes: [local, { destination: b('0.0.0.0/0'), target: { kind: 'nat-gateway', id: 'nat-1' }, active: true }] });
  t.routeTables.push({
    id: 'rtb-pub',
    componentType: 'AWS::EC2::RouteTable',
    networkId: 'vpc-1',
    main: false,
    subnetIds: ['subnet-pub'],
    routes: [local, { destination: b('0.0.0.0/0'), target: { kind: 'internet-gateway', id: 'igw-1' }, active: true }, { destination: b('::/0'), target: { kind: 'internet-gateway', id: 'igw-1' }, active: true }],
  });
  const nacl: Acl = { id: 'acl-1', componentType: 'AWS::EC2::NetworkAcl', networkId: 'vpc-1', stateful: false, isDefault: true, subnetIds: [], inbound: opts.inbound ?? OPEN_ACL, outbound: opts.outbound ?? OPEN_ACL };
  t.acls.push(nacl);
  for (const [id, inbound] of Object.entries(opts.groups ?? { 'sg-web': [from('tcp', '22', '0.0.0.0/0'), from('tcp', '443', '0.0.0.0/0')] })) {
    t.securityGroups.push({ id, componentType: 'AWS::EC2::SecurityGroup', inbound });
  }
  return t;
}

function instance(id: string, o: { subnet?: string; public?: string[]; groups?: string[]; state?: string; host?: Instance['host'] } = {}): Instance {
  return {
    id,
    componentType: 'AWS::EC2::Instance',
    state: o.state ?? 'running',
    interfaces: [{ id: `eni-${id}`, componentType: 'AWS::EC2::NetworkInterface', subnetId: o.subnet ?? 'subnet-pub', privateAddresses: [b('10.0.1.10')], publicAddresses: (o.public ?? ['203.0.113.10']).map(b), securityGroupIds: o.groups ?? ['sg-web'] }],
    ...(o.host ? { host: o.host } : {}),
  };
}

/** `tcp 22-22 via igw-1,rtb-pub,acl-1,sg-web,eni-i-1`: compact, whole-result comparisons. */
const brief = (e: Exposure) => `${e.resourceId} ${e.protocol} ${e.openPortRange.begin}-${e.openPortRange.end} via ${e.networkPath.steps.map((s) => s.componentId).join(',')}`;
const run = (t: Topology) => analyze(t).exposures.map(brief);

describe('reachability analysis', () => {
  it('reports each open range of a public instance with its whole path', () => {
    const t = world();
    t.instances.push(instance('i-1'));
    const [first] = analyze(t).exposures;
    expect(first).toEqual({
      resourceId: 'i-1',
      protocol: 'tcp',
      openPortRange: { begin: 22, end: 22 },
      networkPath: {
        steps: [
          { componentId: 'igw-1', componentType: 'AWS::EC2::InternetGateway' },
          { componentId: 'rtb-pub', componentType: 'AWS::EC2::RouteTable' },
          { componentId: 'acl-1', componentType: 'AWS::EC2::NetworkAcl' },
          { componentId: 'sg-web', componentType: 'AWS::EC2::SecurityGroup' },
          { componentId: 'eni-i-1', componentType: 'AWS::EC2::NetworkInterface' },
        ],
      },
      interfaceId: 'eni-i-1',
      publicAddresses: ['203.0.113.10'],
      publicPortRange: { begin: 22, end: 22 },
    });
    expect(run(t)).toEqual(['i-1 tcp 22-22 via igw-1,rtb-pub,acl-1,sg-web,eni-i-1', 'i-1 tcp 443-443 via igw-1,rtb-pub,acl-1,sg-web,eni-i-1']);
  });

  it('does not reach instances without a public address, stopped ones, or subnets routed to a NAT gateway', () => {
    const t = world();
    t.instances.push(instance('i-private', { public: [] }), instance('i-stopped', { state: 'stopped' }), instance('i-nat', { subnet: 'subnet-priv' }));
    expect(run(t)).toEqual([]);
  });

  it('merges groups into maximal ranges, lists only the groups that open each, and ignores group references', () => {
    const t = world({
      groups: {
        'sg-a': [from('tcp', '8000-8080', '0.0.0.0/0'), from('tcp', '9000', 'sg-b')],
        'sg-b': [from('tcp', '8081-8090', '198.51.100.0/24'), from('udp', '53', '0.0.0.0/0'), from('tcp', '5432', '10.0.0.0/16')],
      },
    });
    t.instances.push(instance('i-1', { groups: ['sg-a', 'sg-b'] }));
    expect(run(t)).toEqual(['i-1 tcp 8000-8090 via igw-1,rtb-pub,acl-1,sg-a,sg-b,eni-i-1', 'i-1 udp 53-53 via igw-1,rtb-pub,acl-1,sg-b,eni-i-1']);
  });

  it('reports every protocol as `all`, and the TCP and UDP ports beyond it apart', () => {
    const t = world({ groups: { 'sg-all': [from('all', '0-65535', '0.0.0.0/0')] }, inbound: [acl(90, 'udp', '0-65535', '0.0.0.0/0', 'deny'), ...OPEN_ACL] });
    t.instances.push(instance('i-1', { groups: ['sg-all'] }));
    expect(run(t)).toEqual(['i-1 tcp 0-65535 via igw-1,rtb-pub,acl-1,sg-all,eni-i-1']);
    const open = world({ groups: { 'sg-all': [from('all', '0-65535', '0.0.0.0/0')] } });
    open.instances.push(instance('i-1', { groups: ['sg-all'] }));
    expect(run(open)).toEqual(['i-1 all 0-65535 via igw-1,rtb-pub,acl-1,sg-all,eni-i-1']);
  });

  it('applies NACL rules in rule-number order, first match wins, unmatched denied', () => {
    const groups = { 'sg-wide': [from('tcp', '0-65535', '0.0.0.0/0'), from('udp', '0-65535', '0.0.0.0/0')] };
    // Listed out of order on purpose: 50 (deny 23) decides before 100 (allow everything TCP).
    const inbound = [acl(100, 'tcp', '0-65535', '0.0.0.0/0'), acl(50, 'tcp', '23', '0.0.0.0/0', 'deny'), acl(200, 'tcp', '23', '0.0.0.0/0'), acl(60, 'udp', '500-600', '0.0.0.0/0')];
    const t = world({ inbound, groups });
    t.instances.push(instance('i-1', { groups: ['sg-wide'] }));
    expect(run(t)).toEqual(['i-1 tcp 0-22 via igw-1,rtb-pub,acl-1,sg-wide,eni-i-1', 'i-1 tcp 24-65535 via igw-1,rtb-pub,acl-1,sg-wide,eni-i-1', 'i-1 udp 500-600 via igw-1,rtb-pub,acl-1,sg-wide,eni-i-1']);
  });

  it('finds a port open when only part of the internet is denied, closed when all of it is', () => {
    const part = world({ inbound: [acl(10, 'tcp', '22', '203.0.113.0/24', 'deny'), ...OPEN_ACL] });
    part.instances.push(instance('i-1'));
    expect(run(part)).toContain('i-1 tcp 22-22 via igw-1,rtb-pub,acl-1,sg-web,eni-i-1');
    // Private ranges are not the internet: allowing only them opens nothing.
    const all = world({ inbound: [acl(10, 'tcp', '22', '0.0.0.0/1', 'deny'), acl(11, 'tcp', '22', '128.0.0.0/1', 'deny'), acl(20, 'all', '0-65535', '10.0.0.0/8'), acl(30, 'tcp', '443', '0.0.0.0/0')] });
    all.instances.push(instance('i-1'));
    expect(run(all)).toEqual(['i-1 tcp 443-443 via igw-1,rtb-pub,acl-1,sg-web,eni-i-1']);
  });

  it('needs a stateless NACL to let TCP replies out to ephemeral ports; UDP needs no reply', () => {
    const groups = { 'sg-1': [from('tcp', '22', '0.0.0.0/0'), from('udp', '53', '0.0.0.0/0')] };
    const noReply = world({ groups, outbound: [acl(100, 'all', '0-1023', '0.0.0.0/0')] });
    noReply.instances.push(instance('i-1', { groups: ['sg-1'] }));
    expect(run(noReply)).toEqual(['i-1 udp 53-53 via igw-1,rtb-pub,acl-1,sg-1,eni-i-1']);
    const reply = world({ groups, outbound: [acl(100, 'tcp', '32768-60999', '0.0.0.0/0')] });
    reply.instances.push(instance('i-1', { groups: ['sg-1'] }));
    expect(run(reply)).toEqual(['i-1 tcp 22-22 via igw-1,rtb-pub,acl-1,sg-1,eni-i-1', 'i-1 udp 53-53 via igw-1,rtb-pub,acl-1,sg-1,eni-i-1']);
    const stateful = world({ groups, outbound: [] });
    stateful.acls[0]!.stateful = true;
    stateful.instances.push(instance('i-1', { groups: ['sg-1'] }));
    expect(run(stateful)).toHaveLength(2);
  });

  it('uses the longest matching route: a more specific route elsewhere closes only its part of the internet', () => {
    const t = world({ groups: { 'sg-1': [from('tcp', '22', '198.51.100.0/24'), from('tcp', '80', '0.0.0.0/0')] } });
    t.routeTables[1]!.routes.push({ destination: b('198.51.100.0/24'), target: { kind: 'nat-gateway', id: 'nat-1' }, active: true });
    t.instances.push(instance('i-1', { groups: ['sg-1'] }));
    expect(run(t)).toEqual(['i-1 tcp 80-80 via igw-1,rtb-pub,acl-1,sg-1,eni-i-1']);
    // A blackhole default route drops the replies.
    t.routeTables[1]!.routes[1]!.active = false;
    expect(run(t)).toEqual([]);
  });

  it('falls back to the main route table for subnets without their own', () => {
    const t = world();
    t.routeTables[0]!.routes[1] = { destination: b('0.0.0.0/0'), target: { kind: 'internet-gateway', id: 'igw-1' }, active: true };
    t.instances.push(instance('i-1', { subnet: 'subnet-priv' }));
    expect(run(t)).toEqual(['i-1 tcp 22-22 via igw-1,rtb-main,acl-1,sg-web,eni-i-1', 'i-1 tcp 443-443 via igw-1,rtb-main,acl-1,sg-web,eni-i-1']);
  });

  it('reaches IPv6 addresses only through IPv6 rules and routes', () => {
    const t = world({ groups: { 'sg-6': [from('tcp', '22', '::/0'), from('tcp', '80', '0.0.0.0/0')] } });
    t.instances.push(instance('i-v6', { public: ['2001:db8:1::10'], groups: ['sg-6'] }), instance('i-v4', { groups: ['sg-6'] }));
    expect(run(t)).toEqual(['i-v4 tcp 80-80 via igw-1,rtb-pub,acl-1,sg-6,eni-i-v4', 'i-v6 tcp 22-22 via igw-1,rtb-pub,acl-1,sg-6,eni-i-v6']);
    t.routeTables[1]!.routes.pop(); // no ::/0 route
    expect(run(t)).toEqual(['i-v4 tcp 80-80 via igw-1,rtb-pub,acl-1,sg-6,eni-i-v4']);
  });

  it('intersects with the host firewall and names the processes listening in each range', () => {
    const t = world({ groups: { 'sg-1': [from('tcp', '20-30', '0.0.0.0/0'), from('udp', '53', '0.0.0.0/0')] } });
    t.instances.push(
      instance('i-1', {
        groups: ['sg-1'],
        host: {
          firewall: {
            id: 'i-1/nftables',
            componentType: 'Host::Firewall',
            chains: [
              { defaultAction: 'deny', rules: [acl(2, 'tcp', '0-65535', '0.0.0.0/0'), acl(1, 'tcp', '25', '0.0.0.0/0', 'deny'), acl(3, 'udp', '53', '0.0.0.0/0')] },
              // A second chain must allow too: it drops 30 only.
              { defaultAction: 'allow', rules: [acl(1, 'tcp', '30', '0.0.0.0/0', 'deny')] },
            ],
          },
          listeners: [
            { protocol: 'tcp', port: 22, address: '0.0.0.0', process: 'sshd', pid: 100 },
            { protocol: 'tcp', port: 26, address: '127.0.0.1', process: 'private' },
            { protocol: 'tcp', port: 27, address: '10.0.1.10', process: 'app' },
            { protocol: 'udp', port: 53, address: '::', process: 'named' },
          ],
        },
      }),
    );
    const out = analyze(t).exposures;
    expect(out.map(brief)).toEqual(['i-1 tcp 20-24 via igw-1,rtb-pub,acl-1,sg-1,i-1/nftables,eni-i-1', 'i-1 tcp 26-29 via igw-1,rtb-pub,acl-1,sg-1,i-1/nftables,eni-i-1', 'i-1 udp 53-53 via igw-1,rtb-pub,acl-1,sg-1,i-1/nftables,eni-i-1']);
    expect(out.map((e) => e.listeners?.map((l) => l.process))).toEqual([['sshd'], ['app'], ['named']]);
  });

  it('follows a router port forward to the instance behind it', () => {
    const t = world();
    t.gateways[0]!.portForwards.push({ protocol: 'tcp', publicPort: 2222, instanceId: 'i-nas', targetPort: 22, publicAddress: '203.0.113.1' }, { protocol: 'tcp', publicPort: 8443, instanceId: 'i-nas', targetPort: 8443 });
    t.instances.push(instance('i-nas', { public: [] }));
    const out = analyze(t).exposures;
    expect(out.map(brief)).toEqual(['i-nas tcp 22-22 via igw-1,rtb-pub,acl-1,sg-web,eni-i-nas']);
    expect(out[0]).toMatchObject({ publicPortRange: { begin: 2222, end: 2222 }, publicAddresses: ['203.0.113.1'] });
  });

  it('follows an internet-facing load balancer to its targets, through the targets own groups', () => {
    const t = world({
      groups: { 'sg-lb': [from('tcp', '443', '0.0.0.0/0')], 'sg-app': [from('tcp', '8080', 'sg-lb')], 'sg-app-cidr': [from('tcp', '9090', '10.0.1.0/24')], 'sg-closed': [] },
    });
    t.instances.push(instance('i-a', { public: [], groups: ['sg-app'] }), instance('i-b', { public: [], groups: ['sg-app-cidr'] }), instance('i-c', { public: [], groups: ['sg-closed'] }), instance('i-d', { public: [], groups: ['sg-app'], state: 'stopped' }));
    const lb = {
      id: 'arn:alb',
      componentType: 'AWS::ElasticLoadBalancingV2::LoadBalancer',
      internetFacing: true,
      networkId: 'vpc-1',
      subnetIds: ['subnet-pub'],
      securityGroupIds: ['sg-lb'],
      families: [4 as const],
      preservesClientAddress: false,
      publicAddresses: ['web.example'],
      listeners: [
        { protocol: 'tcp' as const, port: 443, targets: [{ instanceId: 'i-a', port: 8080 }, { instanceId: 'i-b', port: 9090 }, { instanceId: 'i-c', port: 8080 }, { instanceId: 'i-d', port: 8080 }] },
        { protocol: 'tcp' as const, port: 80, targets: [{ instanceId: 'i-a', port: 8080 }] }, // the balancer's group does not open 80
      ],
    };
    t.loadBalancers.push(lb);
    const out = analyze(t).exposures;
    expect(out.map(brief)).toEqual(['i-a tcp 8080-8080 via igw-1,rtb-pub,acl-1,sg-lb,arn:alb,acl-1,sg-app,eni-i-a', 'i-b tcp 9090-9090 via igw-1,rtb-pub,acl-1,sg-lb,arn:alb,acl-1,sg-app-cidr,eni-i-b']);
    expect(out[0]).toMatchObject({ publicPortRange: { begin: 443, end: 443 }, publicAddresses: ['web.example'] });
    t.loadBalancers[0] = { ...lb, internetFacing: false };
    expect(run(t)).toEqual([]);
  });
});
