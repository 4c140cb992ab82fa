/**
 * A real OpenSSH server for agentless-scan tests, alone in a network namespace the test
 * creates (a veth pair to it, no route anywhere else), as ../shared/docs/real-components.md
 * describes. It sees this machine's filesystem; tests point `ssh:` targets at a directory
 * (the debootstrapped rootfs) as the root to inventory. Needs root, `ip` and `sshd`.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireComponent } from './components.js';

/** A running sshd and the files a client needs. */
export interface TestSshd {
  /** The server's address inside its namespace (reachable from here over the veth pair). */
  host: string;
  port: number;
  /** A private key whose public half the server accepts for any user. */
  clientKey: string;
  /** A known_hosts file listing the server's host key. */
  knownHosts: string;
  /** Another key pair's private key, which the server does not accept. */
  strangerKey: string;
  stop(): Promise<void>;
}

function run(cmd: string, ...args: string[]): void {
  execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

async function waitForPort(host: string, port: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host, port }, () => (s.destroy(), resolve(true)));
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`sshd did not listen on ${host}:${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts sshd in a fresh network namespace; stop() removes both. */
export async function startSshd(): Promise<TestSshd> {
  requireComponent('sshd', 'ssh-keygen', 'ip');
  const dir = mkdtempSync(join(tmpdir(), 'vigil-sshd-'));
  const id = process.pid % 100_000;
  const ns = `vigil-ssh-${id}`;
  const [hostIf, nsIf] = [`vsh${id}`, `vsn${id}`];
  const subnet = 16 + (id % 200);
  const [hostIp, nsIp] = [`198.18.${subnet}.1`, `198.18.${subnet}.2`];
  const cleanup = () => {
    try {
      run('ip', 'netns', 'del', ns);
    } catch {
      // not created
    }
  };
  cleanup();
  run('ip', 'netns', 'add', ns);
  let sshd: ReturnType<typeof spawn> | undefined;
  try {
    run('ip', 'link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf);
    run('ip', 'link', 'set', nsIf, 'netns', ns);
    run('ip', 'addr', 'add', `${hostIp}/30`, 'dev', hostIf);
    run('ip', 'link', 'set', hostIf, 'up');
    run('ip', 'netns', 'exec', ns, 'ip', 'addr', 'add', `${nsIp}/30`, 'dev', nsIf);
    run('ip', 'netns', 'exec', ns, 'ip', 'link', 'set', nsIf, 'up');
    run('ip', 'netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up');
    for (const k of ['host', 'client', 'stranger']) run('ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', `vigil-test-${k}`, '-f', join(dir, k));
    writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client.pub')), { mode: 0o600 });
    mkdirSync('/run/sshd', { recursive: true });
    writeFileSync(
      join(dir, 'sshd_config'),
      [
        `ListenAddress ${nsIp}:22`,
        `HostKey ${join(dir, 'host')}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        'PermitRootLogin prohibit-password',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'StrictModes no',
        'UseDNS no',
        'Subsystem sftp internal-sftp',
        '',
      ].join('\n'),
    );
    sshd = spawn('ip', ['netns', 'exec', ns, '/usr/sbin/sshd', '-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: 'ignore' });
    await waitForPort(nsIp, 22, 10_000);
  } catch (err) {
    sshd?.kill();
    cleanup();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const [type, key] = readFileSync(join(dir, 'host.pub'), 'utf8').split(' ');
  writeFileSync(join(dir, 'known_hosts'), `${nsIp} ${type} ${key}\n`);
  return {
    host: nsIp,
    port: 22,
    clientKey: join(dir, 'client'),
    knownHosts: join(dir, 'known_hosts'),
    strangerKey: join(dir, 'stranger'),
    async stop() {
      const exited = new Promise((resolve) => sshd!.once('close', resolve));
      sshd!.kill('SIGTERM');
      await exited;
      cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
