import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { analyze, type Exposure } from '../../src/network/analyze.js';
import { importYaml } from '../../src/network/yaml/import.js';

const fixture = join(import.meta.dirname, 'fixtures/yaml/lab');
const brief = (e: Exposure) => `${e.resourceId} ${e.protocol} ${e.openPortRange.begin}-${e.openPortRange.end} (public ${e.publicPortRange.begin}) via ${e.networkPath.steps.map((s) => s.componentId).join(',')}`;

const temps: string[] = [];
afterEach(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});
/** A directory holding one YAML file with `text`. */
function topology(text: string, name = 'lab.yaml'): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-yaml-'));
  temps.push(dir);
  writeFileSync(join(dir, name), text);
  return dir;
}

describe('YAML importer', () => {
  it('reads a home router with port forwards and a firewalled rack, merged from two files', () => {
    const { exposures, warnings } = analyze(importYaml(fixture));
    expect(exposures.map(brief)).toEqual([
      'nas tcp 22-22 (public 2222) via router,home-routes,nas/firewall,nas/eth0',
      'nas udp 51820-51820 (public 51820) via router,home-routes,nas/firewall,nas/eth0',
      'rack-1 tcp 22-22 (public 22) via upstream,rack-routes,rack-firewall,app,rack-1-eth0',
      'rack-1 tcp 80-80 (public 80) via upstream,rack-routes,rack-firewall,app,rack-1-eth0',
      'rack-1 tcp 443-443 (public 443) via upstream,rack-routes,rack-firewall,app,rack-1-eth0',
      'web tcp 443-443 (public 443) via router,home-routes,web/eth0',
    ]);
    expect(warnings).toEqual([]);
    expect(exposures[0]).toMatchObject({
      publicAddresses: ['203.0.113.1'],
      listeners: [{ protocol: 'tcp', port: 22, address: '0.0.0.0', process: 'sshd', pid: 612 }],
      networkPath: { steps: [{ componentId: 'router', componentType: 'Vigil::Router' }, { componentType: 'Vigil::RouteTable' }, { componentType: 'Vigil::HostFirewall' }, { componentType: 'Vigil::NetworkInterface' }] },
    });
    expect(exposures[1]!.listeners).toEqual([{ protocol: 'udp', port: 51820, address: '::' }]);
    expect(exposures[5]!.listeners).toBeUndefined(); // web reported nothing about itself
  });

  it('needs the other file for what one refers to', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-yaml-'));
    temps.push(dir);
    cpSync(join(fixture, 'rack.yaml'), join(dir, 'rack.yaml'));
    writeFileSync(join(dir, 'extra.yml'), 'instances:\n  - id: stray\n    interfaces:\n      - subnet: lan\n');
    expect(() => importYaml(dir)).toThrow('extra.yml: instances[0].interfaces[0].subnet: unknown subnet "lan"');
  });

  it.each([
    ['not YAML', 'networks: [', /^lab\.yaml: not YAML: /],
    ['a misspelt key', 'instances:\n  - id: a\n    interfaces:\n      - subnet: s\n        pubicAddresses: [1.2.3.4]\n', /^lab\.yaml: instances\[0\]\.interfaces\[0\]: Unrecognized key: "pubicAddresses"/],
    ['a bad address', 'networks:\n  - id: n\n    cidrs: [10.0.0.0/40]\n', 'lab.yaml: networks[0].cidrs[0]: not an IP address or CIDR block: "10.0.0.0/40"'],
    ['a bad port range', 'securityGroups:\n  - id: g\n    inbound:\n      - { protocol: tcp, ports: 90-80, source: 0.0.0.0/0 }\n', 'lab.yaml: securityGroups[0].inbound[0].ports: port range ends before it begins: "90-80"'],
    ['a group rule with two sources', 'securityGroups:\n  - id: g\n    inbound:\n      - { source: 0.0.0.0/0, group: g }\n', 'lab.yaml: securityGroups[0].inbound[0]: name exactly one of source (a CIDR block) and group'],
    ['an inbound rule with a destination', 'acls:\n  - id: a\n    inbound:\n      - { destination: 0.0.0.0/0, action: allow }\n', 'lab.yaml: acls[0].inbound[0].destination: inbound rules name a source, not a destination'],
    ['a duplicate id', 'networks:\n  - { id: n }\n  - { id: n }\n', 'lab.yaml: networks[1].id: network "n" is already defined'],
    ['a forward to nowhere', 'networks: [{ id: n }]\ngateways:\n  - { id: g, networks: [n], portForwards: [{ protocol: tcp, port: 1, to: ghost }] }\n', 'lab.yaml: gateways[0].portForwards[0].to: unknown instance "ghost"'],
    ['a wrong type', 'instances:\n  - id: a\n    state: 3\n', /^lab\.yaml: instances\[0\]\.state: /],
    ['a missing host report', 'instances:\n  - id: a\n    hostReport: a.json\n', /^lab\.yaml: instances\[0\]\.hostReport: cannot read a\.json: ENOENT/],
    ['host facts given twice', 'instances:\n  - id: a\n    hostReport: a.json\n    host: {}\n', 'lab.yaml: instances[0].hostReport: name one of host and hostReport'],
  ])('names the file and field of %s', (_name, text, message) => {
    expect(() => importYaml(topology(text))).toThrow(message);
  });

  it('reads host reports beside the topology, naming the report in its errors', () => {
    const dir = topology('instances:\n  - id: a\n    hostReport: a.json\n');
    const report = { firewallId: 'a/fw', listeners: [{ protocol: 'tcp', port: 22, address: '0.0.0.0', process: 'sshd' }], interfaces: [], firewall: { tool: 'iptables', raw: '*filter\nCOMMIT\n' } };
    writeFileSync(join(dir, 'a.json'), JSON.stringify(report));
    const t = importYaml(dir);
    expect(t.instances[0]!.host).toEqual({ listeners: report.listeners });
    expect(t.warnings).toEqual(['a: iptables rules are collected as text but not modelled; the host firewall is not applied']);
    writeFileSync(join(dir, 'a.json'), JSON.stringify({ ...report, listeners: [{ protocol: 'sctp', port: 1, address: '::' }] }));
    expect(() => importYaml(dir)).toThrow(/^a\.json: listeners\[0\]\.protocol: /);
  });

  it('refuses a directory without YAML', () => {
    const dir = topology('{}', 'notes.txt');
    expect(() => importYaml(dir)).toThrow(`${dir}: no *.yaml or *.yml topology file`);
  });
});

describe('docs/network.md', () => {
  it('shows a YAML example that imports, and that reaches what its comments say', () => {
    const doc = readFileSync(join(import.meta.dirname, '../../docs/network.md'), 'utf8');
    const example = /```yaml\n([\s\S]*?)```/.exec(doc)![1]!;
    const { exposures } = analyze(importYaml(topology(example)));
    expect(exposures.map(brief)).toEqual([
      'nas tcp 22-22 (public 2222) via router,home-routes,lan-firewall,nas/firewall,nas-eth0',
      'nas tcp 8443-8443 (public 443) via router,home-routes,lan-firewall,front,lan-firewall,nas/firewall,nas-eth0',
    ]);
  });
});
