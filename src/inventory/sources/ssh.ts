/**
 * `ssh:[USER@]HOST[:PORT][/ROOT]`: a host scanned agentlessly. Vigil logs in with a key (or
 * the running ssh-agent), checks the host key against `known_hosts` first, and reads the
 * files extractors want over SFTP, writing nothing there. The inventory runs no command on the
 * host; the network report ({@link SshSource.hostReader}) reads /proc over SFTP and runs only
 * commands that print (`ip -j addr show`, `nft -j list ruleset`, `iptables-save`).
 * ROOT (default `/`) is the directory inventoried as the host's root filesystem; `/proc`,
 * `/sys` and `/dev` under it are skipped.
 */
import { readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { posix } from 'node:path';
import { Client, type SFTPWrapper, type Stats } from 'ssh2';
import { parseIpAddrJson, type HostReader } from '../../network/host/reader.js';
import { TargetError, describeError } from '../errors.js';
import { LimitExceededError } from '../limits.js';
import type { FileRef, TargetInfo } from '../types.js';
import type { FileView, Source, WalkHandlers, WalkOptions } from '../walk.js';
import { SKIPPED_DIRS, followLink, resolveInRoot, type LinkFs } from './directory.js';
import { knownHostKeys } from './known-hosts.js';

/** Credentials and trust for `ssh:` targets. */
export interface SshOptions {
  /** Private key file (default: the first of ~/.ssh/id_ed25519, id_ecdsa, id_rsa that exists). */
  privateKeyPath?: string;
  /** Known hosts file (default ~/.ssh/known_hosts). */
  knownHostsPath?: string;
  /** Seconds to wait for the connection and login (default 20). */
  timeoutSeconds?: number;
}

/** The parts of an `ssh:` target. */
export interface SshAddress {
  user: string;
  host: string;
  port: number;
  root: string;
}

/** Parses `[USER@]HOST[:PORT][/ROOT]` (an IPv6 host in brackets). */
export function parseSshAddress(value: string, raw: string): SshAddress {
  const m = /^(?:([^@/]+)@)?(\[[0-9A-Fa-f:.]+\]|[^:/@[\]]+)(?::(\d{1,5}))?(\/.*)?$/.exec(value);
  if (!m) throw new TargetError(raw, 'expected ssh:[USER@]HOST[:PORT][/ROOT]');
  const port = m[3] ? Number(m[3]) : 22;
  if (port < 1 || port > 65535) throw new TargetError(raw, `port ${m[3]} is not 1-65535`);
  return { user: m[1] ?? userInfo().username, host: m[2].replace(/^\[|\]$/g, ''), port, root: posix.normalize(m[4] ?? '/') };
}

function defaultKeyPath(): string | undefined {
  for (const name of ['id_ed25519', 'id_ecdsa', 'id_rsa']) {
    const p = posix.join(homedir(), '.ssh', name);
    try {
      readFileSync(p);
      return p;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

/** Calls an SFTP method that takes a callback as a promise. */
function call<T>(fn: (cb: (err: Error | null | undefined, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))));
}

const S_IFMT = 0o170000;

/** A file on the host; `close` releases the SFTP handle its positional reads opened. */
type RemoteFileRef = FileRef & { close(): Promise<void> };

/** A host reached over SSH, walked over SFTP, as a {@link Source}. */
export class SshSource implements Source {
  readonly target: TargetInfo;
  private readonly fs: LinkFs;

  private constructor(
    private readonly client: Client,
    private readonly sftp: SFTPWrapper,
    private readonly address: SshAddress,
    name: string,
  ) {
    this.target = { type: 'host', name };
    this.fs = {
      join: posix.join,
      lstat: (p) => call<Stats>((cb) => sftp.lstat(p, cb)),
      readlink: (p) => call<string>((cb) => sftp.readlink(p, cb)),
    };
  }

  /** Connects, verifies the host key and opens SFTP; every failure names the target. */
  static async open(value: string, raw: string, opts: SshOptions = {}, signal?: AbortSignal): Promise<SshSource> {
    const address = parseSshAddress(value, raw);
    const knownHostsPath = opts.knownHostsPath ?? posix.join(homedir(), '.ssh', 'known_hosts');
    let known: ReturnType<typeof knownHostKeys>;
    try {
      known = knownHostKeys(readFileSync(knownHostsPath, 'utf8'), address.host, address.port);
    } catch (err) {
      throw new TargetError(raw, `cannot read known hosts ${knownHostsPath}: ${describeError(err)}`);
    }
    if (known.keys.length === 0) throw new TargetError(raw, `${address.host} port ${address.port} is not in ${knownHostsPath}; add its host key (ssh-keyscan) after checking it`);
    const keyPath = opts.privateKeyPath ?? defaultKeyPath();
    let privateKey: Buffer | undefined;
    if (keyPath) {
      try {
        privateKey = readFileSync(keyPath);
      } catch (err) {
        throw new TargetError(raw, `cannot read private key ${keyPath}: ${describeError(err)}`);
      }
    }
    if (!privateKey && !process.env.SSH_AUTH_SOCK) throw new TargetError(raw, 'no private key (--ssh-key FILE, or ~/.ssh/id_ed25519) and no ssh-agent');

    const client = new Client();
    let hostKeyRefused = false;
    const ready = new Promise<void>((resolve, reject) => {
      client.once('ready', resolve).once('error', reject);
      signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
    client.connect({
      host: address.host,
      port: address.port,
      username: address.user,
      privateKey,
      agent: process.env.SSH_AUTH_SOCK,
      readyTimeout: (opts.timeoutSeconds ?? 20) * 1000,
      hostVerifier: (key: Buffer) => {
        const ok = known.keys.some((k) => k.equals(key)) && !known.revoked.some((k) => k.equals(key));
        hostKeyRefused = !ok;
        return ok;
      },
    });
    try {
      await ready;
      const sftp = await call<SFTPWrapper>((cb) => client.sftp(cb));
      const st = await call<Stats>((cb) => sftp.stat(address.root, cb)).catch((err: unknown) => {
        throw new TargetError(raw, `cannot open ${address.root} on ${address.host}: ${describeError(err)}`);
      });
      if (!st.isDirectory()) throw new TargetError(raw, `${address.root} on ${address.host} is not a directory`);
      return new SshSource(client, sftp, address, address.root === '/' ? address.host : `${address.host}:${address.root}`);
    } catch (err) {
      client.end();
      if (err instanceof TargetError) throw err;
      if (hostKeyRefused) throw new TargetError(raw, `the host key of ${address.host} does not match ${knownHostsPath}: refusing to log in`);
      throw new TargetError(raw, `cannot log in to ${address.user}@${address.host}:${address.port}: ${describeError(err)}`);
    }
  }

  async walk(handlers: WalkHandlers, { signal, limits }: WalkOptions): Promise<void> {
    const { root } = this.address;
    const view: FileView = {
      readFile: async (path) => {
        const r = await resolveInRoot(root, path, this.fs);
        return r.ok ? this.ref(r.path, r.diskPath, r.size, limits.maxFileBytes).read() : undefined;
      },
    };
    let entries = 0;
    const visit = async (dirPath: string): Promise<void> => {
      signal?.throwIfAborted();
      let list;
      try {
        list = await call<{ filename: string; attrs: Stats }[]>((cb) => this.sftp.readdir(posix.join(root, dirPath || '/'), cb));
      } catch (err) {
        handlers.warn({ path: dirPath || '/', reason: `cannot list directory: ${describeError(err)}` });
        return;
      }
      list.sort((a, b) => (a.filename < b.filename ? -1 : a.filename > b.filename ? 1 : 0));
      for (const { filename, attrs } of list) {
        if (filename === '.' || filename === '..') continue;
        if (++entries > limits.maxEntries) throw new LimitExceededError('maxEntries', `${this.target.name}: more than ${limits.maxEntries} entries (limit maxEntries)`);
        const path = `${dirPath}/${filename}`;
        const type = (attrs.mode ?? 0) & S_IFMT;
        if (type === 0o040000) {
          if (!SKIPPED_DIRS.has(path)) await visit(path);
        } else if (type === 0o100000) {
          const size = Number(attrs.size ?? 0);
          if (!handlers.wanted(path, size, attrs.mode)) continue;
          if (size > limits.maxFileBytes && !handlers.wantedBeyondLimit?.(path, size, attrs.mode)) {
            handlers.warn({ path, reason: `not read: file is ${size} bytes, more than the limit of ${limits.maxFileBytes} (maxFileBytes)` });
            continue;
          }
          const file = this.ref(path, posix.join(root, path), size, limits.maxFileBytes, attrs.mode);
          try {
            await handlers.file(file, [], view);
          } finally {
            await file.close();
          }
        } else if (type === 0o120000) {
          if (!handlers.wanted(path, 0)) continue;
          let target: RemoteFileRef | undefined;
          try {
            await followLink(root, path, this.fs, handlers, view, (r) => (target = this.ref(path, r.diskPath, r.size, limits.maxFileBytes)));
          } finally {
            await target?.close();
          }
        }
      }
    };
    await visit('');
  }

  /** A file on the host, refusing to read past `limit` bytes (but for positional reads). */
  private ref(path: string, remotePath: string, size: number, limit: number, mode?: number): RemoteFileRef {
    const sftp = this.sftp;
    let handle: Promise<Buffer> | undefined;
    return {
      path,
      size,
      ...(mode !== undefined ? { mode } : {}),
      async read() {
        if (size > limit) throw new LimitExceededError('maxFileBytes', `${path}: file is ${size} bytes, more than the limit of ${limit} (maxFileBytes)`);
        const chunks: Buffer[] = [];
        let n = 0;
        for await (const c of sftp.createReadStream(remotePath, { start: 0, end: limit })) {
          chunks.push(c as Buffer);
          n += (c as Buffer).length;
        }
        if (n > limit) throw new LimitExceededError('maxFileBytes', `${path}: file grew past the limit of ${limit} bytes (maxFileBytes)`);
        return Buffer.concat(chunks, n);
      },
      stream: () => sftp.createReadStream(remotePath, { start: 0, end: Math.max(0, Math.min(size, limit) - 1) }),
      // Program extractors read a header, a section table and section names: a few small reads
      // over one handle, not the whole program over the network.
      async readAt(offset, length) {
        const want = Math.max(0, Math.min(length, size - offset));
        const out = Buffer.allocUnsafe(want);
        handle ??= call<Buffer>((cb) => sftp.open(remotePath, 'r', cb));
        const opened = await handle;
        let n = 0;
        while (n < want) {
          // ssh2 answers 0 at the end of the file (a file that shrank since it was listed).
          const got = await call<number>((cb) => sftp.read(opened, out, n, want - n, offset + n, cb));
          if (got === 0) break;
          n += got;
        }
        return out.subarray(0, n);
      },
      async close() {
        const opened = await handle?.catch(() => undefined);
        handle = undefined;
        if (opened) await new Promise<void>((resolve) => sftp.close(opened, () => resolve()));
      },
    };
  }

  /**
   * The host's network facts over this session: /proc over SFTP (the network namespace sshd
   * runs in, whatever ROOT is), and print-only commands over exec.
   */
  hostReader(): HostReader {
    const { sftp, client } = this;
    const run = (cmd: string, args: string[]): Promise<string | undefined> =>
      new Promise((resolve) => {
        // Fixed command names and arguments: nothing here comes from input.
        client.exec([cmd, ...args].join(' '), (err, stream) => {
          if (err) return resolve(undefined);
          const out: Buffer[] = [];
          stream.on('data', (c: Buffer) => out.push(c)).stderr.resume();
          stream.on('close', (code: number | null) => resolve(code === 0 ? Buffer.concat(out).toString('utf8') : undefined));
        });
      });
    return {
      root: this.address.root,
      readFile: async (path) => {
        // /proc files report size 0: read to the end instead of trusting stat.
        const chunks: Buffer[] = [];
        try {
          for await (const c of sftp.createReadStream(path)) chunks.push(c as Buffer);
        } catch {
          return undefined;
        }
        return Buffer.concat(chunks).toString('utf8');
      },
      readdir: (path) => call<{ filename: string }[]>((cb) => sftp.readdir(path, cb)).then((l) => l.map((e) => e.filename).filter((n) => n !== '.' && n !== '..'), () => undefined),
      readlink: (path) => call<string>((cb) => sftp.readlink(path, cb)).catch(() => undefined),
      run,
      interfaces: async () => {
        const text = await run('ip', ['-j', 'addr', 'show']);
        if (text === undefined) return [];
        try {
          return parseIpAddrJson(text);
        } catch {
          return [];
        }
      },
    };
  }

  async close(): Promise<void> {
    this.sftp.end();
    this.client.end();
  }
}
