/**
 * Network reachability: for every running instance, which (protocol, port range) a packet from
 * an arbitrary internet address can reach, and by which path — internet gateway → route table
 * → network ACL → security groups → (host firewall) → interface, or through a load balancer or
 * a router's port forward. The answer is exact over source addresses: the internet is cut into
 * pieces at every edge of every block the rules name, so one address per piece stands for all
 * of it, and a port is open when some piece reaches it.
 */
import { INTERNET, contains, parseAddress, pieces, type AddressBlock, type Family } from './ip.js';
import type { Acl, AclRule, Component, ExposedProtocol, HostFacts, Instance, Interface, Listener, LoadBalancer, RouteTable, RuleProtocol, SecurityGroup, Subnet, Topology } from './model.js';
import { ALL_PORTS, EPHEMERAL_PORTS, NO_PORTS, hasPort, intersect, overlaps, portSet, subtract, union, type PortRange, type PortSet } from './ports.js';

/** One component a packet passes, as Inspector's `networkPath.steps[]` names it. */
export interface PathStep {
  componentId: string;
  componentType: string;
}

/** A listener the host reported inside an exposed range. */
export interface ExposedListener {
  protocol: 'tcp' | 'udp';
  port: number;
  address: string;
  process?: string;
  pid?: number;
}

/** One maximal contiguous range of ports of one instance the internet reaches by one path. */
export interface Exposure {
  /** The instance. */
  resourceId: string;
  protocol: ExposedProtocol;
  /** Ports on the instance. */
  openPortRange: PortRange;
  networkPath: { steps: PathStep[] };
  /** The interface the packets arrive on. */
  interfaceId: string;
  /** Where the internet sends them: the instance's public addresses, or the gateway's / load balancer's. */
  publicAddresses: string[];
  /** Ports the internet sends to: `openPortRange` itself, or a port forward's or listener's port. */
  publicPortRange: PortRange;
  /** Present when the host reported its listeners: those inside the range (possibly none). */
  listeners?: ExposedListener[];
}

/** The analysis's answer. */
export interface Analysis {
  exposures: Exposure[];
  warnings: string[];
}

type Bucket = 'tcp' | 'udp';

/** Where packets come from, for one evaluation at an interface. */
interface Sources {
  family: Family;
  /** Disjoint ranges the source addresses lie in. */
  space: readonly AddressBlock[];
  /** Security groups the sources are members of (a load balancer's), for rules that name groups. */
  groupIds: ReadonlySet<string>;
  /** When set, the reply to a source must route to one of these gateways from the interface's subnet. */
  replyGateways?: ReadonlySet<string>;
}

/** What passes to an interface from some source: ports per protocol, and what each group opened. */
interface Open {
  tcp: PortSet;
  udp: PortSet;
  /** Ports where every protocol passes (TCP, UDP and the port-less ones). */
  all: PortSet;
  byGroup: Map<string, { tcp: PortSet; udp: PortSet }>;
  gatewayIds: Set<string>;
}

const EMPTY_OPEN: Open = { tcp: NO_PORTS, udp: NO_PORTS, all: NO_PORTS, byGroup: new Map(), gatewayIds: new Set() };

function applies(protocol: RuleProtocol, bucket: Bucket | 'other'): boolean {
  if (protocol === 'all') return true;
  if (typeof protocol === 'object') return false;
  return protocol === bucket;
}

/** First match wins over `rules` (already in rule-number order); unmatched ports get `fallback`. */
function firstMatch(rules: readonly AclRule[], family: Family, at: bigint, bucket: Bucket, fallback: 'allow' | 'deny'): PortSet {
  let undecided: PortSet = ALL_PORTS;
  let allowed: PortSet = NO_PORTS;
  for (const rule of rules) {
    if (!applies(rule.protocol, bucket) || !contains(rule.block, family, at)) continue;
    const ports: PortSet = [rule.ports];
    if (rule.action === 'allow') allowed = union(allowed, intersect(undecided, ports));
    undecided = subtract(undecided, ports);
    if (undecided.length === 0) return allowed;
  }
  return fallback === 'allow' ? union(allowed, undecided) : allowed;
}

/** Whether protocols other than TCP and UDP pass: decided by the first matching all-protocols rule. */
function otherPasses(rules: readonly AclRule[], family: Family, at: bigint, fallback: 'allow' | 'deny'): boolean {
  for (const rule of rules) if (rule.protocol === 'all' && contains(rule.block, family, at)) return rule.action === 'allow';
  return fallback === 'allow';
}

/** The route table a subnet uses (its own, else its network's main table) and its ACL. */
interface SubnetView {
  subnet: Subnet;
  routeTable?: RouteTable;
  acl?: Acl;
}

/** Looks components up by id, with each ACL's rules sorted once. */
class Index {
  readonly subnets = new Map<string, SubnetView>();
  readonly groups = new Map<string, SecurityGroup>();
  readonly instances = new Map<string, Instance>();
  readonly internetGateways = new Map<string, Set<string>>(); // network id → gateway ids
  readonly components = new Map<string, Component>();

  constructor(topology: Topology) {
    const sorted = (rules: AclRule[]) => [...rules].sort((a, b) => a.number - b.number);
    const acls = topology.acls.map((a) => ({ ...a, inbound: sorted(a.inbound), outbound: sorted(a.outbound) }));
    for (const c of [...topology.networks, ...topology.gateways, ...topology.routeTables, ...acls]) this.components.set(c.id, c);
    for (const g of topology.securityGroups) this.groups.set(g.id, g);
    for (const i of topology.instances) this.instances.set(i.id, i);
    for (const g of topology.gateways) {
      if (g.kind !== 'internet') continue;
      for (const n of g.networkIds) {
        const set = this.internetGateways.get(n) ?? new Set<string>();
        set.add(g.id);
        this.internetGateways.set(n, set);
      }
    }
    const tableOf = new Map<string, RouteTable>();
    const mainOf = new Map<string, RouteTable>();
    for (const t of topology.routeTables) {
      for (const s of t.subnetIds) tableOf.set(s, t);
      if (t.main) mainOf.set(t.networkId, t);
    }
    const aclOf = new Map<string, Acl>();
    const defaultAclOf = new Map<string, Acl>();
    for (const a of acls) {
      for (const s of a.subnetIds) aclOf.set(s, a);
      if (a.isDefault && a.networkId) defaultAclOf.set(a.networkId, a);
    }
    for (const subnet of topology.subnets) {
      this.subnets.set(subnet.id, {
        subnet,
        routeTable: tableOf.get(subnet.id) ?? mainOf.get(subnet.networkId),
        acl: aclOf.get(subnet.id) ?? defaultAclOf.get(subnet.networkId),
      });
    }
  }
}

/** The gateway the reply to `at` leaves by, if the longest matching route is an active route to one of `gateways`. */
function replyGateway(table: RouteTable | undefined, family: Family, at: bigint, gateways: ReadonlySet<string>): string | undefined {
  if (!table) return undefined;
  let best: { length: number; route: RouteTable['routes'][number] } | undefined;
  for (const route of table.routes) {
    if (!contains(route.destination, family, at)) continue;
    const length = route.destination.prefix;
    if (!best || length > best.length) best = { length, route };
  }
  if (!best || !best.route.active) return undefined;
  return gateways.has(best.route.target.id) ? best.route.target.id : undefined;
}

function groupRuleAdmits(rule: SecurityGroup['inbound'][number], family: Family, at: bigint, sourceGroups: ReadonlySet<string>): boolean {
  const s = rule.source;
  if ('block' in s) return contains(s.block, family, at);
  if ('groupId' in s) return sourceGroups.has(s.groupId);
  return false; // prefix lists: their contents are not in the snapshot
}

/**
 * What passes from `src` to an interface in `view`'s subnet with `groups` (none: nothing filters)
 * and an optional host firewall.
 */
function openAt(view: SubnetView, groups: readonly SecurityGroup[], firewall: HostFacts['firewall'], src: Sources): Open {
  const acl = view.acl;
  const blocks: AddressBlock[] = [];
  for (const r of view.routeTable?.routes ?? []) blocks.push(r.destination);
  for (const r of acl?.inbound ?? []) blocks.push(r.block);
  for (const r of acl?.outbound ?? []) blocks.push(r.block);
  for (const g of groups) for (const r of g.inbound) if ('block' in r.source) blocks.push(r.source.block);
  for (const chain of firewall?.chains ?? []) for (const r of chain.rules) blocks.push(r.block);

  const open: Open = { tcp: NO_PORTS, udp: NO_PORTS, all: NO_PORTS, byGroup: new Map(), gatewayIds: new Set() };
  const { family } = src;
  for (const at of pieces(family, src.space, blocks)) {
    let gatewayId: string | undefined;
    if (src.replyGateways) {
      gatewayId = replyGateway(view.routeTable, family, at, src.replyGateways);
      if (!gatewayId) continue;
    }
    // The network ACL and the host firewall, before the groups.
    let filtered = { tcp: ALL_PORTS, udp: ALL_PORTS };
    let other = true;
    if (acl) {
      filtered = { tcp: firstMatch(acl.inbound, family, at, 'tcp', 'deny'), udp: firstMatch(acl.inbound, family, at, 'udp', 'deny') };
      other = otherPasses(acl.inbound, family, at, 'deny');
      // A stateless ACL must also let the TCP reply out to the client's ephemeral port. UDP
      // needs no reply to deliver its payload, so a datagram in is an exposure by itself.
      if (!acl.stateful && !overlaps(firstMatch(acl.outbound, family, at, 'tcp', 'deny'), EPHEMERAL_PORTS)) filtered.tcp = NO_PORTS;
      if (!acl.stateful && !otherPasses(acl.outbound, family, at, 'deny')) other = false;
    }
    for (const chain of firewall?.chains ?? []) {
      filtered = {
        tcp: intersect(filtered.tcp, firstMatch(chain.rules, family, at, 'tcp', chain.defaultAction)),
        udp: intersect(filtered.udp, firstMatch(chain.rules, family, at, 'udp', chain.defaultAction)),
      };
      other &&= otherPasses(chain.rules, family, at, chain.defaultAction);
    }
    if (filtered.tcp.length === 0 && filtered.udp.length === 0) continue;

    let passed = groups.length === 0 ? { tcp: filtered.tcp, udp: filtered.udp } : { tcp: NO_PORTS, udp: NO_PORTS };
    let otherByGroups = groups.length === 0;
    for (const g of groups) {
      const tcp: PortRange[] = [];
      const udp: PortRange[] = [];
      for (const rule of g.inbound) {
        if (!groupRuleAdmits(rule, family, at, src.groupIds)) continue;
        if (applies(rule.protocol, 'tcp')) tcp.push(rule.ports);
        if (applies(rule.protocol, 'udp')) udp.push(rule.ports);
        if (rule.protocol === 'all') otherByGroups = true;
      }
      if (tcp.length === 0 && udp.length === 0) continue;
      const mine = { tcp: intersect(portSet(tcp), filtered.tcp), udp: intersect(portSet(udp), filtered.udp) };
      if (mine.tcp.length === 0 && mine.udp.length === 0) continue;
      const seen = open.byGroup.get(g.id);
      open.byGroup.set(g.id, seen ? { tcp: union(seen.tcp, mine.tcp), udp: union(seen.udp, mine.udp) } : mine);
      passed = { tcp: union(passed.tcp, mine.tcp), udp: union(passed.udp, mine.udp) };
    }
    if (passed.tcp.length === 0 && passed.udp.length === 0) continue;
    if (gatewayId) open.gatewayIds.add(gatewayId);
    open.tcp = union(open.tcp, passed.tcp);
    open.udp = union(open.udp, passed.udp);
    if (other && otherByGroups) open.all = union(open.all, intersect(passed.tcp, passed.udp));
  }
  return open;
}

function merge(a: Open, b: Open): Open {
  if (a === EMPTY_OPEN) return b;
  const byGroup = new Map(a.byGroup);
  for (const [id, p] of b.byGroup) {
    const seen = byGroup.get(id);
    byGroup.set(id, seen ? { tcp: union(seen.tcp, p.tcp), udp: union(seen.udp, p.udp) } : p);
  }
  return { tcp: union(a.tcp, b.tcp), udp: union(a.udp, b.udp), all: union(a.all, b.all), byGroup, gatewayIds: new Set([...a.gatewayIds, ...b.gatewayIds]) };
}

function step(c: Component): PathStep {
  return { componentId: c.id, componentType: c.componentType };
}

const WILDCARDS = new Set(['0.0.0.0', '::', '*', '']);

/** Listeners of the host inside `range` that a packet arriving at `iface` can reach. */
function listenersIn(host: HostFacts | undefined, iface: Interface, protocol: ExposedProtocol, range: PortRange): ExposedListener[] | undefined {
  if (!host?.listeners) return undefined;
  const local = [...iface.privateAddresses, ...iface.publicAddresses];
  const boundHere = (l: Listener) => {
    if (WILDCARDS.has(l.address)) return true;
    try {
      const a = parseAddress(l.address);
      return local.some((b) => contains(b, a.family, a.first));
    } catch {
      return false;
    }
  };
  return host.listeners
    .filter((l) => (protocol === 'all' || l.protocol === protocol) && l.port >= range.begin && l.port <= range.end && boundHere(l))
    .map((l) => ({ protocol: l.protocol, port: l.port, address: l.address, ...(l.process ? { process: l.process } : {}), ...(l.pid ? { pid: l.pid } : {}) }));
}

/** Runs the analysis over a whole topology. */
export function analyze(topology: Topology, opts: { signal?: AbortSignal } = {}): Analysis {
  const warnings: string[] = [...topology.warnings];
  const index = new Index(topology);
  const exposures: Exposure[] = [];
  // Interfaces alike in subnet and groups (the common case: a fleet behind one group) share
  // one evaluation; a host firewall makes an evaluation the host's own.
  const cache = new Map<string, Open>();

  const evaluate = (view: SubnetView, groupIds: readonly string[], instance: Instance | undefined, srcs: Sources[], mode: string): Open => {
    const reported = instance?.host?.firewall;
    const firewall = reported && { ...reported, chains: reported.chains.map((c) => ({ ...c, rules: [...c.rules].sort((a, b) => a.number - b.number) })) };
    const key = firewall ? undefined : `${view.subnet.id}|${[...groupIds].sort().join(',')}|${srcs.map((s) => s.family).join(',')}|${mode}`;
    const cached = key ? cache.get(key) : undefined;
    if (cached) return cached;
    const groups: SecurityGroup[] = [];
    for (const id of groupIds) {
      const g = index.groups.get(id);
      if (g) groups.push(g);
      else warnings.push(`security group ${id} is not in the snapshot; its rules are not counted`);
    }
    let open = EMPTY_OPEN;
    for (const src of srcs) open = merge(open, openAt(view, groups, firewall, src));
    if (key) cache.set(key, open);
    return open;
  };

  const pathTail = (view: SubnetView, open: Open, ports: PortSet, protocol: ExposedProtocol, instance: Instance, iface: Interface): PathStep[] => {
    const steps: PathStep[] = [];
    if (view.acl) steps.push(step(view.acl));
    for (const id of iface.securityGroupIds) {
      const opened = open.byGroup.get(id);
      const g = index.groups.get(id);
      if (!opened || !g) continue;
      const hit = protocol === 'udp' ? overlaps(opened.udp, ports) : protocol === 'tcp' ? overlaps(opened.tcp, ports) : overlaps(opened.tcp, ports) || overlaps(opened.udp, ports);
      if (hit) steps.push(step(g));
    }
    if (instance.host?.firewall) steps.push(step(instance.host.firewall));
    steps.push(step(iface));
    return steps;
  };

  const viewOf = (iface: Interface, owner: string): SubnetView | undefined => {
    const view = index.subnets.get(iface.subnetId);
    if (!view) warnings.push(`${owner}: subnet ${iface.subnetId} is not in the snapshot`);
    return view;
  };

  // 1. Straight in: internet gateway → the instance's public address.
  for (const instance of topology.instances) {
    opts.signal?.throwIfAborted();
    if (instance.state !== 'running') continue;
    for (const iface of instance.interfaces) {
      if (iface.publicAddresses.length === 0) continue;
      const view = viewOf(iface, instance.id);
      if (!view) continue;
      const gateways = index.internetGateways.get(view.subnet.networkId);
      if (!gateways) continue;
      const families = [...new Set(iface.publicAddresses.map((a) => a.family))].sort();
      const srcs: Sources[] = families.map((family) => ({ family, space: INTERNET[family], groupIds: new Set(), replyGateways: gateways }));
      const open = evaluate(view, iface.securityGroupIds, instance, srcs, 'direct');
      const head = [...open.gatewayIds].sort().map((id) => step(index.components.get(id)!));
      if (view.routeTable) head.push(step(view.routeTable));
      const publicAddresses = iface.publicAddresses.map((a) => a.text);
      const emit = (protocol: ExposedProtocol, set: PortSet) => {
        for (const range of set) {
          const listeners = listenersIn(instance.host, iface, protocol, range);
          exposures.push({
            resourceId: instance.id,
            protocol,
            openPortRange: range,
            networkPath: { steps: [...head, ...pathTail(view, open, [range], protocol, instance, iface)] },
            interfaceId: iface.id,
            publicAddresses,
            publicPortRange: range,
            ...(listeners ? { listeners } : {}),
          });
        }
      };
      emit('all', open.all);
      emit('tcp', subtract(open.tcp, open.all));
      emit('udp', subtract(open.udp, open.all));
    }
  }

  // 2. Port forwards on gateways (a router's DNAT): the client's address reaches the instance.
  for (const gateway of topology.gateways) {
    for (const forward of gateway.portForwards) {
      const where = `gateway ${gateway.id} port forward ${forward.protocol}/${forward.publicPort}`;
      const instance = index.instances.get(forward.instanceId);
      if (!instance) {
        warnings.push(`${where}: instance ${forward.instanceId} is not in the snapshot`);
        continue;
      }
      if (instance.state !== 'running') continue;
      const iface = interfaceIn(index, instance, new Set(gateway.networkIds));
      if (!iface) {
        warnings.push(`${where}: instance ${instance.id} has no interface in the gateway's networks`);
        continue;
      }
      const view = viewOf(iface, instance.id);
      if (!view) continue;
      const family: Family = forward.publicAddress ? parseAddress(forward.publicAddress).family : 4;
      const src: Sources = { family, space: INTERNET[family], groupIds: new Set(), replyGateways: new Set([gateway.id]) };
      const open = evaluate(view, iface.securityGroupIds, instance, [src], `gw:${gateway.id}`);
      if (!hasPort(open[forward.protocol], forward.targetPort)) continue;
      const range = { begin: forward.targetPort, end: forward.targetPort };
      const head = [step(gateway), ...(view.routeTable ? [step(view.routeTable)] : [])];
      const listeners = listenersIn(instance.host, iface, forward.protocol, range);
      exposures.push({
        resourceId: instance.id,
        protocol: forward.protocol,
        openPortRange: range,
        networkPath: { steps: [...head, ...pathTail(view, open, [range], forward.protocol, instance, iface)] },
        interfaceId: iface.id,
        publicAddresses: forward.publicAddress ? [forward.publicAddress] : [],
        publicPortRange: { begin: forward.publicPort, end: forward.publicPort },
        ...(listeners ? { listeners } : {}),
      });
    }
  }

  // 3. Internet-facing load balancers: the internet reaches a listener, the balancer its targets.
  for (const lb of topology.loadBalancers) {
    if (!lb.internetFacing) continue;
    for (const listener of lb.listeners) {
      const front = frontPath(index, lb, listener, evaluate);
      if (!front) continue;
      for (const target of listener.targets) {
        const where = `load balancer ${lb.id} listener ${listener.protocol}/${listener.port}`;
        const instance = index.instances.get(target.instanceId);
        if (!instance) {
          warnings.push(`${where}: target instance ${target.instanceId} is not in the snapshot`);
          continue;
        }
        if (instance.state !== 'running') continue;
        const iface = interfaceIn(index, instance, new Set([lb.networkId]));
        if (!iface) continue;
        const view = viewOf(iface, instance.id);
        if (!view) continue;
        const srcs: Sources[] = lb.preservesClientAddress
          ? lb.families.map((family) => ({ family, space: INTERNET[family], groupIds: new Set() }))
          : balancerSources(index, lb);
        const open = evaluate(view, iface.securityGroupIds, instance, srcs, `lb:${lb.preservesClientAddress ? 'client' : lb.id}`);
        if (!hasPort(open[listener.protocol], target.port)) continue;
        const range = { begin: target.port, end: target.port };
        const listeners = listenersIn(instance.host, iface, listener.protocol, range);
        exposures.push({
          resourceId: instance.id,
          protocol: listener.protocol,
          openPortRange: range,
          networkPath: { steps: [...front, ...pathTail(view, open, [range], listener.protocol, instance, iface)] },
          interfaceId: iface.id,
          publicAddresses: lb.publicAddresses,
          publicPortRange: { begin: listener.port, end: listener.port },
          ...(listeners ? { listeners } : {}),
        });
      }
    }
  }

  exposures.sort(
    (a, b) =>
      cmp(a.resourceId, b.resourceId) || cmp(a.interfaceId, b.interfaceId) || cmp(a.protocol, b.protocol) || a.openPortRange.begin - b.openPortRange.begin || a.publicPortRange.begin - b.publicPortRange.begin,
  );
  return { exposures, warnings: [...new Set(warnings)] };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The instance's first interface in one of `networks`. */
function interfaceIn(index: Index, instance: Instance, networks: ReadonlySet<string>): Interface | undefined {
  return instance.interfaces.find((i) => {
    const view = index.subnets.get(i.subnetId);
    return view !== undefined && networks.has(view.subnet.networkId);
  });
}

/** The balancer's own addresses as its targets see them: its subnets, as members of its groups. */
function balancerSources(index: Index, lb: LoadBalancer): Sources[] {
  const out: Sources[] = [];
  for (const family of [4, 6] as const) {
    const space = lb.subnetIds
      .flatMap((id) => index.subnets.get(id)?.subnet.blocks ?? [])
      .filter((b) => b.family === family)
      .sort((a, b) => (a.first < b.first ? -1 : 1));
    if (space.length > 0) out.push({ family, space, groupIds: new Set(lb.securityGroupIds) });
  }
  return out;
}

/** The path from the internet to a balancer's listener through one of its subnets, if there is one. */
function frontPath(
  index: Index,
  lb: LoadBalancer,
  listener: LoadBalancer['listeners'][number],
  evaluate: (view: SubnetView, groupIds: readonly string[], instance: Instance | undefined, srcs: Sources[], mode: string) => Open,
): PathStep[] | undefined {
  const gateways = index.internetGateways.get(lb.networkId);
  if (!gateways) return undefined;
  for (const subnetId of lb.subnetIds) {
    const view = index.subnets.get(subnetId);
    if (!view) continue;
    const srcs: Sources[] = lb.families.map((family) => ({ family, space: INTERNET[family], groupIds: new Set(), replyGateways: gateways }));
    const open = evaluate(view, lb.securityGroupIds, undefined, srcs, 'direct');
    if (!hasPort(open[listener.protocol], listener.port)) continue;
    const steps = [...open.gatewayIds].sort().map((id) => step(index.components.get(id)!));
    if (view.routeTable) steps.push(step(view.routeTable));
    if (view.acl) steps.push(step(view.acl));
    for (const id of lb.securityGroupIds) {
      const opened = open.byGroup.get(id);
      if (opened && hasPort(opened[listener.protocol], listener.port)) steps.push(step(index.groups.get(id)!));
    }
    steps.push(step(lb));
    return steps;
  }
  return undefined;
}
