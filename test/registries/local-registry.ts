/**
 * A real CNCF distribution registry (`docker-registry`) on 127.0.0.1 with notifications
 * pointed where the test says, and tiny images built with umoci and pushed with skopeo.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { requireComponent } from '../helpers/components.js';

const run = promisify(execFile);

/** A free loopback TCP port. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

/** A running registry. */
export interface LocalRegistry {
  host: string;
  url: string;
  dir: string;
  /** The registry's own log (requests, blob fetches). */
  log(): string;
  stop(): Promise<void>;
}

/** Starts `docker-registry serve` on a free loopback port; notifications go to `notifyUrl` with the bearer token. */
export async function startLocalRegistry(opts: { notifyUrl?: string; token?: string; port?: number } = {}): Promise<LocalRegistry> {
  requireComponent('docker-registry');
  const dir = mkdtempSync(join(tmpdir(), 'vigil-registry-'));
  const port = opts.port ?? (await freePort());
  mkdirSync(join(dir, 'data'));
  const notifications = opts.notifyUrl
    ? `notifications:
  events: { includereferences: true }
  endpoints:
    - name: vigil
      url: ${opts.notifyUrl}
      headers: { Authorization: [Bearer ${opts.token ?? ''}] }
      timeout: 2s
      threshold: 5
      backoff: 1s
      ignoredmediatypes: [application/octet-stream]
`
    : '';
  writeFileSync(
    join(dir, 'config.yml'),
    `version: 0.1
log: { level: info, formatter: text, accesslog: { disabled: false } }
storage:
  filesystem: { rootdirectory: ${dir}/data }
  delete: { enabled: true }
http:
  addr: 127.0.0.1:${port}
${notifications}`,
  );
  const logFile = join(dir, 'registry.log');
  const out = (await import('node:fs')).openSync(logFile, 'a');
  const child: ChildProcess = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: ['ignore', out, out] });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const res = await fetch(`${url}/v2/`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`docker-registry did not start: ${readFileSync(logFile, 'utf8')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    host: `127.0.0.1:${port}`,
    url,
    dir,
    log: () => readFileSync(logFile, 'utf8'),
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Builds a one-layer OCI image holding `files` (path → content) and pushes it as `repo:tag`. */
export async function pushTinyImage(registryHost: string, repoTag: string, files: Record<string, string>): Promise<void> {
  requireComponent('umoci', 'skopeo');
  const dir = mkdtempSync(join(tmpdir(), 'vigil-tiny-'));
  try {
    const layout = join(dir, 'layout');
    await run('umoci', ['init', '--layout', layout]);
    await run('umoci', ['new', '--image', `${layout}:t`]);
    await run('umoci', ['unpack', '--image', `${layout}:t`, join(dir, 'b')]);
    for (const [path, content] of Object.entries(files)) {
      const full = join(dir, 'b', 'rootfs', path);
      mkdirSync(join(full, '..'), { recursive: true });
      writeFileSync(full, content);
    }
    await run('umoci', ['repack', '--image', `${layout}:t`, join(dir, 'b')]);
    await copyToRegistry(`oci:${layout}:t`, registryHost, repoTag);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `skopeo copy` from any transport to the loopback registry. */
export async function copyToRegistry(source: string, registryHost: string, repoTag: string): Promise<void> {
  requireComponent('skopeo');
  await run('skopeo', ['copy', '-q', '--dest-tls-verify=false', source, `docker://${registryHost}/${repoTag}`]);
}

/** Reads an image from the registry (produces pull events). */
export async function inspect(registryHost: string, repoTag: string): Promise<{ Digest: string }> {
  const { stdout } = await run('skopeo', ['inspect', '--tls-verify=false', `docker://${registryHost}/${repoTag}`]);
  return JSON.parse(stdout) as { Digest: string };
}
