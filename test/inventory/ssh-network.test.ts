/**
 * `vigil scan ssh:…` reads the host's network report over the same SSH session from a real
 * OpenSSH server in its own network namespace: the report must name the sshd itself
 * listening on its port and the namespace's interface. A local scan prints it (table
 * section, JSON `hostNetwork`), `--server` also files it, and `--no-network` skips it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanTarget } from '../../src/inventory/index.js';
import { collectHostNetwork, type HostNetworkReport } from '../../src/network/host/collect.js';
import { parseIpAddrJson } from '../../src/network/host/reader.js';
import { runVigil } from '../helpers/cli.js';
import { dialectCases } from '../helpers/postgres.js';
import { startSshd, type TestSshd } from '../helpers/sshd.js';
import { writeAdvisoryDb } from '../helpers/tiny-advisory-db.js';
import { startTestApp, type TestApp } from '../server/harness.js';

describe.each(dialectCases().filter((d) => d.name === 'sqlite'))('network report of ssh: targets on $name', (dialect) => {
  let sshd: TestSshd;
  let t: TestApp;
  let url: string;
  let work: string;
  let target: string;

  beforeAll(async () => {
    [sshd, t] = await Promise.all([startSshd(), startTestApp(dialect)]);
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const addr = t.app.server.address();
    url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    work = mkdtempSync(join(tmpdir(), 'vigil-ssh-net-'));
    mkdirSync(join(work, 'etc'));
    writeFileSync(join(work, 'etc', 'os-release'), 'ID=debian\nVERSION_ID="12"\n');
    target = `ssh:root@${sshd.host}${work}`;
  }, 600_000);
  afterAll(async () => {
    await sshd?.stop();
    await t?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const sshFlags = () => ['--ssh-key', sshd.clientKey, '--ssh-known-hosts', sshd.knownHosts];

  async function storedReport(name: string): Promise<HostNetworkReport | undefined> {
    const res = await t.call(t.keys.acme.viewer, { method: 'GET', url: '/api/v1/resources?resourceType=HOST' });
    const host = (res.json().resources as { id: string; name: string }[]).find((r) => r.name === name);
    expect(host, `HOST ${name}`).toBeDefined();
    const row = await t.db.kysely.selectFrom('network_host_reports').selectAll().where('resource_id', '=', host!.id).executeTakeFirst();
    return row ? (JSON.parse(row.report) as HostNetworkReport) : undefined;
  }

  it('reads the listeners and interfaces of the host over the scan session', async () => {
    let report: HostNetworkReport | undefined;
    await scanTarget(target, { ssh: { privateKeyPath: sshd.clientKey, knownHostsPath: sshd.knownHosts }, withHost: async (host) => void (report = await collectHostNetwork({ host, firewallId: 'h/firewall' })) });
    expect(report!.listeners).toContainEqual(expect.objectContaining({ protocol: 'tcp', port: sshd.port, address: sshd.host, process: 'sshd' }));
    expect(report!.listeners.find((l) => l.port === sshd.port)!.pid).toBeGreaterThan(1);
    // Only the namespace's own interface (its address and IPv6 link-local): the scanning machine's are not there.
    expect(report!.interfaces).toHaveLength(1);
    const [own, ...others] = report!.interfaces[0]!.addresses;
    expect(own).toBe(`${sshd.host}/30`);
    for (const a of others) expect(a).toMatch(/^fe80:/);
    expect(['nftables', 'iptables', 'none']).toContain(report!.firewall.tool);
  });

  it('prints the report of a local scan: a table section and the JSON hostNetwork field, unless --no-network', async () => {
    const vdir = mkdtempSync(join(tmpdir(), 'vigil-ssh-net-db-'));
    const vulndb = writeAdvisoryDb(join(vdir, 'vulndb.sqlite'), []);
    const local = ['--vulndb', vulndb, '--offline'];
    try {
      const table = await runVigil(['scan', target, ...sshFlags(), ...local]);
      expect(table.code, table.stderr).toBe(0);
      const section = table.stdout.slice(table.stdout.indexOf('\nHost network\n'));
      expect(section).toMatch(/^\nHost network\n {2}Listening sockets \(\d+\)\n {4}PROTOCOL +ADDRESS +PORT +PROCESS\n/);
      expect(section).toMatch(new RegExp(`\n {4}tcp +${sshd.host.replace(/\./g, '\\.')} +${sshd.port} +sshd \\(\\d+\\)\n`));
      expect(section).toContain(`  Interfaces (1)\n    `);
      expect(section).toContain(` ${sshd.host}/30`);
      expect(section).toMatch(/\n {2}Firewall: (nftables, \d+ rules?|iptables, \d+ rules?|none found \(neither nft nor iptables-save answered\))\n\n/);
      // The summary line stays last.
      expect(table.stdout.trimEnd().split('\n').at(-1)).toMatch(/^\d+ findings?, \d+ suppressed, \d+ packages? scanned/);

      const json = await runVigil(['scan', target, ...sshFlags(), ...local, '--format', 'json']);
      expect(json.code, json.stderr).toBe(0);
      const doc = JSON.parse(json.stdout) as { hostNetwork: { listeners: { port: number; process?: string }[]; interfaces: { addresses: string[] }[]; firewall: { tool: string; rules?: number } } };
      expect(doc.hostNetwork.listeners).toContainEqual(expect.objectContaining({ protocol: 'tcp', port: sshd.port, address: sshd.host, process: 'sshd' }));
      expect(doc.hostNetwork.interfaces).toHaveLength(1);
      expect(doc.hostNetwork.interfaces[0]!.addresses[0]).toBe(`${sshd.host}/30`);
      expect(doc.hostNetwork.firewall.rules).toEqual(expect.any(Number));
      expect(doc.hostNetwork.firewall).not.toHaveProperty('raw');

      const off = await runVigil(['scan', target, ...sshFlags(), ...local, '--format', 'json', '--no-network']);
      expect(off.code, off.stderr).toBe(0);
      expect(JSON.parse(off.stdout)).not.toHaveProperty('hostNetwork');
      const offTable = await runVigil(['scan', target, ...sshFlags(), ...local, '--no-network']);
      expect(offTable.stdout).not.toContain('Host network');
    } finally {
      rmSync(vdir, { recursive: true, force: true });
    }
  });

  it('files the report with the HOST resource of `vigil scan --server`, unless --no-network', async () => {
    const res = await runVigil(['scan', target, ...sshFlags(), '--server', url, '--name', 'ssh-host-1', '--format', 'json'], { env: { VIGIL_API_KEY: t.keys.acme.scanner } });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toMatch(/vigil: network report filed for ssh-host-1: \d+ listening sockets?; reachability analysis \S+ queued\n/);
    const report = await storedReport('ssh-host-1');
    expect(report!.firewallId).toBe('ssh-host-1/firewall');
    expect(report!.listeners).toContainEqual(expect.objectContaining({ protocol: 'tcp', port: sshd.port, address: sshd.host, process: 'sshd' }));

    const off = await runVigil(['scan', target, ...sshFlags(), '--server', url, '--name', 'ssh-host-2', '--no-network', '--format', 'json'], { env: { VIGIL_API_KEY: t.keys.acme.scanner } });
    expect(off.code, off.stderr).toBe(0);
    expect(off.stderr).not.toContain('network report');
    expect(await storedReport('ssh-host-2')).toBeUndefined();
  });
});

describe('parseIpAddrJson', () => {
  it('keeps addresses with their prefix, leaves out loopback, and names bad input', () => {
    const text = JSON.stringify([
      { ifname: 'lo', flags: ['LOOPBACK', 'UP'], addr_info: [{ local: '127.0.0.1', prefixlen: 8 }] },
      { ifname: 'eth0', flags: ['UP'], addr_info: [{ local: '10.0.0.5', prefixlen: 24 }, { local: 'fe80::1', prefixlen: 64 }] },
      { ifname: 'down0', flags: [], addr_info: [] },
    ]);
    expect(parseIpAddrJson(text)).toEqual([{ name: 'eth0', addresses: ['10.0.0.5/24', 'fe80::1/64'] }]);
    expect(() => parseIpAddrJson('{}')).toThrow(/ip -j addr: expected a JSON array/);
  });
});
