/**
 * The topology model every importer produces and the analysis reads: networks (VPCs), subnets,
 * route tables, gateways, network ACLs, security groups, instances with their interfaces, and
 * load balancers. It knows nothing of AWS's JSON or the YAML format; addresses are parsed once,
 * here, into integer ranges.
 */
import type { AddressBlock } from './ip.js';
import type { PortRange } from './ports.js';

/**
 * What a rule matches: TCP, UDP, every protocol (`all`, AWS's `-1`), or one other IP protocol
 * by number (ICMP is 1): such rules never open a TCP or UDP port, so the analysis passes over them.
 */
export type RuleProtocol = 'tcp' | 'udp' | 'all' | { number: number };

/** A protocol an exposure is reported for: `all` where every protocol passes over the range. */
export type ExposedProtocol = 'tcp' | 'udp' | 'all';

/** Names a component in a path the way Inspector does (`AWS::EC2::SecurityGroup`). */
export interface Component {
  id: string;
  componentType: string;
}

/** A VPC or any other routed network. */
export interface Network extends Component {
  blocks: AddressBlock[];
}

/** A subnet of a network. */
export interface Subnet extends Component {
  networkId: string;
  blocks: AddressBlock[];
}

/** Where a route sends packets. */
export interface RouteTarget {
  kind: 'internet-gateway' | 'nat-gateway' | 'egress-only-gateway' | 'local' | 'other';
  id: string;
}

/** One route: packets to `destination` go to `target` (unless the route is a blackhole). */
export interface Route {
  destination: AddressBlock;
  target: RouteTarget;
  /** False for AWS `blackhole` routes, whose target is gone: they drop what they match. */
  active: boolean;
}

/**
 * A route table. A subnet uses the table that names it in `subnetIds`, else its network's main
 * table; the longest prefix that matches a destination wins.
 */
export interface RouteTable extends Component {
  networkId: string;
  main: boolean;
  subnetIds: string[];
  routes: Route[];
}

/** A router's port forward (DNAT): the gateway's public port goes to an instance's port. */
export interface PortForward {
  protocol: 'tcp' | 'udp';
  publicPort: number;
  instanceId: string;
  targetPort: number;
  /** The public address it listens on, for output (the gateway's, when it has one). */
  publicAddress?: string;
}

/**
 * A gateway between a network and the outside. Only an internet gateway lets the internet in;
 * NAT and egress-only gateways carry connections out and their replies, never a new one in.
 */
export interface Gateway extends Component {
  kind: 'internet' | 'nat' | 'egress-only';
  networkIds: string[];
  portForwards: PortForward[];
}

/** One ACL rule; `block` is the source for inbound rules and the destination for outbound. */
export interface AclRule {
  number: number;
  protocol: RuleProtocol;
  ports: PortRange;
  block: AddressBlock;
  action: 'allow' | 'deny';
}

/**
 * An ordered firewall in front of subnets: rules by ascending number, first match wins, no
 * match denies. A stateless ACL (AWS's network ACLs) also needs an outbound rule letting the
 * reply out; a stateful one (a firewall that tracks connections) lets replies out by itself.
 */
export interface Acl extends Component {
  networkId?: string;
  stateful: boolean;
  /** The network's default ACL, for subnets no ACL names. */
  isDefault: boolean;
  subnetIds: string[];
  inbound: AclRule[];
  outbound: AclRule[];
}

/** One inbound security group rule: from an address block, or from members of another group. */
export interface GroupRule {
  protocol: RuleProtocol;
  ports: PortRange;
  source: { block: AddressBlock } | { groupId: string } | { prefixListId: string };
}

/** A stateful group of allow rules on interfaces: the union of its rules (and of all its groups). */
export interface SecurityGroup extends Component {
  inbound: GroupRule[];
}

/** A network interface of an instance. */
export interface Interface extends Component {
  subnetId: string;
  privateAddresses: AddressBlock[];
  /** Addresses the internet can send to: IPv4 public/elastic addresses, global IPv6 addresses. */
  publicAddresses: AddressBlock[];
  securityGroupIds: string[];
}

/** A process listening on a socket, as the host reported it. */
export interface Listener {
  protocol: 'tcp' | 'udp';
  port: number;
  /** The bound address; `0.0.0.0` / `::` for every address. */
  address: string;
  process?: string;
  pid?: number;
}

/** One chain of a host firewall: rules by ascending number, first match wins, then `defaultAction`. */
export interface FirewallChain {
  rules: AclRule[];
  defaultAction: 'allow' | 'deny';
}

/**
 * A host's own inbound firewall, stateful (replies always pass). A packet must be allowed by
 * every chain, as by every nftables base chain on the input hook.
 */
export interface HostFirewall extends Component {
  chains: FirewallChain[];
}

/** What a host reported about itself: its own firewall and its listening sockets. */
export interface HostFacts {
  firewall?: HostFirewall;
  listeners?: Listener[];
}

/** A machine with interfaces. Only `running` instances are reachable. */
export interface Instance extends Component {
  state: string;
  interfaces: Interface[];
  host?: HostFacts;
}

/** A load balancer listener and where it sends connections. */
export interface LbListener {
  protocol: 'tcp' | 'udp';
  port: number;
  targets: { instanceId: string; port: number }[];
}

/**
 * A load balancer in some subnets. Internet-facing ones take connections from the internet
 * through their subnets' route tables and ACLs (and their security groups, if they have any);
 * `preservesClientAddress` says whether targets see the client's address (NLB instance
 * targets) or the balancer's own (ALB).
 */
export interface LoadBalancer extends Component {
  internetFacing: boolean;
  networkId: string;
  subnetIds: string[];
  securityGroupIds: string[];
  /** Address families it listens on (`dualstack` balancers take IPv6 too). */
  families: (4 | 6)[];
  preservesClientAddress: boolean;
  /** Where the internet finds it (DNS names or addresses), for output. */
  publicAddresses: string[];
  listeners: LbListener[];
}

/** A whole topology snapshot, as one importer read it. */
export interface Topology {
  networks: Network[];
  subnets: Subnet[];
  routeTables: RouteTable[];
  gateways: Gateway[];
  acls: Acl[];
  securityGroups: SecurityGroup[];
  instances: Instance[];
  loadBalancers: LoadBalancer[];
  /** What the importer could not model faithfully, one sentence each. */
  warnings: string[];
}

/** An empty topology to fill. */
export function emptyTopology(): Topology {
  return { networks: [], subnets: [], routeTables: [], gateways: [], acls: [], securityGroups: [], instances: [], loadBalancers: [], warnings: [] };
}
