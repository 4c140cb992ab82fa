/**
 * Ground truth by experiment: a real network in namespaces — an "internet" host, a router doing
 * 1:1 NAT and port forwards (the internet gateway), a stateless ACL on the router's public
 * subnet, stateful "security groups" and a host firewall in nftables on each instance, and
 * real listeners (sshd, TCP greeters, UDP echo) — described by a YAML topology. What the
 * analysis reports must be exactly what TCP connects and UDP probes from the internet reach.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze, type Exposure } from '../../src/network/analyze.js';
import type { HostNetworkReport } from '../../src/network/host/collect.js';
import { importYaml } from '../../src/network/yaml/import.js';
import { NetnsLab, probeFrom, type Probe } from '../helpers/netns.js';

const TOPOLOGY = `
networks:
  - { id: lab, cidrs: [10.0.0.0/16] }
gateways:
  - id: rtr
    type: Vigil::Router
    networks: [lab]
    publicAddress: 203.0.113.1
    portForwards:
      - { protocol: tcp, port: 2222, to: nas, toPort: 22 }
      - { protocol: udp, port: 5001, to: nas }
      - { protocol: tcp, port: 8081, to: nas }     # the public ACL denies 8081
routeTables:
  - id: public-routes
    network: lab
    routes:
      - { destination: 10.0.0.0/16, target: local }
      - { destination: 0.0.0.0/0, target: rtr }
  - id: private-routes                           # no way out: replies from db go nowhere
    network: lab
    main: true
    routes:
      - { destination: 10.0.0.0/16, target: local }
subnets:
  - { id: public, network: lab, cidrs: [10.0.1.0/24], routeTable: public-routes, acl: public-acl }
  - { id: private, network: lab, cidrs: [10.0.2.0/24] }
acls:
  - id: public-acl
    inbound:
      - { rule: 100, protocol: tcp, source: 0.0.0.0/0, action: allow }
      - { rule: 90, protocol: tcp, ports: 8081, source: 0.0.0.0/0, action: deny }
      - { rule: 110, protocol: udp, ports: 5000-5010, source: 0.0.0.0/0, action: allow }
    outbound:
      - { rule: 100, protocol: tcp, ports: 1024-65535, destination: 0.0.0.0/0, action: allow }
      - { rule: 110, protocol: udp, destination: 0.0.0.0/0, action: allow }
securityGroups:
  - id: sg-web
    inbound:
      - { protocol: tcp, ports: 22, source: 0.0.0.0/0 }
      - { protocol: tcp, ports: 8080-8082, source: 0.0.0.0/0 }
      - { protocol: udp, ports: 5000, source: 0.0.0.0/0 }
      - { protocol: tcp, ports: 9200, source: 10.0.0.0/16 }
  - id: sg-db
    inbound:
      - { protocol: tcp, ports: 5432, source: 0.0.0.0/0 }
  - id: sg-nas
    inbound:
      - { protocol: tcp, ports: 22, source: 0.0.0.0/0 }
      - { protocol: tcp, ports: 139, source: 0.0.0.0/0 }
      - { protocol: tcp, ports: 8081, source: 0.0.0.0/0 }
      - { protocol: udp, ports: 5001, source: 0.0.0.0/0 }
instances:
  - id: web
    interfaces:
      - { id: web-eth0, subnet: public, privateAddresses: [10.0.1.10], publicAddresses: [203.0.113.10], securityGroups: [sg-web] }
    host:
      firewall:
        defaultAction: allow
        rules:
          - { protocol: tcp, ports: 8082, action: deny }
      listeners:
        - { protocol: tcp, port: 22, process: sshd }
        - { protocol: tcp, port: 8080, process: node }
        - { protocol: tcp, port: 8081, process: node }
        - { protocol: tcp, port: 8082, process: node }
        - { protocol: tcp, port: 9200, process: node }
        - { protocol: udp, port: 5000, process: node }
  - id: db
    interfaces:
      - { id: db-eth0, subnet: private, privateAddresses: [10.0.2.20], publicAddresses: [203.0.113.20], securityGroups: [sg-db] }
  - id: nas
    interfaces:
      - { id: nas-eth0, subnet: public, privateAddresses: [10.0.1.30], securityGroups: [sg-nas] }
`;

/** The same network in nftables: the router's NAT and ACL, each instance's group and firewall. */
const ROUTER_NFT = `
table ip nat {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    ip daddr 203.0.113.10 dnat to 10.0.1.10
    ip daddr 203.0.113.20 dnat to 10.0.2.20
    ip daddr 203.0.113.1 tcp dport 2222 dnat to 10.0.1.30:22
    ip daddr 203.0.113.1 udp dport 5001 dnat to 10.0.1.30:5001
    ip daddr 203.0.113.1 tcp dport 8081 dnat to 10.0.1.30:8081
  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    ip saddr 10.0.1.10 oifname "up0" snat to 203.0.113.10
    ip saddr 10.0.2.20 oifname "up0" snat to 203.0.113.20
  }
}
table ip acl {
  chain forward {
    type filter hook forward priority filter; policy drop;
    oifname "br0" jump public_in
    iifname "br0" jump public_out
    oifname "priv0" accept
    iifname "priv0" accept
  }
  # Stateless, like a network ACL: no connection tracking, rules in rule-number order.
  chain public_in {
    tcp dport 8081 drop
    meta l4proto tcp accept
    udp dport 5000-5010 accept
    drop
  }
  chain public_out {
    tcp dport 1024-65535 accept
    meta l4proto udp accept
    drop
  }
}`;

/** A security group: stateful, allow rules only, everything else dropped. */
const group = (rules: string) => `
table inet sg {
  chain input {
    type filter hook input priority filter; policy drop;
    ct state established,related accept
    iif lo accept
${rules}
  }
}`;

const WEB_NFT =
  group(`    tcp dport 22 accept
    tcp dport 8080-8082 accept
    udp dport 5000 accept
    ip saddr 10.0.0.0/16 tcp dport 9200 accept`) +
  `
table inet hostfw {
  chain input {
    type filter hook input priority filter + 10; policy accept;
    tcp dport 8082 drop
  }
}`;
const DB_NFT = group('    tcp dport 5432 accept');
const NAS_NFT = group(`    tcp dport { 22, 139, 8081 } accept
    udp dport 5001 accept`);

const key = (protocol: string, address: string, port: number) => `${protocol} ${address}:${port}`;

describe('reachability analysis against a real network', () => {
  const lab = new NetnsLab();
  let exposures: Exposure[] = [];

  /** Runs `vigil network collect` inside namespace `short`, as on that host. */
  const collectIn = (short: string): string => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    return execFileSync('ip', ['netns', 'exec', lab.ns(short), process.execPath, '--import', 'tsx', 'src/cli/main.ts', 'network', 'collect', '--firewall-id', `${short}/nftables`], { cwd: root, encoding: 'utf8' });
  };

  beforeAll(async () => {
    for (const ns of ['inet', 'rtr', 'web', 'db', 'nas']) lab.addNamespace(ns);
    lab.link('inet', 'eth0', 'rtr', 'up0');
    lab.exec('inet', 'ip', 'addr', 'add', '198.19.0.2/24', 'dev', 'eth0');
    lab.exec('inet', 'ip', 'route', 'add', 'default', 'via', '198.19.0.1');
    lab.exec('rtr', 'ip', 'addr', 'add', '198.19.0.1/24', 'dev', 'up0');
    lab.exec('rtr', 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
    // The public subnet is a bridge on the router; the private one a single link.
    lab.exec('rtr', 'ip', 'link', 'add', 'br0', 'type', 'bridge');
    lab.exec('rtr', 'ip', 'addr', 'add', '10.0.1.1/24', 'dev', 'br0');
    lab.exec('rtr', 'ip', 'link', 'set', 'br0', 'up');
    for (const [ns, address] of [
      ['web', '10.0.1.10'],
      ['nas', '10.0.1.30'],
    ] as const) {
      lab.link(ns, 'eth0', 'rtr', `p${ns}`);
      lab.exec('rtr', 'ip', 'link', 'set', `p${ns}`, 'master', 'br0');
      lab.exec(ns, 'ip', 'addr', 'add', `${address}/24`, 'dev', 'eth0');
      lab.exec(ns, 'ip', 'route', 'add', 'default', 'via', '10.0.1.1');
    }
    lab.link('db', 'eth0', 'rtr', 'priv0');
    lab.exec('rtr', 'ip', 'addr', 'add', '10.0.2.1/24', 'dev', 'priv0');
    lab.exec('db', 'ip', 'addr', 'add', '10.0.2.20/24', 'dev', 'eth0'); // and no default route
    lab.nft('rtr', ROUTER_NFT);
    lab.nft('web', WEB_NFT);
    lab.nft('db', DB_NFT);
    lab.nft('nas', NAS_NFT);
    await lab.sshd('web');
    await lab.sshd('nas');
    await lab.listeners('web', [8080, 8081, 8082, 9200], [5000]);
    await lab.listeners('db', [5432], []);
    await lab.listeners('nas', [139, 8081], [5001]);

    const dir = join(lab.dir, 'topology');
    mkdirSync(dir);
    writeFileSync(join(dir, 'lab.yaml'), TOPOLOGY);
    const result = analyze(importYaml(dir));
    expect(result.warnings).toEqual([]);
    exposures = result.exposures;
  });
  afterAll(() => lab.stop());

  it('reports what it should', () => {
    expect(exposures.map((e) => `${e.resourceId} ${e.protocol} ${e.openPortRange.begin}-${e.openPortRange.end} at ${e.publicAddresses.join(',')}:${e.publicPortRange.begin} [${e.listeners?.map((l) => l.process).join(',') ?? '?'}]`)).toEqual([
      'nas tcp 22-22 at 203.0.113.1:2222 [?]',
      'nas udp 5001-5001 at 203.0.113.1:5001 [?]',
      'web tcp 22-22 at 203.0.113.10:22 [sshd]',
      'web tcp 8080-8080 at 203.0.113.10:8080 [node]',
      'web udp 5000-5000 at 203.0.113.10:5000 [node]',
    ]);
  });

  it('reports exactly what the internet reaches', async () => {
    // Every listener's port and every forwarded port at every public address, a port nothing
    // listens on, and every port of every reported range.
    const probes = new Map<string, Probe>();
    const add = (p: Probe) => probes.set(key(p.protocol, p.address, p.port), p);
    for (const address of ['203.0.113.10', '203.0.113.20', '203.0.113.1']) {
      for (const port of [22, 23, 139, 2222, 5432, 8080, 8081, 8082, 9200]) add({ protocol: 'tcp', address, port });
      for (const port of [5000, 5001]) add({ protocol: 'udp', address, port });
    }
    const reported = new Set<string>();
    for (const e of exposures) {
      for (const address of e.publicAddresses) {
        for (let port = e.publicPortRange.begin; port <= e.publicPortRange.end; port++) {
          const protocols = e.protocol === 'all' ? (['tcp', 'udp'] as const) : [e.protocol];
          for (const protocol of protocols) {
            add({ protocol, address, port });
            reported.add(key(protocol, address, port));
          }
        }
      }
    }
    const list = [...probes.values()];
    const results = await probeFrom(lab, 'inet', list);
    const reached = new Set(list.filter((_, i) => results[i] !== 'silent').map((p) => key(p.protocol, p.address, p.port)));
    expect([...reached].sort()).toEqual([...reported].sort());
    // Each reported port has its listener answering (a connection, an echo), not just a refusal.
    expect(results.filter((r) => r === 'open')).toHaveLength(reported.size);
  });

  it('reaches the same with `vigil network collect` reports of each host (sockets, nftables rules), and names the processes', () => {
    const reports = join(lab.dir, 'reported');
    mkdirSync(reports);
    for (const short of ['web', 'db', 'nas']) writeFileSync(join(reports, `${short}.json`), collectIn(short));
    const web = JSON.parse(readFileSync(join(reports, 'web.json'), 'utf8')) as HostNetworkReport;
    expect(web.firewall.tool).toBe('nftables');
    // (and the IPv6 link-local address the kernel gave the interface)
    expect(web.interfaces.map((i) => [i.name, i.addresses.filter((a) => !a.startsWith('fe80:'))])).toEqual([['eth0', ['10.0.1.10/24']]]);
    expect(web.listeners.map((l) => `${l.protocol}/${l.port} ${l.address} ${l.process}`)).toEqual([
      'tcp/22 0.0.0.0 sshd',
      'tcp/8080 0.0.0.0 node',
      'tcp/8081 0.0.0.0 node',
      'tcp/8082 0.0.0.0 node',
      'tcp/9200 0.0.0.0 node',
      'udp/5000 0.0.0.0 node',
    ]);
    expect(web.listeners.every((l) => typeof l.pid === 'number' && l.pid > 1)).toBe(true);
    // The typed host facts give way to the reports: web's groups and host firewall are both
    // nftables tables there, so the host reports both as its firewall.
    const yaml = TOPOLOGY.replace(/ {4}host:\n(?: {6}.*\n)+/, '    hostReport: web.json\n').replace('  - id: db\n', '  - id: db\n    hostReport: db.json\n').replace('  - id: nas\n', '  - id: nas\n    hostReport: nas.json\n');
    expect(yaml.match(/hostReport/g)).toHaveLength(3);
    writeFileSync(join(reports, 'lab.yaml'), yaml);
    const result = analyze(importYaml(reports));
    expect(result.warnings).toEqual([]);
    const collected = result.exposures;
    const brief = (e: Exposure) => `${e.resourceId} ${e.protocol} ${e.openPortRange.begin} ${e.publicPortRange.begin}`;
    expect(collected.map(brief)).toEqual(exposures.map(brief));
    expect(collected.map((e) => e.listeners?.map((l) => l.process).join(','))).toEqual(['sshd', 'node', 'sshd', 'node', 'node']);
    expect(collected[0]!.networkPath.steps.map((s) => s.componentId)).toEqual(['rtr', 'public-routes', 'public-acl', 'sg-nas', 'nas/nftables', 'nas-eth0']);
  });
});
