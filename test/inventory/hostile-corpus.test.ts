/**
 * The whole hostile corpus (scripts/make-hostile-fixtures.ts), end to end, the way an
 * attacker would deliver it:
 *
 * - through the CLI: `vigil sbom --format json TARGET` per case, in a child process whose
 *   peak RSS `/usr/bin/time` measures;
 * - through a running `vigil server` (a child process too): every image case pushed to a
 *   real `docker-registry` on loopback (TLS, the server's puller speaks https) and pulled
 *   with a scanner key, the SBOM cases posted, and an `oci-dir:` reference to a layout that
 *   links out of itself. /healthz is polled during every request, and the server's peak RSS
 *   (reset per case through /proc/PID/clear_refs) is read after it.
 *
 * Per case it prints the outcome and the peak memory, and asserts: no crash (exit 0 or a
 * clear error with exit 2; a 201 or a 4xx, never a signal, a timeout or a 5xx), no read
 * outside the target (the sentinel package kept outside every layout never appears; links to
 * /dev/zero and FIFOs are refused), peak RSS under 512 MiB, /healthz answering throughout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SENTINEL_PACKAGE, makeHostileFixtures, type HostileFixtures } from '../../scripts/make-hostile-fixtures.js';
import { updateVulnDb } from '../../src/vulndb/update.js';
import { runVigil, type CliResult } from '../helpers/cli.js';
import { sh, startRegistry, type TestRegistry } from '../helpers/images.js';
import { opensslAdvisory, writeAdvisories } from '../continuous/fixtures.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const MAX_RSS = 512 * 1024 * 1024;
const MiB = (n: number | undefined): string => (n === undefined ? '?' : `${Math.round(n / 1024 / 1024)} MiB`);

/** Cases the CLI must refuse with exit 2 and a message saying what was not read. */
const REFUSED = new Set(['oci-index-dev-zero', 'oci-blob-outside', 'oci-blob-fifo', 'oci-blobs-dir-outside']);

/**
 * Image cases a registry stores as they are (the others break the layout itself: missing
 * blobs, bad JSON, links), with the answer the server gives: 201 when the scan goes on with
 * warnings, 422 when the image cannot be read. Checking the status also proves each pull
 * reached the registry.
 */
const PULL_STATUS: Record<string, 201 | 422> = {
  'path-traversal': 201,
  'symlink-loop': 201,
  'symlink-escape': 201,
  'hardlink-missing': 201,
  'device-file': 201,
  'gzip-bomb': 201,
  'zstd-bomb': 201,
  'zstd-window-bomb': 422,
  'entry-flood': 201,
  'truncated-layer': 422,
  'non-utf8-name': 201,
  'not-a-tar': 422,
  'absurd-layer-count': 422,
  'deep-path': 201,
  'deep-path-components': 201,
  'deep-path-flood': 201,
  'pom-bomb': 201,
  'deep-package-lock': 201,
};
const PUSHABLE = Object.keys(PULL_STATUS);


let dir: string;
let fixtures: HostileFixtures;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-hostile-corpus-'));
  fixtures = await makeHostileFixtures(join(dir, 'fixtures'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `fn` over the items, `width` at a time. */
async function pool<T, R>(items: T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i]);
      }
    }),
  );
  return results;
}

describe('hostile corpus through the CLI', () => {
  it('ends every case in a result or a clear error, reads nothing outside the target, stays under 512 MiB', async () => {
    const names = Object.keys(fixtures);
    const results = await pool(names, 2, (name) => runVigil(['sbom', '--format', 'json', fixtures[name]], { measureMemory: true, timeoutMs: 120_000 }));
    const report: string[] = [];
    const problems: string[] = [];
    for (const [i, name] of names.entries()) {
      const r: CliResult = results[i];
      const firstError = r.stderr.split('\n').find((l) => l && !l.startsWith('vigil: warning')) ?? '';
      report.push(`${name.padEnd(24)} exit ${r.signal ?? r.code}${r.timedOut ? ' (timed out)' : ''}  peak ${MiB(r.peakRssBytes).padStart(8)}  ${firstError.slice(0, 110)}`);
      if (r.signal || r.timedOut || (r.code !== 0 && r.code !== 2)) problems.push(`${name}: crashed (${r.signal ?? `exit ${r.code}`}${r.timedOut ? ', timed out' : ''})`);
      if (/Maximum call stack|heap out of memory|^\s+at /m.test(r.stderr)) problems.push(`${name}: stack or heap failure: ${r.stderr.slice(0, 300)}`);
      if (r.stdout.includes(SENTINEL_PACKAGE) || r.stderr.includes(SENTINEL_PACKAGE)) problems.push(`${name}: read the sentinel outside the target`);
      if (r.peakRssBytes === undefined || r.peakRssBytes > MAX_RSS) problems.push(`${name}: peak RSS ${MiB(r.peakRssBytes)}`);
      if (REFUSED.has(name) && (r.code !== 2 || !/not read$/m.test(r.stderr))) problems.push(`${name}: not refused: ${r.stderr.slice(0, 300)}`);
    }
    console.log(`hostile corpus, CLI (vigil sbom):\n${report.join('\n')}`);
    expect(problems).toEqual([]);
  }, 900_000);
});

/** An https request to the TLS registry, trusting its certificate. */
function registryRequest(url: URL, method: string, ca: string, body?: Buffer, contentType?: string): Promise<{ status: number; location?: string; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { method, ca, headers: contentType ? { 'content-type': contentType } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Pushes an OCI layout's image to the registry byte for byte (no tool re-checking or re-compressing what is hostile about it). */
async function pushLayout(registry: TestRegistry, ca: string, layout: string, repository: string): Promise<void> {
  const blob = (digest: string): Buffer => readFileSync(join(layout, 'blobs', 'sha256', digest.slice(7)));
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string; mediaType: string }[] };
  const manifest = blob(index.manifests[0].digest);
  const parsed = JSON.parse(manifest.toString('utf8')) as { config: { digest: string }; layers: { digest: string }[] };
  for (const digest of new Set([parsed.config.digest, ...parsed.layers.map((l) => l.digest)])) {
    const started = await registryRequest(new URL(`${registry.url}/v2/${repository}/blobs/uploads/`), 'POST', ca);
    if (started.status !== 202 || !started.location) throw new Error(`upload of ${digest} to ${repository} not started: ${started.status} ${started.text}`);
    const put = new URL(started.location, registry.url);
    put.searchParams.set('digest', digest);
    const done = await registryRequest(put, 'PUT', ca, blob(digest), 'application/octet-stream');
    if (done.status !== 201) throw new Error(`upload of ${digest} to ${repository}: ${done.status} ${done.text}`);
  }
  const res = await registryRequest(new URL(`${registry.url}/v2/${repository}/manifests/1`), 'PUT', ca, manifest, index.manifests[0].mediaType);
  if (res.status !== 201) throw new Error(`manifest of ${repository}: ${res.status} ${res.text}`);
}

/** A `vigil server` child process. */
interface ServerProcess {
  child: ChildProcess;
  url: string;
  bootstrapKey: string;
}

function startServerProcess(args: string[], env: NodeJS.ProcessEnv): Promise<ServerProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', `${root}/src/cli/main.ts`, 'server', ...args], {
      cwd: root,
      env: { ...process.env, VIGIL_LOG_LEVEL: 'silent', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out} ${err}`)), 120_000);
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const url = /Vigil is running at (http:\/\/\S+?)\/ /.exec(out)?.[1];
      const key = /^\s+(vgl_\S+)$/m.exec(out)?.[1];
      if (url && key && /Database: .*\n/.test(out)) {
        clearTimeout(timer);
        resolve({ child, url, bootstrapKey: key });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${out} ${err}`));
    });
  });
}

/** The process's peak RSS since the last reset (VmHWM). */
function peakRss(pid: number): number {
  const kib = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kib) * 1024;
}

describe('hostile corpus through the server', () => {
  let server: ServerProcess;
  let registry: TestRegistry;
  let ca: string;
  let scannerKey: string;

  beforeAll(async () => {
    const work = join(dir, 'server');
    // A certificate for 127.0.0.1: the server pulls over https only.
    await sh('mkdir', ['-p', work]);
    await sh('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(work, 'key.pem'), '-out', join(work, 'cert.pem')]);
    ca = readFileSync(join(work, 'cert.pem'), 'utf8');
    registry = await startRegistry({ tls: { certificate: join(work, 'cert.pem'), key: join(work, 'key.pem') } });
    for (const name of PUSHABLE) await pushLayout(registry, ca, fixtures[name].replace(/^oci-dir:/, ''), `hostile/${name}`);
    writeAdvisories(join(work, 'osv'), [opensslAdvisory]);
    await updateVulnDb({ dbPath: join(work, 'vulndb.sqlite'), sources: [`osv=${join(work, 'osv')}`] });
    server = await startServerProcess(['--listen', '127.0.0.1:0', '--database', `sqlite:${join(work, 'vigil.db')}`, '--vulndb', join(work, 'vulndb.sqlite')], {
      NODE_EXTRA_CA_CERTS: join(work, 'cert.pem'),
      // The registry is on loopback, which the outbound policy refuses unless the operator allows it.
      VIGIL_OUTBOUND_ALLOW: '127.0.0.1',
    });
    const made = await fetch(`${server.url}/api/v1/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.bootstrapKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ role: 'scanner', name: 'hostile-corpus' }),
    });
    scannerKey = ((await made.json()) as { key: string }).key;
  });
  afterAll(async () => {
    if (server?.child.exitCode === null) {
      const exited = new Promise((r) => server.child.once('exit', r));
      server.child.kill('SIGTERM');
      await exited;
    }
    await registry?.stop();
  });

  it('answers every case with a result or a 4xx, reads nothing outside the target, stays under 512 MiB, keeps /healthz answering', async () => {
    const pid = server.child.pid!;
    // Bodies as text: JSON.stringify itself overflows the stack on the deep SBOM.
    const cases: { name: string; body: string; status: number }[] = [
      ...PUSHABLE.map((name) => ({ name, body: JSON.stringify({ image: `${registry.host}/hostile/${name}:1` }), status: PULL_STATUS[name] })),
      { name: 'deep-cyclonedx', body: `{"inventory":${readFileSync(fixtures['deep-cyclonedx'].replace(/^sbom:/, ''), 'utf8')}}`, status: 400 },
      // The server reads no files of its own: a layout path is refused before anything is opened.
      { name: 'oci-blob-outside (oci-dir: reference)', body: JSON.stringify({ image: fixtures['oci-blob-outside'] }), status: 422 },
    ];
    const report: string[] = [];
    const problems: string[] = [];
    for (const c of cases) {
      try {
        writeFileSync(`/proc/${pid}/clear_refs`, '5');
      } catch {
        // Kernels before 4.0 cannot reset the peak: the figure is then the peak so far.
      }
      let polling = true;
      const health = { answered: 0, failed: 0, slowest: 0 };
      const poller = (async () => {
        while (polling) {
          const started = performance.now();
          const ok = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(5000) }).then(
            (r) => r.ok,
            () => false,
          );
          health.slowest = Math.max(health.slowest, performance.now() - started);
          if (ok) health.answered++;
          else health.failed++;
          await new Promise((r) => setTimeout(r, 200));
        }
      })();
      const res = await fetch(`${server.url}/api/v1/scans`, {
        method: 'POST',
        headers: { authorization: `Bearer ${scannerKey}`, 'content-type': 'application/json' },
        body: c.body,
        signal: AbortSignal.timeout(120_000),
      }).then(
        async (r) => ({ status: r.status, text: await r.text() }),
        (err: unknown) => ({ status: 0, text: String(err) }),
      );
      polling = false;
      await poller;
      const rss = server.child.exitCode === null ? peakRss(pid) : undefined;
      const detail = res.status >= 400 ? ((JSON.parse(res.text) as { detail?: string }).detail ?? res.text) : '';
      report.push(`${c.name.padEnd(38)} HTTP ${res.status}  peak ${MiB(rss).padStart(8)}  /healthz ${health.answered} ok, ${health.failed} failed, slowest ${Math.round(health.slowest)} ms  ${detail.slice(0, 120)}`);
      if (server.child.exitCode !== null) problems.push(`${c.name}: the server exited (${server.child.exitCode ?? server.child.signalCode})`);
      if (res.status !== c.status) problems.push(`${c.name}: HTTP ${res.status}, expected ${c.status}: ${res.text.slice(0, 300)}`);
      if (res.text.includes(SENTINEL_PACKAGE)) problems.push(`${c.name}: read the sentinel outside the target`);
      if (health.failed > 0 || health.answered === 0) problems.push(`${c.name}: /healthz failed ${health.failed} times, answered ${health.answered}`);
      if (rss === undefined || rss > MAX_RSS) problems.push(`${c.name}: peak RSS ${MiB(rss)}`);
      if (problems.length > 0 && server.child.exitCode !== null) break;
    }
    const after = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(5000) }).then(
      (r) => r.status,
      () => 0,
    );
    console.log(`hostile corpus, server (POST /api/v1/scans with a scanner key):\n${report.join('\n')}\n/healthz after: ${after}`);
    expect(after).toBe(200);
    expect(problems).toEqual([]);
  }, 900_000);
});
