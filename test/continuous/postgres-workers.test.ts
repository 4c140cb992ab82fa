/**
 * PostgreSQL mode: a server that only queues, two `vigil worker` processes sharing the
 * pg-boss queue. A slow loopback proxy in front of the registry holds the image pull open;
 * the worker running the scan is killed with SIGKILL mid-pull; pg-boss expires the job and
 * the other worker retries it. Afterwards the image has exactly its findings, once.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireComponent } from '../helpers/components.js';
import { log } from '../../src/log.js';
import { startServer, type RunningServer } from '../../src/server/start.js';
import { updateVulnDb } from '../../src/vulndb/update.js';
import { createPostgresDatabase, type PostgresDatabase } from '../helpers/postgres.js';
import { WebhookReceiver } from '../events/receiver.js';
import { freePort, pushTinyImage, startLocalRegistry, type LocalRegistry } from '../registries/local-registry.js';
import { debianTwoPackages, opensslAdvisory, writeAdvisories } from './fixtures.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'vigil-pg-workers-'));
const vulndb = join(dir, 'vulndb.sqlite');
let pgdb: PostgresDatabase;
let server: RunningServer;
let registry: LocalRegistry;
let proxy: Server;
let key: string;
const workers: ChildProcess[] = [];
const receiver = new WebhookReceiver();
/** Client ports of blob requests the proxy is holding. */
const heldBlobPorts: number[] = [];
/** The proxy holds blob responses until the victim is killed. */
let holding = true;

const env = {
  VIGIL_VULNDB: vulndb,
  VIGIL_DATA_DIR: dir,
  VIGIL_WEBHOOK_ALLOW_LOOPBACK: '1',
  VIGIL_WEBHOOK_BASE_DELAY_MS: '200',
  VIGIL_DB_UPDATE_EVERY_MINUTES: '0',
  // A job whose worker died is expired after 10 s and noticed within 1 s.
  VIGIL_JOB_EXPIRE_SECONDS: '10',
  VIGIL_JOB_MAINTENANCE_SECONDS: '1',
};

function startWorker(url: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'worker', '--database', url, '--vulndb', vulndb], {
    cwd: root,
    env: { ...process.env, ...env, VIGIL_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  workers.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('is working jobs')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`worker exited with ${code}: ${err}`)));
  });
}

/** The pid owning the client end of a loopback TCP connection to `port`. */
function pidOfClientPort(clientPort: number): number | undefined {
  const out = execFileSync('ss', ['-tnpH', 'state', 'established', `( sport = :${clientPort} )`], { encoding: 'utf8' });
  const m = /pid=(\d+)/.exec(out);
  return m ? Number(m[1]) : undefined;
}

beforeAll(async () => {
  requireComponent('ss');
  writeAdvisories(join(dir, 'osv'), [opensslAdvisory]);
  await updateVulnDb({ dbPath: vulndb, sources: [`osv=${join(dir, 'osv')}`] });
  Object.assign(process.env, env);
  pgdb = await createPostgresDatabase();
  server = await startServer({ listen: { host: '127.0.0.1', port: 0 }, database: pgdb.url, vulndb, log: log.child({ test: true }) });
  key = server.bootstrap!.key;
  await receiver.start();
  await Promise.all([startWorker(pgdb.url), startWorker(pgdb.url)]);
}, 120_000);

afterAll(async () => {
  for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGTERM');
  await Promise.all(workers.map((w) => (w.exitCode === null && w.signalCode === null ? new Promise((r) => w.once('exit', r)) : undefined)));
  await server?.close();
  await registry?.stop();
  await new Promise<void>((r) => (proxy ? proxy.close(() => r()) : r()));
  await receiver.stop();
  await pgdb?.drop();
  rmSync(dir, { recursive: true, force: true });
});

async function api(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  if (res.status >= 300) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
}

describe('PostgreSQL mode with two workers', () => {
  it('retries a scan whose worker was killed mid-pull; no finding is lost or duplicated', async () => {
    const sub = await api('POST', '/api/v1/subscriptions', { url: receiver.url, eventTypes: ['vigil.finding.created', 'vigil.scan.completed'] });
    receiver.secret = sub.secret as string;
    const registryPort = await freePort();
    const proxyPort = await freePort();
    // Vigil pulls through the proxy, which holds blob responses for 3 s until the kill.
    proxy = createServer((req, res) => {
      const isBlob = holding && /\/blobs\/sha256:/.test(req.url ?? '');
      if (isBlob) heldBlobPorts.push(req.socket.remotePort!);
      const forward = () => {
        const up = request({ host: '127.0.0.1', port: registryPort, path: req.url, method: req.method, headers: req.headers }, (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        });
        up.on('error', () => res.destroy());
        req.pipe(up);
      };
      if (isBlob) setTimeout(forward, 3000);
      else forward();
    });
    await new Promise<void>((r) => proxy.listen(proxyPort, '127.0.0.1', r));
    const reg = await api('POST', '/api/v1/registries', { url: `http://127.0.0.1:${proxyPort}`, allowPrivateNetwork: true, modes: ['ON_PUSH'] });
    registry = await startLocalRegistry({ port: registryPort, notifyUrl: reg.notificationUrl as string, token: reg.notificationToken as string });

    await pushTinyImage(registry.host, 'apps/db:1', debianTwoPackages);
    // Wait for the first held blob request, find the worker that made it, kill it.
    const deadline = Date.now() + 20_000;
    while (heldBlobPorts.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(heldBlobPorts.length).toBeGreaterThan(0);
    const pid = pidOfClientPort(heldBlobPorts[0]);
    const victim = workers.find((w) => w.pid === pid);
    expect(victim, `blob request from pid ${pid}, workers ${workers.map((w) => w.pid).join(',')}`).toBeDefined();
    victim!.kill('SIGKILL');
    await new Promise((r) => victim!.once('exit', r));
    holding = false;

    // The survivor picks the job up after expiry and completes it.
    await receiver.waitFor((r) => r.some((x) => x.event.type === 'vigil.scan.completed'), 60_000);
    const kysely = server.db.kysely;
    const resources = await kysely.selectFrom('resources').select(['id', 'name', 'last_scan_status']).execute();
    expect(resources).toHaveLength(1);
    expect(resources[0].last_scan_status).toBe('SUCCESSFUL');
    const findings = await kysely.selectFrom('findings').select(['vulnerability_id', 'package_name', 'status']).where('resource_id', '=', resources[0].id).execute();
    expect(findings).toEqual([{ vulnerability_id: 'CVE-2026-9001', package_name: 'openssl', status: 'ACTIVE' }]);
    const scans = await kysely.selectFrom('scans').select(['status', 'trigger']).where('resource_id', '=', resources[0].id).execute();
    expect(scans).toEqual([{ status: 'SUCCESSFUL', trigger: 'PULLED' }]);
    await receiver.waitFor((r) => r.some((x) => x.event.type === 'vigil.finding.created'), 10_000);
    expect(receiver.ids('vigil.finding.created').size).toBe(1);
    expect(receiver.received.every((r) => r.signatureValid)).toBe(true);
    // The job completed on its retry, after the kill.
    const jobs = await sql<{ state: string; retry_count: number }>`SELECT state, retry_count FROM pgboss.job WHERE name = 'scan-image'`.execute(kysely);
    expect(jobs.rows).toEqual([{ state: 'completed', retry_count: 1 }]);
  }, 120_000);
});
