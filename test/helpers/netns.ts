/**
 * Small real networks for reachability tests: network namespaces joined by veth pairs created
 * straight inside them (nothing is added to this machine's own namespace), nftables rules,
 * and processes started inside them. Names carry the test process's pid, so parallel runs do
 * not collide; stop() kills what was started (by pid) and deletes every namespace. Needs root,
 * `ip` (iproute2) and `nft` (nftables); a missing tool fails the test.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Runs a command and returns its stdout; its stderr is in the error when it fails. */
export function run(cmd: string, ...args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')}: ${e.stderr?.trim() || e.message}`);
  }
}

/** A set of namespaces and the processes running in them. */
export class NetnsLab {
  readonly id = process.pid % 100_000;
  readonly dir = mkdtempSync(join(tmpdir(), 'vigil-netns-'));
  private readonly namespaces: string[] = [];
  private readonly children: ChildProcess[] = [];

  /** The full name of the lab's namespace `short`. */
  ns(short: string): string {
    return `vgn-${short}-${this.id}`;
  }

  /** Creates namespace `short` with its loopback up. */
  addNamespace(short: string): void {
    const name = this.ns(short);
    try {
      run('ip', 'netns', 'del', name); // a leftover of a killed run with this pid
    } catch {
      // none
    }
    run('ip', 'netns', 'add', name);
    this.namespaces.push(name);
    this.exec(short, 'ip', 'link', 'set', 'lo', 'up');
  }

  /** Runs a command inside namespace `short`. */
  exec(short: string, cmd: string, ...args: string[]): string {
    return run('ip', 'netns', 'exec', this.ns(short), cmd, ...args);
  }

  /** A veth pair between two namespaces, named `aIf` in `a` and `bIf` in `b`, both up. */
  link(a: string, aIf: string, b: string, bIf: string): void {
    run('ip', 'link', 'add', aIf, 'netns', this.ns(a), 'type', 'veth', 'peer', 'name', bIf, 'netns', this.ns(b));
    this.exec(a, 'ip', 'link', 'set', aIf, 'up');
    this.exec(b, 'ip', 'link', 'set', bIf, 'up');
  }

  /** Loads an nftables ruleset (nft -f syntax) into namespace `short`. */
  nft(short: string, ruleset: string): void {
    const file = join(this.dir, `${short}-${this.namespaces.length}-${Date.now()}.nft`);
    writeFileSync(file, ruleset);
    this.exec(short, 'nft', '-f', file);
  }

  /** Starts a long-running process inside namespace `short`; resolves once `ready()` says so. */
  async start(short: string, cmd: string, args: string[], ready: () => Promise<boolean>, what = cmd): Promise<void> {
    const child = spawn('ip', ['netns', 'exec', this.ns(short), cmd, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    this.children.push(child);
    const deadline = Date.now() + 15_000;
    while (!(await ready())) {
      if (child.exitCode !== null) throw new Error(`${what} in ${this.ns(short)} exited: ${stderr.trim()}`);
      if (Date.now() > deadline) throw new Error(`${what} in ${this.ns(short)} did not become ready: ${stderr.trim()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Starts OpenSSH's sshd on port 22 of every address of namespace `short`. */
  async sshd(short: string): Promise<void> {
    const dir = join(this.dir, `sshd-${short}`);
    mkdirSync(dir);
    mkdirSync('/run/sshd', { recursive: true });
    run('ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host'));
    writeFileSync(
      join(dir, 'sshd_config'),
      ['ListenAddress 0.0.0.0:22', `HostKey ${join(dir, 'host')}`, `PidFile ${join(dir, 'sshd.pid')}`, 'PasswordAuthentication no', 'KbdInteractiveAuthentication no', 'UsePAM no', 'UseDNS no', ''].join('\n'),
    );
    await this.start(short, '/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')], async () => this.listening(short, 'tcp', 22), 'sshd');
  }

  /** Starts a TCP greeter on each of `tcp` and a UDP echo service on each of `udp` (node). */
  async listeners(short: string, tcp: number[], udp: number[]): Promise<void> {
    const script = `
      const net = require('node:net'), dgram = require('node:dgram');
      const [tcp, udp] = JSON.parse(process.argv[1]);
      // A client that resets the connection must not take the server down with it.
      for (const p of tcp) net.createServer((s) => { s.on('error', () => {}); s.end('hello\\n'); }).listen(p, '0.0.0.0');
      for (const p of udp) { const u = dgram.createSocket('udp4'); u.on('message', (m, r) => u.send(m, r.port, r.address)); u.bind(p, '0.0.0.0'); }`;
    const ready = async () => tcp.every((p) => this.listening(short, 'tcp', p)) && udp.every((p) => this.listening(short, 'udp', p));
    await this.start(short, process.execPath, ['-e', script, JSON.stringify([tcp, udp])], ready, 'node listeners');
  }

  /** Whether something listens on `port` in namespace `short` (ss, from iproute2). */
  listening(short: string, protocol: 'tcp' | 'udp', port: number): boolean {
    return this.exec(short, 'ss', '-Hln', protocol === 'tcp' ? '-t' : '-u', `sport = :${port}`).trim() !== '';
  }

  /** Kills every started process (by pid), deletes every namespace and the lab's files. */
  async stop(): Promise<void> {
    await Promise.all(
      this.children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once('close', () => resolve());
            c.kill('SIGTERM');
          }),
      ),
    );
    for (const name of this.namespaces.reverse()) {
      try {
        run('ip', 'netns', 'del', name);
      } catch {
        // already gone
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** What one probe found: a connection or echo, a refusal (the host answered), or nothing. */
export type ProbeResult = 'open' | 'refused' | 'silent';

/** One probe: a TCP connect or a UDP datagram expecting its echo. */
export interface Probe {
  protocol: 'tcp' | 'udp';
  address: string;
  port: number;
}

/** Sends every probe at once from namespace `short` (node inside it); each waits up to `ms`. */
export function probeFrom(lab: NetnsLab, short: string, probes: readonly Probe[], ms = 2000): Promise<ProbeResult[]> {
  const script = `
    const net = require('node:net'), dgram = require('node:dgram');
    const [probes, ms] = JSON.parse(process.argv[1]);
    const one = (p) => new Promise((resolve) => {
      const done = (r) => { clearTimeout(timer); try { s.destroy ? s.destroy() : s.close(); } catch {} resolve(r); };
      let s;
      const timer = setTimeout(() => done('silent'), ms);
      if (p.protocol === 'tcp') {
        s = net.connect({ host: p.address, port: p.port }, () => done('open'));
        s.on('error', (e) => done(e.code === 'ECONNREFUSED' ? 'refused' : 'silent'));
      } else {
        s = dgram.createSocket('udp4');
        s.on('message', () => done('open'));
        s.on('error', (e) => done(e.code === 'ECONNREFUSED' ? 'refused' : 'silent'));
        s.connect(p.port, p.address, () => s.send('ping'));
      }
    });
    Promise.all(probes.map(one)).then((r) => process.stdout.write(JSON.stringify(r)));`;
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', lab.ns(short), process.execPath, '-e', script, JSON.stringify([probes, ms])], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as ProbeResult[]) : reject(new Error(`probe failed (${code}): ${err}`))));
  });
}
