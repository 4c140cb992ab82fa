/**
 * Agentless scans (`ssh:` targets) against a real OpenSSH server in a network namespace:
 * the dpkg inventory read over SFTP equals `dpkg-query` on the same tree, the host key is
 * checked before logging in, and every failure names the target.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TargetError, scanTarget } from '../../src/inventory/index.js';
import { knownHostKeys } from '../../src/inventory/sources/known-hosts.js';
import { parseSshAddress } from '../../src/inventory/sources/ssh.js';
import { runVigil } from '../helpers/cli.js';
import { requireComponent } from '../helpers/components.js';
import { debianRootfs } from '../helpers/images.js';
import { startSshd, type TestSshd } from '../helpers/sshd.js';

let sshd: TestSshd;
let rootfs: string;
let work: string;

beforeAll(async () => {
  [sshd, rootfs] = await Promise.all([startSshd(), debianRootfs()]);
  work = mkdtempSync(join(tmpdir(), 'vigil-ssh-test-'));
}, 600_000);
afterAll(async () => {
  await sshd?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('ssh: targets', () => {
  it('inventories a root filesystem over SFTP exactly as dpkg-query lists it', async () => {
    const inv = await scanTarget(`ssh:root@${sshd.host}${rootfs}`, { ssh: { privateKeyPath: sshd.clientKey, knownHostsPath: sshd.knownHosts } });
    expect(inv.target).toMatchObject({ type: 'host', name: `${sshd.host}:${rootfs}` });
    expect(inv.os?.ecosystem).toBe('Debian:12');
    const dpkg = execFileSync('dpkg-query', [`--admindir=${rootfs}/var/lib/dpkg`, '-W', '-f', '${Package}\t${Version}\n'], { encoding: 'utf8' }).trim().split('\n').sort();
    const found = inv.packages.filter((p) => p.ecosystem === 'Debian:12').map((p) => `${p.name}\t${p.version}`).sort();
    expect(found).toEqual(dpkg);
    // The same as reading the tree locally.
    const local = await scanTarget(`dir:${rootfs}`);
    expect(inv.packages.map((p) => p.purl).sort()).toEqual(local.packages.map((p) => p.purl).sort());
  });

  it('writes an SBOM of the host from the CLI', async () => {
    const res = await runVigil(['sbom', `ssh:root@${sshd.host}${rootfs}`, '--ssh-key', sshd.clientKey, '--ssh-known-hosts', sshd.knownHosts, '--format', 'json']);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect((JSON.parse(res.stdout) as { packages: unknown[] }).packages.length).toBeGreaterThan(50);
  });

  it('reads programs over SFTP by seeking, past maxFileBytes too, and dismisses large files that are no programs silently', async () => {
    requireComponent('docker-registry');
    const root = join(work, 'programs');
    mkdirSync(join(root, 'usr/bin'), { recursive: true });
    mkdirSync(join(root, 'var/lib/mysql'), { recursive: true });
    // A 20 MB Go program (with its build information) and a sparse 300 MiB database file.
    copyFileSync('/usr/bin/docker-registry', join(root, 'usr/bin/docker-registry'));
    writeFileSync(join(root, 'var/lib/mysql/ibdata1'), '');
    truncateSync(join(root, 'var/lib/mysql/ibdata1'), 300 * 1024 * 1024);
    const limits = { maxFileBytes: 1024 * 1024 };
    const remote = await scanTarget(`ssh:root@${sshd.host}${root}`, { ssh: { privateKeyPath: sshd.clientKey, knownHostsPath: sshd.knownHosts }, limits });
    const local = await scanTarget(`dir:${root}`, { limits });
    expect(remote.packages.map((p) => p.purl).sort()).toEqual(local.packages.map((p) => p.purl).sort());
    // Its toolchain, read from the build information past the 1 MiB limit.
    expect(remote.packages.some((p) => p.purl.startsWith('pkg:golang/stdlib@'))).toBe(true);
    expect(remote.warnings.filter((w) => w.extractor !== 'os/os-release@1')).toEqual([]);
  });

  it('refuses a host whose key is not in known_hosts, before logging in', async () => {
    const empty = join(work, 'known_hosts_empty');
    writeFileSync(empty, '');
    await expect(scanTarget(`ssh:root@${sshd.host}/`, { ssh: { privateKeyPath: sshd.clientKey, knownHostsPath: empty } })).rejects.toThrow(/is not in .*known_hosts_empty/);
    const wrong = join(work, 'known_hosts_wrong');
    writeFileSync(wrong, `${sshd.host} ssh-ed25519 ${execFileSync('sh', ['-c', `cut -d' ' -f2 ${sshd.clientKey}.pub`], { encoding: 'utf8' }).trim()}\n`);
    await expect(scanTarget(`ssh:root@${sshd.host}/`, { ssh: { privateKeyPath: sshd.clientKey, knownHostsPath: wrong } })).rejects.toThrow(/host key of .* does not match/);
  });

  it.each<[string, () => string, () => { privateKeyPath?: string }, RegExp]>([
    ['a key the server does not accept', () => `ssh:root@${sshd.host}/`, () => ({ privateKeyPath: sshd.strangerKey }), /cannot log in to root@198\.18\.\d+\.2:22/],
    ['a missing key file', () => `ssh:root@${sshd.host}/`, () => ({ privateKeyPath: join(work, 'nope') }), /cannot read private key/],
    ['a root that does not exist', () => `ssh:root@${sshd.host}/no/such/dir`, () => ({ privateKeyPath: sshd.clientKey }), /cannot open \/no\/such\/dir/],
    ['a port nothing listens on', () => `ssh:root@${sshd.host}:2`, () => ({ privateKeyPath: sshd.clientKey }), /is not in|cannot log in/],
  ])('names the target for %s', async (_name, target, opts, message) => {
    const err = await scanTarget(target(), { ssh: { knownHostsPath: sshd.knownHosts, ...opts(), timeoutSeconds: 5 } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetError);
    expect(String((err as Error).message)).toContain(target());
    expect((err as Error).message).toMatch(message);
  });
});

describe('ssh: addresses and known_hosts', () => {
  it.each([
    ['web-1', { host: 'web-1', port: 22, root: '/' }],
    ['ops@web-1:2222/srv/chroot', { user: 'ops', host: 'web-1', port: 2222, root: '/srv/chroot' }],
    ['root@[fd00::7]:22/', { user: 'root', host: 'fd00::7', port: 22, root: '/' }],
  ])('parses %s', (value, expected) => {
    expect(parseSshAddress(value, `ssh:${value}`)).toMatchObject(expected);
  });

  it.each(['', 'a@b@c', 'host:99999', 'host:port'])('refuses "%s"', (value) => {
    expect(() => parseSshAddress(value, `ssh:${value}`)).toThrow(TargetError);
  });

  it('finds plain, bracketed-port and hashed entries, and honours @revoked', () => {
    const key = Buffer.from('key-one').toString('base64');
    const other = Buffer.from('key-two').toString('base64');
    // A hashed entry as OpenSSH writes it: `ssh-keygen -H` rewrites the file in place.
    const file = join(work, 'known_hosts_hashed');
    writeFileSync(file, `web-1 ssh-ed25519 ${other}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
    const hashed = readFileSync(file, 'utf8').trim();
    expect(hashed).toMatch(/^\|1\|/);
    const text = ['# comment', `web-1,10.0.0.1 ssh-ed25519 ${key}`, `[web-2]:2222 ssh-ed25519 ${other}`, hashed, `@revoked * ssh-ed25519 ${other}`].join('\n');
    expect(knownHostKeys(text, 'web-1', 22).keys.map((k) => k.toString())).toEqual(['key-one', 'key-two']);
    expect(knownHostKeys(text, '10.0.0.1', 22).keys.map((k) => k.toString())).toEqual(['key-one']);
    expect(knownHostKeys(text, 'web-2', 2222).keys.map((k) => k.toString())).toEqual(['key-two']);
    expect(knownHostKeys(text, 'web-2', 22).keys).toEqual([]);
    expect(knownHostKeys(text, 'web-1', 22).revoked.map((k) => k.toString())).toEqual(['key-two']);
  });
});
