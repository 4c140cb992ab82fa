/**
 * `vigil agent` as an operator runs it: against a real server on loopback, reporting the
 * debootstrapped Debian root filesystem (its dpkg database must arrive whole, as
 * `dpkg-query` lists it) and a host with an npm application (its findings must appear under
 * the HOST resource), once and on an interval until SIGTERM.
 */
import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/agent/host-agent.js';
import { runVigil } from '../helpers/cli.js';
import { debianRootfs } from '../helpers/images.js';
import { dialectCases } from '../helpers/postgres.js';
import { analysisOf } from '../network/server/analysis.js';
import { startTestApp, type TestApp } from '../server/harness.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** A lockfile of one installed npm package. */
function lockfile(name: string, version: string): string {
  return JSON.stringify({ name: 'app', version: '1.0.0', lockfileVersion: 3, packages: { '': { name: 'app' }, [`node_modules/${name}`]: { version } } });
}

interface StoredResource {
  id: string;
  type: string;
  name: string;
  tags: Record<string, string>;
  os?: string;
}

describe.each(dialectCases().filter((d) => d.name === 'sqlite'))('vigil agent on $name', (dialect) => {
  let t: TestApp;
  let url: string;
  let work: string;
  let appHost: string;
  let scoped: string;
  let mounted: string;
  let canMount = false;

  beforeAll(async () => {
    t = await startTestApp(dialect);
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const addr = t.app.server.address();
    url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    work = mkdtempSync(join(tmpdir(), 'vigil-agent-'));
    appHost = join(work, 'app-host');
    mkdirSync(join(appHost, 'etc'), { recursive: true });
    mkdirSync(join(appHost, 'srv', 'shop'), { recursive: true });
    writeFileSync(join(appHost, 'etc', 'os-release'), 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n');
    writeFileSync(
      join(appHost, 'srv', 'shop', 'package-lock.json'),
      JSON.stringify({ name: 'shop', version: '1.0.0', lockfileVersion: 3, packages: { '': { name: 'shop' }, 'node_modules/lodash': { version: '4.17.15' }, 'node_modules/minimist': { version: '1.2.0' } } }),
    );
    // A host with an application, a broken lockfile, and trees the default excludes leave out.
    scoped = join(work, 'scoped');
    const put = (path: string, text: string) => {
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(path, text);
    };
    put(join(scoped, 'etc', 'os-release'), 'ID=debian\nVERSION_ID="12"\n');
    put(join(scoped, 'opt', 'app', 'package-lock.json'), lockfile('lodash', '4.17.15'));
    put(join(scoped, 'srv', 'skipme', 'package-lock.json'), lockfile('minimist', '1.2.0'));
    put(join(scoped, 'srv', 'broken', 'package-lock.json'), 'not json at all');
    put(join(scoped, 'tmp', 'fixture', 'package-lock.json'), lockfile('minimist', '1.2.0'));
    put(join(scoped, 'root', '.cache', 'x', 'package-lock.json'), lockfile('minimist', '1.2.0'));
    // Mount points for the mount-policy test, filled inside a private mount namespace.
    mounted = join(work, 'mounted');
    put(join(mounted, 'etc', 'os-release'), 'ID=debian\nVERSION_ID="12"\n');
    put(join(mounted, 'opt', 'app', 'package-lock.json'), lockfile('lodash', '4.17.15'));
    mkdirSync(join(mounted, 'mnt', 'tmpfs'), { recursive: true });
    mkdirSync(join(mounted, 'mnt', 'bind'), { recursive: true });
    canMount = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', `mount -t tmpfs vigil-probe ${join(mounted, 'mnt', 'tmpfs')}`]).status === 0;
  }, 600_000);

  /**
   * Runs the CLI in a private mount namespace (root may create one) where a tmpfs holds an
   * application and the root's own /opt/app is bind-mounted again: the mounts exist only there.
   */
  function runInMountNamespace(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const script = [
      'set -e',
      'mount -t tmpfs vigil-test "$1/mnt/tmpfs"',
      'mkdir -p "$1/mnt/tmpfs/app"',
      'printf %s "$2" > "$1/mnt/tmpfs/app/package-lock.json"',
      'mount --bind "$1/opt/app" "$1/mnt/bind"',
      'shift 2',
      'exec "$@"',
    ].join('\n');
    const command = ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', mounted, lockfile('minimist', '1.2.0'), process.execPath, '--import', 'tsx', `${root}/src/cli/main.ts`, ...args];
    return new Promise((resolve) => {
      execFile('unshare', command, { cwd: root, env: { ...process.env, VIGIL_API_KEY: t.keys.acme.scanner, VIGIL_LOG_LEVEL: 'silent' } }, (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
    });
  }
  afterAll(async () => {
    await t?.close();
    rmSync(work, { recursive: true, force: true });
  });

  async function hostNamed(name: string): Promise<StoredResource | undefined> {
    const res = await t.call(t.keys.acme.viewer, { method: 'GET', url: '/api/v1/resources?resourceType=HOST' });
    return (res.json().resources as StoredResource[]).find((r) => r.name === name);
  }

  it('files the root filesystem as a HOST resource with every installed dpkg package', async () => {
    const rootfs = await debianRootfs();
    const res = await runVigil(['agent', '--once', '--root', rootfs, '--name', 'bookworm-1', '--tag', 'env=prod', '--server', url], { env: { VIGIL_API_KEY: t.keys.acme.scanner } });
    expect(res.stderr).toMatch(new RegExp(`^vigil: agent: inventory of ${rootfs} started\n(.*\n)*vigil: agent: inventory of ${rootfs} done: \\d+ directories, .* MiB of package files read, in /\\S* \\(\\d+ s\\)\n$`));
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^HOST bookworm-1 \(\S+\): inventory 1 reported \(scan \S+\)\n {2}packages: \d+ \(deb \d+\)\n {2}findings: 0 stored by the server \(0 active, 0 suppressed\)\n {2}warnings: 0\n( {2}not walked: .*\n)? {2}network: report sent \(listening sockets, interfaces, firewall\)\n {2}time: [\d.]+ s inventory \(\d+ directories\), [\d.]+ s report\n$/);

    const host = await hostNamed('bookworm-1');
    expect(host).toMatchObject({ type: 'HOST', tags: { env: 'prod' }, os: 'Debian:12' });
    const inv = (await t.call(t.keys.acme.viewer, { method: 'GET', url: `/api/v1/resources/${host!.id}/inventories/latest` })).json() as {
      target: { type: string; name: string };
      packages: { name: string; version: string; ecosystem: string }[];
    };
    expect(inv.target).toMatchObject({ type: 'host', name: 'bookworm-1' });
    const dpkg = execFileSync('dpkg-query', [`--admindir=${rootfs}/var/lib/dpkg`, '-W', '-f', '${Package}\t${Version}\n'], { encoding: 'utf8' }).trim().split('\n').sort();
    const reported = inv.packages.filter((p) => p.ecosystem.startsWith('Debian')).map((p) => `${p.name}\t${p.version}`).sort();
    expect(reported).toEqual(dpkg);
  });

  it('reports the findings of applications installed on the host', async () => {
    const res = await runVigil(['agent', '--once', '--root', appHost, '--name', 'shop-1', '--server', url], { env: { VIGIL_API_KEY: t.keys.acme.scanner } });
    expect(res.code).toBe(0);
    const host = await hostNamed('shop-1');
    const found = await t.call(t.keys.acme.viewer, { method: 'POST', url: '/api/v1/findings/search', payload: { filterCriteria: { resourceId: [{ comparison: 'EQUALS', value: host!.id }] } } });
    expect((found.json().findings as { vulnerabilityId: string }[]).map((f) => f.vulnerabilityId).sort()).toEqual(['CVE-2020-8203', 'CVE-2021-44906']);
  });

  it('reports again on its interval and stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', `${root}/src/cli/main.ts`, 'agent', '--root', appHost, '--name', 'shop-2', '--interval', '1s', '--server', url], {
      env: { ...process.env, VIGIL_API_KEY: t.keys.acme.scanner, VIGIL_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stderr.on('data', (c: Buffer) => (log += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const deadline = Date.now() + 60_000;
    while ((log.match(/"host reported"/g) ?? []).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    // Every thread of the agent runs at nice 19 (field 19 of /proc/PID/task/TID/stat).
    const nices = readdirSync(`/proc/${child.pid}/task`).map((tid) => {
      const stat = readFileSync(`/proc/${child.pid}/task/${tid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    });
    expect(new Set(nices)).toEqual(new Set([19]));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect((log.match(/"host reported"/g) ?? []).length).toBeGreaterThanOrEqual(2);
    expect(log).toMatch(/"agent stopped"/);
    expect(log).toMatch(/"packages":2,"warnings":0,"partial":false,"findingCount":2,.*"msg":"host reported"/);
    const host = await hostNamed('shop-2');
    const versions = (await t.call(t.keys.acme.viewer, { method: 'GET', url: `/api/v1/resources/${host!.id}/inventories` })).json().inventories as unknown[];
    expect(versions.length).toBeGreaterThanOrEqual(1);
  }, 90_000);

  it("sends this host's real network report after its inventory, which a snapshot then turns into findings", async () => {
    // A real listener of this (test) process, on every address: the agent must find it in /proc and name its process.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const res = await runVigil(['agent', '--once', '--root', appHost, '--name', 'net-1', '--server', url], { env: { VIGIL_API_KEY: t.keys.acme.scanner } });
      expect(res.stderr).not.toMatch(/warning|error|failed/);
      expect(res.stdout).toMatch(/^HOST net-1 \(\S+\): inventory 1 reported \(scan \S+\)\n/);
      expect(res.stdout).toContain('  findings: 2 stored by the server');
      expect(res.stdout).toContain('  network: report sent (listening sockets, interfaces, firewall)\n');
      const host = await hostNamed('net-1');
      const row = await t.db.kysely.selectFrom('network_host_reports').selectAll().where('resource_id', '=', host!.id).executeTakeFirstOrThrow();
      const report = JSON.parse(row.report) as { firewallId: string; listeners: { protocol: string; port: number; address: string; process?: string; pid?: number }[]; interfaces: unknown[] };
      expect(report.firewallId).toBe('net-1/firewall');
      const mine = report.listeners.find((l) => l.protocol === 'tcp' && l.port === port);
      expect(mine).toEqual({ protocol: 'tcp', port, address: '0.0.0.0', process: readFileSync('/proc/self/comm', 'utf8').trim(), pid: process.pid });

      const snapshot = `
networks: [{ id: lab, cidrs: [10.9.0.0/24] }]
gateways: [{ id: edge, networks: [lab] }]
routeTables: [{ id: lab-routes, network: lab, main: true, routes: [{ destination: 0.0.0.0/0, target: edge }] }]
subnets: [{ id: lab-net, network: lab, cidrs: [10.9.0.0/24] }]
securityGroups: [{ id: only-mine, inbound: [{ protocol: tcp, ports: ${port}, source: 0.0.0.0/0 }] }]
instances:
  - id: net-1
    interfaces: [{ subnet: lab-net, privateAddresses: [10.9.0.5], publicAddresses: [203.0.113.50], securityGroups: [only-mine] }]
`;
      const posted = await t.call(t.keys.acme.admin, { method: 'POST', url: '/api/v1/network/snapshots', payload: { files: { 'lab.yaml': snapshot } } });
      expect((await analysisOf(t, t.keys.acme.admin, posted)).status).toBe('DONE');
      const found = await t.call(t.keys.acme.viewer, {
        method: 'POST',
        url: '/api/v1/findings/search',
        payload: { filterCriteria: { resourceId: [{ comparison: 'EQUALS', value: host!.id }], findingType: [{ comparison: 'EQUALS', value: 'NETWORK_REACHABILITY' }], portRange: [{ beginInclusive: port, endInclusive: port }] } },
      });
      const [finding] = found.json().findings as { vulnerabilityId: string; listeners: { port: number; pid: number }[] }[];
      expect(finding).toMatchObject({ vulnerabilityId: `tcp/${port}`, listeners: expect.arrayContaining([expect.objectContaining({ port, pid: process.pid })]) });

      const off = await runVigil(['agent', '--once', '--no-network', '--root', appHost, '--name', 'net-2', '--server', url], { env: { VIGIL_API_KEY: t.keys.acme.scanner } });
      expect(off.stdout).toContain('  findings: 2 stored by the server');
      expect(off.stdout).not.toContain('network: report sent');
      const net2 = await hostNamed('net-2');
      expect(await t.db.kysely.selectFrom('network_host_reports').selectAll().where('resource_id', '=', net2!.id).executeTakeFirst()).toBeUndefined();
    } finally {
      server.close();
    }
  }, 120_000);
  /** Packages of a stored host inventory, as `name@version location`. */
  async function storedPackages(name: string): Promise<string[]> {
    const host = await hostNamed(name);
    const inv = (await t.call(t.keys.acme.viewer, { method: 'GET', url: `/api/v1/resources/${host!.id}/inventories/latest` })).json() as { packages: { name: string; version: string; locations: string[] }[]; os?: { runningKernel?: string } };
    return inv.packages.map((p) => `${p.name}@${p.version} ${p.locations[0]}`).sort();
  }

  it('prints the warnings, the partial flag, what it left out and the count the server stored', async () => {
    const res = await runVigil(['agent', '--once', '--root', scoped, '--name', 'scoped-1', '--server', url], { env: { VIGIL_API_KEY: t.keys.acme.scanner } });
    expect(res.code).toBe(0);
    expect(res.stderr).toContain('vigil: warning: /srv/broken/package-lock.json: ');
    expect(res.stderr).toContain('vigil: warning: some files could not be read; the inventory may be incomplete\n');
    const scanId = /\(scan (\S+)\)/.exec(res.stdout)![1];
    const stored = (await t.call(t.keys.acme.viewer, { method: 'GET', url: `/api/v1/scans/${scanId}` })).json() as { findingCount: number };
    expect(stored.findingCount).toBe(2);
    const lines = res.stdout.split('\n');
    expect(lines.slice(1, 5)).toEqual([
      '  packages: 2 (npm 2)',
      '  findings: 2 stored by the server: 2 UNTRIAGED (2 active, 0 suppressed)',
      '  warnings: 1; partial: some files could not be read, findings may be missing',
      '  not walked: /root/.cache (excluded by **/.cache), /tmp (excluded by /tmp)',
    ]);
    expect(await storedPackages('scoped-1')).toEqual(['lodash@4.17.15 /opt/app/package-lock.json', 'minimist@1.2.0 /srv/skipme/package-lock.json']);
  });

  it('walks the default excludes with --no-default-excludes and leaves out --exclude globs', async () => {
    const res = await runVigil(['agent', '--once', '--root', scoped, '--name', 'scoped-2', '--server', url, '--no-default-excludes', '--exclude', '/srv/skipme', '--exclude', 'broken'], {
      env: { VIGIL_API_KEY: t.keys.acme.scanner },
    });
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('  not walked: /srv/broken (excluded by broken), /srv/skipme (excluded by /srv/skipme)\n');
    expect(res.stdout).toContain('  warnings: 0\n');
    expect(await storedPackages('scoped-2')).toEqual([
      'lodash@4.17.15 /opt/app/package-lock.json',
      'minimist@1.2.0 /root/.cache/x/package-lock.json',
      'minimist@1.2.0 /tmp/fixture/package-lock.json',
    ]);
  });

  it.each<[string, string[], string[], string]>([
    ['local (the default)', [], ['lodash@4.17.15 /mnt/bind/package-lock.json', 'lodash@4.17.15 /opt/app/package-lock.json'], '/mnt/tmpfs (tmpfs mount)'],
    ['none', ['--mounts', 'none'], ['lodash@4.17.15 /mnt/bind/package-lock.json', 'lodash@4.17.15 /opt/app/package-lock.json'], '/mnt/tmpfs (tmpfs mount)'],
    ['all', ['--mounts', 'all'], ['lodash@4.17.15 /mnt/bind/package-lock.json', 'lodash@4.17.15 /opt/app/package-lock.json', 'minimist@1.2.0 /mnt/tmpfs/app/package-lock.json'], ''],
  ])('--mounts %s over a real tmpfs and a bind mount of the root filesystem', async (policy, args, packages, leftOut) => {
    if (!canMount) return;
    const name = `mounted-${args[1] ?? 'local'}`;
    const res = await runInMountNamespace(['agent', '--once', '--root', mounted, '--name', name, '--server', url, '--no-default-excludes', ...args]);
    expect(res.stderr).not.toMatch(/failed/);
    expect(res.code).toBe(0);
    if (leftOut) expect(res.stdout).toContain(`  not walked: ${leftOut}\n`);
    else expect(res.stdout).not.toContain('not walked');
    expect(await storedPackages(name)).toEqual(packages);
  });

  it('fails clearly with an unknown mount policy', async () => {
    const res = await runVigil(['agent', '--once', '--root', scoped, '--name', 'x', '--server', url, '--mounts', 'some'], { env: { VIGIL_API_KEY: t.keys.acme.scanner } });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--mounts "some": expected one of local, none, all/);
  });

  it.each<[string, string[], Record<string, string>, number, RegExp]>([
    ['no key', ['--once'], { VIGIL_API_KEY: '' }, 2, /needs --api-key/],
    ['a bad interval', ['--interval', 'soon'], {}, 2, /--interval "soon": expected a duration/],
    ['a malformed tag', ['--once', '--tag', 'novalue'], {}, 2, /--tag "novalue": expected key=value/],
    ['a viewer key', ['--once'], { role: 'viewer' }, 1, /host report to .* failed: .*HTTP 403/],
    ['an unreachable server', ['--once', '--server', 'http://127.0.0.1:9'], {}, 1, /host report to http:\/\/127\.0\.0\.1:9 failed/],
  ])('fails clearly with %s', async (_name, args, env, code, message) => {
    const key = env.role === 'viewer' ? t.keys.acme.viewer : t.keys.acme.scanner;
    const server = args.includes('--server') ? [] : ['--server', url];
    const res = await runVigil(['agent', '--root', appHost, '--name', 'shop-3', ...server, ...args], { env: { VIGIL_API_KEY: key, ...(env.role ? {} : env) } });
    expect(res.code).toBe(code);
    expect(res.stderr).toMatch(message);
  });
});

describe('parseDuration', () => {
  it.each<[string, number | undefined]>([
    ['90s', 90_000],
    ['15m', 900_000],
    ['6h', 21_600_000],
    ['1.5d', 129_600_000],
    ['250ms', 250],
    ['0s', undefined],
    ['6', undefined],
    ['h', undefined],
    ['-1h', undefined],
  ])('%s → %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
});
