/**
 * The host network section of `vigil scan ssh:` output (src/network/host/render.ts): rule
 * counts per firewall tool, the table section, the JSON field, formats left alone.
 */
import { describe, expect, it } from 'vitest';
import type { HostNetworkReport } from '../../src/network/host/collect.js';
import { firewallRuleCount, formatHostNetwork, hostNetworkSummary, withHostNetwork } from '../../src/network/host/render.js';

const nft = JSON.stringify({
  nftables: [
    { metainfo: { version: '1.0.6', json_schema_version: 1 } },
    { table: { family: 'inet', name: 'filter', handle: 1 } },
    { chain: { family: 'inet', table: 'filter', name: 'input', handle: 1, type: 'filter', hook: 'input', prio: 0, policy: 'drop' } },
    { rule: { family: 'inet', table: 'filter', chain: 'input', handle: 2, expr: [{ accept: null }] } },
    { rule: { family: 'inet', table: 'filter', chain: 'input', handle: 3, expr: [{ drop: null }] } },
  ],
});

const report: HostNetworkReport = {
  firewallId: 'h/firewall',
  listeners: [
    { protocol: 'udp', port: 53, address: '127.0.0.53', process: 'systemd-resolve', pid: 400 },
    { protocol: 'tcp', port: 443, address: '::' },
    { protocol: 'tcp', port: 22, address: '0.0.0.0', process: 'sshd', pid: 612 },
  ],
  interfaces: [
    { name: 'eth0', addresses: ['10.0.0.5/24', 'fe80::1/64'] },
    { name: 'wg0', addresses: [] },
  ],
  firewall: { tool: 'nftables', raw: nft },
};

describe('host network rendering', () => {
  it.each([
    ['nftables rules', { tool: 'nftables', raw: nft }, 2],
    ['an empty nftables ruleset', { tool: 'nftables', raw: '{"nftables":[{"metainfo":{}}]}' }, 0],
    ['nft output that is not JSON', { tool: 'nftables', raw: 'Error: no such file' }, undefined],
    ['nft JSON without the list', { tool: 'nftables', raw: '{}' }, undefined],
    ['iptables-save rules', { tool: 'iptables', raw: '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -j DROP\nCOMMIT\n' }, 2],
    ['no firewall', { tool: 'none', raw: '' }, 0],
  ] as const)('counts %s', (_name, firewall, count) => {
    expect(firewallRuleCount(firewall)).toBe(count);
  });

  it('draws the section: sockets by protocol and port, unnamed processes as ?, interfaces, the firewall', () => {
    expect(formatHostNetwork(report)).toEqual([
      'Host network',
      '  Listening sockets (3)',
      '    PROTOCOL  ADDRESS     PORT  PROCESS',
      '    tcp       0.0.0.0     22    sshd (612)',
      '    tcp       ::          443   ?',
      '    udp       127.0.0.53  53    systemd-resolve (400)',
      '  Interfaces (2)',
      '    eth0  10.0.0.5/24, fe80::1/64',
      '    wg0  (no address)',
      '  Firewall: nftables, 2 rules',
    ]);
    expect(formatHostNetwork({ ...report, listeners: [], interfaces: [], firewall: { tool: 'none', raw: '' } })).toEqual([
      'Host network',
      '  Listening sockets (0)',
      '  Interfaces (0)',
      '  Firewall: none found (neither nft nor iptables-save answered)',
    ]);
    expect(formatHostNetwork({ ...report, firewall: { tool: 'nftables', raw: 'oops' } }).at(-1)).toBe('  Firewall: nftables, rules unreadable');
  });

  it('puts the section before the table summary line and the field into the JSON; other formats are unchanged', () => {
    const table = 'host-1 (debian 12)\n\nNo vulnerabilities found.\n\n0 findings, 0 suppressed, 1 package scanned\n';
    expect(withHostNetwork('table', table, report)).toBe(
      ['host-1 (debian 12)', '', 'No vulnerabilities found.', '', ...formatHostNetwork(report), '', '0 findings, 0 suppressed, 1 package scanned', ''].join('\n'),
    );
    const json = JSON.parse(withHostNetwork('json', `${JSON.stringify({ schemaVersion: 1, findings: [] }, null, 2)}\n`, report)) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual(['schemaVersion', 'findings', 'hostNetwork']);
    expect(json.hostNetwork).toEqual(hostNetworkSummary(report));
    expect(hostNetworkSummary(report).firewall).toEqual({ tool: 'nftables', rules: 2 });
    expect(hostNetworkSummary(report).listeners.map((l) => `${l.protocol}/${l.port}`)).toEqual(['tcp/22', 'tcp/443', 'udp/53']);
    expect(withHostNetwork('sarif', '{"runs":[]}\n', report)).toBe('{"runs":[]}\n');
  });
});
