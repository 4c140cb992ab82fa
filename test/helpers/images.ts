/**
 * Real container images for tests, built without a Docker engine (debootstrap → umoci →
 * skopeo), and a real `docker-registry` on 127.0.0.1. Everything expensive is built once per
 * machine and cached under {@link testWorkDir}; builders take a lock, so test files and
 * helpers may call them concurrently from several processes.
 *
 * ```ts
 * const rootfs = await debianRootfs();                 // debootstrapped bookworm (minbase)
 * const images = await debianImages();                 // OCI layout, docker/oci archives
 * const reg = await startRegistry();                   // docker-registry on a free port
 * await reg.push(images.ociRef('bookworm-node'), 'test/debian:bookworm-node');
 * // scan `registry:${reg.host}/test/debian:bookworm-node` with insecure: true
 * await reg.stop();
 * ```
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { link, mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { requireComponent } from './components.js';

const run = promisify(execFile);

/** Where cached test artefacts live (`$VIGIL_TEST_WORK`, default `/tmp/vigil-test-work`). */
export const testWorkDir = process.env.VIGIL_TEST_WORK ?? '/tmp/vigil-test-work';

/** Runs a command, failing with its stderr in the message. */
export async function sh(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  try {
    const { stdout } = await run(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, maxBuffer: 256 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${e.stderr?.trim() || e.message}`);
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs `fn` holding the lock `name`: a file under the work dir holding the owner's pid,
 * put in place with link(2) so it never exists without its pid (a lock directory did, when
 * its owner was killed between creating it and writing the pid, or while removing it, and
 * every later run then waited on it for ever). A lock left by a dead process is taken over.
 */
export async function withLock<T>(name: string, fn: () => Promise<T>, timeoutMs = 20 * 60_000): Promise<T> {
  await mkdir(testWorkDir, { recursive: true });
  const lock = join(testWorkDir, `${name}.lockfile`);
  const mine = `${lock}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  await writeFile(mine, String(process.pid));
  const deadline = Date.now() + timeoutMs;
  try {
    while (true) {
      try {
        await link(mine, lock);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const pid = Number(await readFile(lock, 'utf8').catch(() => ''));
        if (pid && !pidAlive(pid)) {
          await rm(lock, { force: true });
          continue;
        }
        if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${lock} (held by pid ${pid})`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  } finally {
    await rm(mine, { force: true });
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { force: true });
  }
}

/** Builds `dir` with `build(tmpDir)` once: cached by a `<dir>.complete` marker, under a lock. */
async function cached(dir: string, build: (tmp: string) => Promise<void>): Promise<string> {
  const marker = `${dir}.complete`;
  if (existsSync(marker)) return dir;
  const name = dir.slice(testWorkDir.length + 1).replace(/\//g, '-');
  return withLock(name, async () => {
    if (existsSync(marker)) return dir;
    const tmp = `${dir}.tmp`;
    await rm(tmp, { recursive: true, force: true });
    await rm(dir, { recursive: true, force: true });
    await mkdir(join(dir, '..'), { recursive: true });
    await build(tmp);
    await rename(tmp, dir);
    await writeFile(marker, new Date().toISOString());
    return dir;
  });
}

/** The Debian mirror apt uses (deb822 sources first, then sources.list), security suite excluded. */
export async function debianMirror(): Promise<string> {
  const urls: string[] = [];
  const dir = '/etc/apt/sources.list.d';
  for (const f of await readdir(dir).catch(() => [] as string[])) {
    if (!f.endsWith('.sources')) continue;
    for (const m of (await readFile(join(dir, f), 'utf8')).matchAll(/^URIs:\s*(\S+)/gm)) urls.push(m[1]);
  }
  const list = await readFile('/etc/apt/sources.list', 'utf8').catch(() => '');
  for (const m of list.matchAll(/^deb\s+(?:\[[^\]]*\]\s+)?(https?:\/\/\S+)/gm)) urls.push(m[1]);
  const mirror = urls.find((u) => !u.includes('security'));
  if (!mirror) throw new Error('no Debian mirror found in apt sources');
  return mirror;
}

/**
 * A debootstrapped Debian bookworm root filesystem (`--variant=minbase`, 88 packages; apt
 * caches and lists removed). About 30 s the first time; cached afterwards.
 * @returns the absolute path of the root directory
 */
export async function debianRootfs(): Promise<string> {
  requireComponent('debootstrap');
  return cached(join(testWorkDir, 'rootfs', 'bookworm'), async (tmp) => {
    await sh('debootstrap', ['--variant=minbase', 'bookworm', tmp, await debianMirror()]);
    await rm(join(tmp, 'var/cache/apt/archives'), { recursive: true, force: true });
    await mkdir(join(tmp, 'var/cache/apt/archives/partial'), { recursive: true });
    await rm(join(tmp, 'var/lib/apt/lists'), { recursive: true, force: true });
    await mkdir(join(tmp, 'var/lib/apt/lists/partial'), { recursive: true });
  });
}

/** What {@link debianServerRootfs} installs on top of minbase: a typical database and web server. */
const SERVER_PACKAGES = ['systemd', 'systemd-sysv', 'openssh-server', 'nginx', 'postgresql-15', 'python3', 'python3-pip', 'perl', 'curl', 'git', 'ca-certificates', 'sudo', 'rsyslog', 'cron', 'logrotate', 'vim-tiny', 'less', 'iproute2', 'iputils-ping', 'procps', 'gnupg'];

/**
 * A debootstrapped Debian bookworm server (`--variant=minbase` plus {@link SERVER_PACKAGES}:
 * ~220 packages, ~660 MB with PostgreSQL's initial cluster; apt caches and lists removed), for
 * the benchmarks. A few minutes and ~150 MB of downloads the first time; cached afterwards.
 */
export async function debianServerRootfs(): Promise<string> {
  requireComponent('debootstrap');
  return cached(join(testWorkDir, 'rootfs', 'bookworm-server'), async (tmp) => {
    await sh('debootstrap', ['--variant=minbase', `--include=${SERVER_PACKAGES.join(',')}`, 'bookworm', tmp, await debianMirror()]);
    await rm(join(tmp, 'var/cache/apt/archives'), { recursive: true, force: true });
    await mkdir(join(tmp, 'var/cache/apt/archives/partial'), { recursive: true });
    await rm(join(tmp, 'var/lib/apt/lists'), { recursive: true, force: true });
    await mkdir(join(tmp, 'var/lib/apt/lists/partial'), { recursive: true });
  });
}

/** Tags in the test layout, bottom to top. */
export type DebianTag = 'bookworm' | 'bookworm-node' | 'bookworm-node-del' | 'bookworm-opq';

/** The images {@link debianImages} builds. */
export interface DebianImages {
  /** The OCI layout directory holding every tag. */
  layout: string;
  /** `oci-dir:` style reference `LAYOUT:TAG` for a tag (also what skopeo's `oci:` wants). */
  ociRef(tag: DebianTag): string;
  /** docker-archive tarball of a tag (uncompressed layers, `RepoTags` `127.0.0.1:5000/test/debian:TAG`). */
  dockerArchive(tag: DebianTag): string;
  /** oci-archive tarball of `bookworm-node`. */
  ociArchive: string;
  /** The rootfs the base layer was made from. */
  rootfs: string;
}

/**
 * The test images, in one OCI layout:
 * - `bookworm`: one layer, the debootstrapped rootfs (empty `/dev`);
 * - `bookworm-node`: + `/app` with `npm install lodash@4.17.15 minimist@1.2.0` (and its lockfile),
 *   labelled with `org.opencontainers.image.base.name`;
 * - `bookworm-node-del`: + a layer of whiteouts removing `app/node_modules/lodash` and `etc/motd`
 *   (the lockfile still lists lodash);
 * - `bookworm-opq`: `bookworm-node` + a layer with an opaque whiteout in `app/node_modules`
 *   that re-adds only `minimist` (written before the marker, as tar order allows) and
 *   `usr/share/doc/.wh..wh..opq` with one new file.
 * Plus a docker-archive of every tag and an oci-archive of `bookworm-node`. ~20 s once.
 */
export async function debianImages(): Promise<DebianImages> {
  requireComponent('umoci', 'skopeo');
  const rootfs = await debianRootfs();
  const base = join(testWorkDir, 'images', 'debian');
  await cached(base, async (tmp) => {
    const layout = join(tmp, 'layout');
    const bundle = join(tmp, 'bundle');
    await mkdir(tmp, { recursive: true });
    await sh('umoci', ['init', '--layout', layout]);
    await sh('umoci', ['new', '--image', `${layout}:bookworm`]);
    // Layer 1: unpack an empty image, copy the rootfs in, repack (clean relative paths, no devices).
    await sh('umoci', ['unpack', '--image', `${layout}:bookworm`, bundle]);
    await sh('cp', ['-a', `${rootfs}/.`, join(bundle, 'rootfs')]);
    await sh('sh', ['-c', `rm -rf "${join(bundle, 'rootfs/dev')}"/*`]);
    await sh('umoci', ['repack', '--image', `${layout}:bookworm`, bundle]);
    await rm(bundle, { recursive: true, force: true });
    await sh('umoci', ['config', '--image', `${layout}:bookworm`, '--config.cmd', '/bin/bash', '--config.env', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
    // Layer 2: an app with old npm dependencies that have known advisories.
    await sh('umoci', ['unpack', '--image', `${layout}:bookworm`, bundle]);
    const app = join(bundle, 'rootfs/app');
    await mkdir(app, { recursive: true });
    await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'vigil-test-app', version: '1.0.0', private: true }, null, 2));
    await sh('npm', ['install', '--prefix', app, '--no-audit', '--no-fund', '--silent', '--save-exact', 'lodash@4.17.15', 'minimist@1.2.0']);
    await sh('umoci', ['repack', '--image', `${layout}:bookworm-node`, bundle]);
    await rm(bundle, { recursive: true, force: true });
    await sh('umoci', [
      'config',
      '--image',
      `${layout}:bookworm-node`,
      '--config.workingdir',
      '/app',
      '--config.label',
      'org.opencontainers.image.base.name=docker.io/library/debian:bookworm',
      '--config.label',
      'org.opencontainers.image.title=vigil-test-app',
    ]);
    // Layer 3: deletions, which umoci writes as whiteout entries.
    await sh('umoci', ['unpack', '--image', `${layout}:bookworm-node`, bundle]);
    await rm(join(bundle, 'rootfs/app/node_modules/lodash'), { recursive: true, force: true });
    await rm(join(bundle, 'rootfs/etc/motd'), { force: true });
    await sh('umoci', ['repack', '--image', `${layout}:bookworm-node-del`, bundle]);
    await rm(bundle, { recursive: true, force: true });
    // Layer 3': opaque whiteouts (umoci never writes them): a hand-made layer added verbatim.
    const opq = join(tmp, 'opq');
    const mini = join(opq, 'app/node_modules/minimist');
    await mkdir(mini, { recursive: true });
    await writeFile(join(mini, 'package.json'), JSON.stringify({ name: 'minimist', version: '1.2.8' }, null, 2));
    await writeFile(join(opq, 'app/node_modules/.wh..wh..opq'), '');
    await mkdir(join(opq, 'usr/share/doc'), { recursive: true });
    await writeFile(join(opq, 'usr/share/doc/README.vigil'), 'only file left in /usr/share/doc\n');
    await writeFile(join(opq, 'usr/share/doc/.wh..wh..opq'), '');
    const opqTar = join(tmp, 'opq.tar');
    // Order matters: minimist's files come before the opaque marker, which must not hide them.
    await sh('tar', ['-C', opq, '--owner=0', '--group=0', '-cf', opqTar, 'app/node_modules/minimist', 'app/node_modules/.wh..wh..opq', 'usr/share/doc/README.vigil', 'usr/share/doc/.wh..wh..opq']);
    await sh('umoci', ['raw', 'add-layer', '--image', `${layout}:bookworm-node`, '--tag', 'bookworm-opq', opqTar]);
    await rm(opq, { recursive: true, force: true });
    await rm(opqTar, { force: true });
    await sh('umoci', ['gc', '--layout', layout]);
    const archives = join(tmp, 'archives');
    await mkdir(archives, { recursive: true });
    for (const tag of ['bookworm', 'bookworm-node', 'bookworm-node-del', 'bookworm-opq'] as const) {
      await sh('skopeo', ['copy', '--quiet', `oci:${layout}:${tag}`, `docker-archive:${join(archives, `debian-${tag}.tar`)}:127.0.0.1:5000/test/debian:${tag}`]);
    }
    await sh('skopeo', ['copy', '--quiet', `oci:${layout}:bookworm-node`, `oci-archive:${join(archives, 'debian-bookworm-node.oci.tar')}`]);
  });
  const layout = join(base, 'layout');
  return {
    layout,
    rootfs,
    ociRef: (tag) => `${layout}:${tag}`,
    dockerArchive: (tag) => join(base, 'archives', `debian-${tag}.tar`),
    ociArchive: join(base, 'archives', 'debian-bookworm-node.oci.tar'),
  };
}

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Waits until something accepts TCP connections on 127.0.0.1:port. */
export async function waitForPort(port: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listening on 127.0.0.1:${port} after ${timeoutMs} ms`);
}

/** Options of {@link startRegistry}. */
export interface RegistryStartOptions {
  /** Where the registry POSTs push/pull notifications (CNCF distribution `notifications`). */
  notificationsUrl?: string;
  /** Sent as `Authorization: Bearer …` with each notification. */
  notificationsToken?: string;
  /** Require basic auth with this user (htpasswd, bcrypt). */
  basicAuth?: { username: string; password: string };
  /**
   * Require bearer tokens from a token service (`realm`), verified with `rootCertBundle`
   * (PEM of the certificate that signs the tokens), as distribution's `auth.token` does.
   */
  tokenAuth?: { realm: string; service: string; issuer: string; rootCertBundle: string };
  /** Serve https with this certificate and key (PEM files); `url` is then `https://…`. */
  tls?: { certificate: string; key: string };
}

/** A running registry. */
export interface TestRegistry {
  /** `http://127.0.0.1:PORT` (`https://` with TLS). */
  url: string;
  /** `127.0.0.1:PORT`, as image references spell it. */
  host: string;
  port: number;
  /** Its storage and config directory (deleted by {@link TestRegistry.stop}). */
  dir: string;
  /** Copies an image into the registry with skopeo (`src` is a skopeo source without `oci:`, e.g. `LAYOUT:TAG`). */
  push(src: string, repoTag: string, opts?: { format?: 'oci' | 'v2s2'; all?: boolean }): Promise<void>;
  /** Stops the registry process and removes its directory. */
  stop(): Promise<void>;
}

/**
 * Starts the apt `docker-registry` (CNCF distribution 2.8) on 127.0.0.1 and a free port,
 * with its own storage in a fresh directory. Optional notifications endpoint (for
 * continuous-scanning tests) and basic or token auth.
 */
export async function startRegistry(opts: RegistryStartOptions = {}): Promise<TestRegistry> {
  requireComponent('docker-registry', ...(opts.basicAuth ? ['htpasswd'] : []));
  const port = await freePort();
  await mkdir(join(testWorkDir, 'registries'), { recursive: true });
  const dir = join(testWorkDir, 'registries', `reg-${process.pid}-${port}`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(join(dir, 'data'), { recursive: true });
  const lines = ['version: 0.1', 'log: { level: warn, formatter: text }', 'storage:', `  filesystem: { rootdirectory: ${dir}/data }`, '  delete: { enabled: true }', 'http:', `  addr: 127.0.0.1:${port}`];
  if (opts.tls) lines.push(`  tls: { certificate: ${opts.tls.certificate}, key: ${opts.tls.key} }`);
  if (opts.basicAuth) {
    const htpasswd = await sh('htpasswd', ['-Bbn', opts.basicAuth.username, opts.basicAuth.password]);
    await writeFile(join(dir, 'htpasswd'), htpasswd);
    lines.push('auth:', '  htpasswd:', '    realm: vigil-test', `    path: ${dir}/htpasswd`);
  } else if (opts.tokenAuth) {
    await writeFile(join(dir, 'token-ca.pem'), opts.tokenAuth.rootCertBundle);
    lines.push(
      'auth:',
      '  token:',
      `    realm: ${opts.tokenAuth.realm}`,
      `    service: ${opts.tokenAuth.service}`,
      `    issuer: ${opts.tokenAuth.issuer}`,
      `    rootcertbundle: ${dir}/token-ca.pem`,
    );
  }
  if (opts.notificationsUrl) {
    lines.push(
      'notifications:',
      '  events: { includereferences: true }',
      '  endpoints:',
      '    - name: vigil',
      `      url: ${opts.notificationsUrl}`,
      ...(opts.notificationsToken ? [`      headers: { Authorization: [Bearer ${opts.notificationsToken}] }`] : []),
      '      timeout: 2s',
      '      threshold: 5',
      '      backoff: 1s',
      '      ignoredmediatypes: [application/octet-stream]',
    );
  }
  await writeFile(join(dir, 'config.yml'), `${lines.join('\n')}\n`);
  const child: ChildProcess = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  try {
    await waitForPort(port);
  } catch (err) {
    child.kill();
    throw new Error(`docker-registry did not start: ${(err as Error).message}\n${stderr}`);
  }
  const host = `127.0.0.1:${port}`;
  return {
    url: `${opts.tls ? 'https' : 'http'}://${host}`,
    host,
    port,
    dir,
    async push(src, repoTag, pushOpts = {}) {
      const args = ['copy', '--quiet', '--dest-tls-verify=false'];
      if (opts.basicAuth) args.push('--dest-creds', `${opts.basicAuth.username}:${opts.basicAuth.password}`);
      if (pushOpts.format) args.push('--format', pushOpts.format);
      if (pushOpts.all) args.push('--all');
      // A layout path (`/…:TAG`) is an OCI layout; anything else already names its transport.
      await sh('skopeo', [...args, src.startsWith('/') ? `oci:${src}` : src, `docker://${host}/${repoTag}`]);
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A one-layer image made from a root filesystem: its OCI layout reference and a docker-archive. */
export interface RootfsImage {
  /** `LAYOUT:TAG`, for `oci-dir:` targets. */
  ociRef: string;
  /** docker-archive tarball (uncompressed layer, `RepoTags` `127.0.0.1:5000/test/<tag>`). */
  dockerArchive: string;
}

/** Packs `rootfs` as a single-layer image tagged `tag` in the OCI layout `layout` (made if missing), with umoci. */
export async function layoutFromRootfs(rootfs: string, layout: string, tag: string): Promise<void> {
  const bundle = `${layout}-bundle-${tag}`;
  if (!existsSync(join(layout, 'index.json'))) await sh('umoci', ['init', '--layout', layout]);
  await sh('umoci', ['new', '--image', `${layout}:${tag}`]);
  await sh('umoci', ['unpack', '--image', `${layout}:${tag}`, bundle]);
  await sh('cp', ['-a', `${rootfs}/.`, join(bundle, 'rootfs')]);
  await sh('umoci', ['repack', '--image', `${layout}:${tag}`, bundle]);
  await rm(bundle, { recursive: true, force: true });
}

/**
 * Packs `rootfs` as a single-layer image under `dir` (umoci, then skopeo for the
 * docker-archive). Not cached: for small test trees a test builds for itself.
 */
export async function imageFromRootfs(rootfs: string, dir: string, tag: string): Promise<RootfsImage> {
  const layout = join(dir, 'layout');
  await layoutFromRootfs(rootfs, layout, tag);
  const dockerArchive = join(dir, `${tag}.docker.tar`);
  await sh('skopeo', ['copy', '--quiet', `oci:${layout}:${tag}`, `docker-archive:${dockerArchive}:127.0.0.1:5000/test/${tag}`]);
  return { ociRef: `${layout}:${tag}`, dockerArchive };
}
