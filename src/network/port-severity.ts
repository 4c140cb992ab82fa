/**
 * How bad it is that the internet reaches a port: a table of recognised ports (remote
 * administration, databases, caches, message queues, container and cluster APIs, file sharing,
 * web…) with a severity each, for the findings raised from exposures. Data, not logic: a port
 * is one line here, and docs/network.md prints the same table.
 */
import type { Severity } from '../matching/types.js';
import { SEVERITY_ORDER } from '../scoring/severity.js';
import type { ExposedProtocol } from './model.js';
import { portSet, subtract, type PortRange } from './ports.js';

/** Why a port matters. */
export type PortCategory =
  | 'remote-administration'
  | 'database'
  | 'cache'
  | 'message-queue'
  | 'container-api'
  | 'cluster-api'
  | 'file-sharing'
  | 'directory'
  | 'mail'
  | 'dns'
  | 'vpn'
  | 'web';

/** One recognised service. */
export interface RecognisedPort {
  protocol: 'tcp' | 'udp';
  /** A port, or an inclusive range of ports. */
  ports: number | [number, number];
  service: string;
  category: PortCategory;
  severity: Severity;
}

const tcp = (ports: RecognisedPort['ports'], service: string, category: PortCategory, severity: Severity): RecognisedPort => ({ protocol: 'tcp', ports, service, category, severity });
const udp = (ports: RecognisedPort['ports'], service: string, category: PortCategory, severity: Severity): RecognisedPort => ({ protocol: 'udp', ports, service, category, severity });

/**
 * The table. Remote administration, data stores and control planes reached from the internet
 * are HIGH (an unauthenticated Docker API is CRITICAL: it is root on the host); services meant
 * to face the internet (web, VPN endpoints) are LOW or INFORMATIONAL.
 */
export const RECOGNISED_PORTS: readonly RecognisedPort[] = [
  tcp(22, 'SSH', 'remote-administration', 'HIGH'),
  tcp(23, 'Telnet', 'remote-administration', 'HIGH'),
  tcp([512, 514], 'rexec/rlogin/rsh', 'remote-administration', 'HIGH'),
  tcp(3389, 'RDP', 'remote-administration', 'HIGH'),
  udp(3389, 'RDP', 'remote-administration', 'HIGH'),
  tcp([5900, 5903], 'VNC', 'remote-administration', 'HIGH'),
  tcp([5985, 5986], 'WinRM', 'remote-administration', 'HIGH'),
  tcp([6000, 6063], 'X11', 'remote-administration', 'HIGH'),
  udp(623, 'IPMI', 'remote-administration', 'HIGH'),
  udp(161, 'SNMP', 'remote-administration', 'MEDIUM'),
  tcp(1433, 'Microsoft SQL Server', 'database', 'HIGH'),
  udp(1434, 'Microsoft SQL Server browser', 'database', 'HIGH'),
  tcp(1521, 'Oracle Database', 'database', 'HIGH'),
  tcp(3306, 'MySQL / MariaDB', 'database', 'HIGH'),
  tcp(5432, 'PostgreSQL', 'database', 'HIGH'),
  tcp(5984, 'CouchDB', 'database', 'HIGH'),
  tcp([7000, 7001], 'Cassandra inter-node', 'database', 'HIGH'),
  tcp(7474, 'Neo4j HTTP', 'database', 'HIGH'),
  tcp(7687, 'Neo4j Bolt', 'database', 'HIGH'),
  tcp(8086, 'InfluxDB', 'database', 'HIGH'),
  tcp(8123, 'ClickHouse HTTP', 'database', 'HIGH'),
  tcp(9042, 'Cassandra CQL', 'database', 'HIGH'),
  tcp(9200, 'Elasticsearch / OpenSearch', 'database', 'HIGH'),
  tcp(9300, 'Elasticsearch transport', 'database', 'HIGH'),
  tcp([27017, 27019], 'MongoDB', 'database', 'HIGH'),
  tcp(6379, 'Redis', 'cache', 'HIGH'),
  tcp(11211, 'Memcached', 'cache', 'HIGH'),
  udp(11211, 'Memcached', 'cache', 'HIGH'),
  tcp(1883, 'MQTT', 'message-queue', 'HIGH'),
  tcp(2181, 'ZooKeeper', 'message-queue', 'HIGH'),
  tcp(4222, 'NATS', 'message-queue', 'HIGH'),
  tcp(5672, 'AMQP (RabbitMQ)', 'message-queue', 'HIGH'),
  tcp(9092, 'Kafka', 'message-queue', 'HIGH'),
  tcp(15672, 'RabbitMQ management', 'message-queue', 'HIGH'),
  tcp(61616, 'ActiveMQ', 'message-queue', 'HIGH'),
  tcp(2375, 'Docker API (plain text)', 'container-api', 'CRITICAL'),
  tcp(2376, 'Docker API (TLS)', 'container-api', 'HIGH'),
  tcp([2379, 2380], 'etcd', 'cluster-api', 'HIGH'),
  tcp(4646, 'Nomad API', 'cluster-api', 'HIGH'),
  tcp(6443, 'Kubernetes API', 'cluster-api', 'HIGH'),
  tcp(8500, 'Consul API', 'cluster-api', 'HIGH'),
  tcp(10250, 'kubelet API', 'cluster-api', 'HIGH'),
  tcp(445, 'SMB', 'file-sharing', 'HIGH'),
  tcp(139, 'NetBIOS session', 'file-sharing', 'HIGH'),
  udp([137, 138], 'NetBIOS', 'file-sharing', 'HIGH'),
  tcp(2049, 'NFS', 'file-sharing', 'HIGH'),
  tcp(111, 'rpcbind', 'file-sharing', 'MEDIUM'),
  udp(111, 'rpcbind', 'file-sharing', 'MEDIUM'),
  tcp(21, 'FTP', 'file-sharing', 'MEDIUM'),
  udp(69, 'TFTP', 'file-sharing', 'MEDIUM'),
  tcp(389, 'LDAP', 'directory', 'MEDIUM'),
  tcp(636, 'LDAPS', 'directory', 'MEDIUM'),
  tcp(88, 'Kerberos', 'directory', 'MEDIUM'),
  tcp(25, 'SMTP', 'mail', 'LOW'),
  tcp(465, 'SMTPS', 'mail', 'LOW'),
  tcp(587, 'SMTP submission', 'mail', 'LOW'),
  tcp(110, 'POP3', 'mail', 'LOW'),
  tcp(143, 'IMAP', 'mail', 'LOW'),
  tcp(993, 'IMAPS', 'mail', 'LOW'),
  tcp(995, 'POP3S', 'mail', 'LOW'),
  tcp(53, 'DNS', 'dns', 'LOW'),
  udp(53, 'DNS', 'dns', 'LOW'),
  udp(1194, 'OpenVPN', 'vpn', 'INFORMATIONAL'),
  udp(51820, 'WireGuard', 'vpn', 'INFORMATIONAL'),
  udp(500, 'IKE (IPsec)', 'vpn', 'INFORMATIONAL'),
  udp(4500, 'IPsec NAT traversal', 'vpn', 'INFORMATIONAL'),
  tcp(80, 'HTTP', 'web', 'INFORMATIONAL'),
  tcp(443, 'HTTPS', 'web', 'INFORMATIONAL'),
  udp(443, 'HTTP/3 (QUIC)', 'web', 'INFORMATIONAL'),
  tcp([8000, 8001], 'HTTP (alternate)', 'web', 'LOW'),
  tcp(8008, 'HTTP (alternate)', 'web', 'LOW'),
  tcp(8080, 'HTTP (alternate)', 'web', 'LOW'),
  tcp(8443, 'HTTPS (alternate)', 'web', 'LOW'),
  tcp(8888, 'HTTP (alternate)', 'web', 'LOW'),
];

/** What an open port nobody recognises rates: someone must look at it. */
export const UNRECOGNISED_SEVERITY: Severity = 'MEDIUM';

/** The severity of an exposed range and the recognised services inside it. */
export interface RangeSeverity {
  severity: Severity;
  /** Recognised services in the range, most severe first. */
  services: RecognisedPort[];
  /** Whether some port of the range is no recognised service (and so rates UNRECOGNISED_SEVERITY). */
  unrecognisedPorts: boolean;
}

function rank(s: Severity): number {
  return SEVERITY_ORDER.indexOf(s);
}

function rangeOf(p: RecognisedPort): PortRange {
  return typeof p.ports === 'number' ? { begin: p.ports, end: p.ports } : { begin: p.ports[0], end: p.ports[1] };
}

/**
 * Rates an exposed (protocol, range) by its worst port: each recognised service in it rates as
 * the table says, any other port as UNRECOGNISED_SEVERITY. `all` is TCP and UDP both.
 */
export function severityOfRange(protocol: ExposedProtocol, range: PortRange): RangeSeverity {
  const services: RecognisedPort[] = [];
  let unrecognisedPorts = false;
  for (const proto of protocol === 'all' ? (['tcp', 'udp'] as const) : [protocol]) {
    const mine = RECOGNISED_PORTS.filter((p) => {
      const r = rangeOf(p);
      return p.protocol === proto && r.begin <= range.end && range.begin <= r.end;
    });
    services.push(...mine);
    if (subtract([range], portSet(mine.map(rangeOf))).length > 0) unrecognisedPorts = true;
  }
  services.sort((a, b) => rank(a.severity) - rank(b.severity));
  const worst = services[0]?.severity;
  const severity = worst === undefined || (unrecognisedPorts && rank(UNRECOGNISED_SEVERITY) < rank(worst)) ? UNRECOGNISED_SEVERITY : worst;
  return { severity, services, unrecognisedPorts };
}
