/**
 * A real `vigil server` process under what one account can do to it: pull from loopback,
 * pull from a registry that drips, delete a subscription while its delivery is out, and a
 * restart with another server key. The process must keep answering /healthz and the other
 * accounts throughout, and errors must say what failed without socket internals.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { updateVulnDb } from '../../src/vulndb/update.js';
import { opensslAdvisory, writeAdvisories } from '../continuous/fixtures.js';
import { WebhookReceiver } from '../events/receiver.js';
import { npmInventory } from './harness.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'vigil-hostile-'));
const vulndb = join(dir, 'vulndb.sqlite');
const database = `sqlite:${join(dir, 'vigil.db')}`;

interface Running {
  child: ChildProcess;
  url: string;
  out: string;
  exited: () => boolean;
}

function startVigil(secretKey: string): Promise<Running> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', `${root}/src/cli/main.ts`, 'server', '--listen', '127.0.0.1:0', '--database', database, '--vulndb', vulndb], {
      cwd: root,
      env: {
        ...process.env,
        VIGIL_LOG_LEVEL: 'silent',
        VIGIL_DATA_DIR: dir,
        VIGIL_SECRET_KEY: secretKey,
        VIGIL_WEBHOOK_ALLOW_LOOPBACK: '1',
        VIGIL_WEBHOOK_BASE_DELAY_MS: '200',
        VIGIL_DB_UPDATE_EVERY_MINUTES: '0',
        VIGIL_PULL_TIMEOUT_SECONDS: '2',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let exited = false;
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 60_000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const url = /Vigil is running at (http:\/\/\S+?)\/ /.exec(out)?.[1];
      if (url && /Database: .*\n/.test(out)) {
        clearTimeout(timer);
        resolve({ child, url, out, exited: () => exited });
      }
    });
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => {
      exited = true;
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${out}`));
    });
  });
}

async function stopVigil(s: Running): Promise<void> {
  if (s.exited()) return;
  await new Promise((done) => {
    s.child.once('exit', done);
    s.child.kill('SIGTERM');
  });
}

let server: Running;
let adminKey: string;
const acme: Record<string, string> = {};
const globexViewer: { key: string } = { key: '' };
const receiver = new WebhookReceiver();
let holder: Server;
let held: ServerResponse | undefined;
let drip: Server;

async function api(key: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** The process is alive, /healthz answers, and another account reads its own data. */
async function stillServing(): Promise<void> {
  expect(server.exited()).toBe(false);
  const started = Date.now();
  const health = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(5000) });
  expect(health.status).toBe(200);
  expect(Date.now() - started).toBeLessThan(1000);
  expect((await api(globexViewer.key, 'GET', '/api/v1/resources')).status).toBe(200);
}

function listen(s: Server): Promise<number> {
  return new Promise((r) => s.listen(0, '127.0.0.1', () => r((s.address() as AddressInfo).port)));
}

beforeAll(async () => {
  const osv = join(dir, 'osv');
  writeAdvisories(osv, [opensslAdvisory]);
  await updateVulnDb({ dbPath: vulndb, sources: [`osv=${osv}`] });
  server = await startVigil(randomBytes(32).toString('hex'));
  adminKey = /^\s+(vgl_\S+)$/m.exec(server.out)![1];
  for (const id of ['acme', 'globex']) expect((await api(adminKey, 'POST', '/api/v1/accounts', { id })).status).toBe(201);
  for (const role of ['admin', 'scanner']) acme[role] = (await api(adminKey, 'POST', '/api/v1/keys', { accountId: 'acme', role })).json.key as string;
  globexViewer.key = (await api(adminKey, 'POST', '/api/v1/keys', { accountId: 'globex', role: 'viewer' })).json.key as string;
  await receiver.start();
  holder = createServer((req, res) => {
    req.resume();
    held = res;
  });
  await listen(holder);
  drip = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
    const timer = setInterval(() => res.write(' '), 100);
    res.on('close', () => clearInterval(timer));
  });
  await listen(drip);
}, 120_000);

afterAll(async () => {
  if (server) await stopVigil(server);
  await receiver.stop();
  holder?.closeAllConnections();
  drip?.closeAllConnections();
  await new Promise<void>((r) => (holder ? holder.close(() => r()) : r()));
  await new Promise<void>((r) => (drip ? drip.close(() => r()) : r()));
  rmSync(dir, { recursive: true, force: true });
});

describe('one account against the server process', () => {
  it('cannot make it pull from loopback, and learns only that the policy refused', async () => {
    const res = await api(acme.scanner, 'POST', '/api/v1/scans', { image: `127.0.0.1:${(holder.address() as AddressInfo).port}/x/y:1` });
    expect(res.status).toBe(422);
    expect(res.json.detail).toMatch(/connection refused by policy: 127\.0\.0\.1 is a loopback address$/);
    expect(held).toBeUndefined();
    // Only the delegated administrator may allow a registry on private addresses.
    const reg = await api(acme.admin, 'POST', '/api/v1/registries', { url: 'http://127.0.0.1:1', allowPrivateNetwork: true });
    expect(reg.status).toBe(403);
    await stillServing();
  });

  it('cannot hold a request with a registry that drips: the pull ends at its deadline', async () => {
    const port = (drip.address() as AddressInfo).port;
    const reg = await api(adminKey, 'POST', '/api/v1/registries', { accountId: 'acme', url: `http://127.0.0.1:${port}`, allowPrivateNetwork: true });
    expect(reg.status).toBe(201);
    const started = Date.now();
    const pulling = api(acme.scanner, 'POST', '/api/v1/scans', { image: `127.0.0.1:${port}/x/y:1` });
    await new Promise((r) => setTimeout(r, 500));
    await stillServing();
    const res = await pulling;
    expect(res.status).toBe(422);
    expect(res.json.detail).toMatch(/the pull did not finish within 2 s \(VIGIL_PULL_TIMEOUT_SECONDS\)/);
    expect(Date.now() - started).toBeLessThan(6000);
  });

  it('survives a subscription deleted while its delivery is out', async () => {
    const port = (holder.address() as AddressInfo).port;
    const doomed = await api(acme.admin, 'POST', '/api/v1/subscriptions', { url: `http://127.0.0.1:${port}/hook`, eventTypes: ['vigil.scan.*'] });
    expect(doomed.status).toBe(201);
    const scan = await api(acme.scanner, 'POST', '/api/v1/scans', { inventory: npmInventory('host-1') });
    expect(scan.status).toBe(201);
    for (const deadline = Date.now() + 10_000; !held && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 50));
    expect(held).toBeDefined();
    expect((await api(acme.admin, 'DELETE', `/api/v1/subscriptions/${(doomed.json.subscription as { id: string }).id}`)).status).toBe(204);
    held!.writeHead(204).end();
    await new Promise((r) => setTimeout(r, 1000));
    await stillServing();
  });

  it('keeps serving after a restart with another server key, and delivers once the secret is set again', async () => {
    const sub = await api(acme.admin, 'POST', '/api/v1/subscriptions', { url: receiver.url, eventTypes: ['vigil.scan.*'] });
    const subId = (sub.json.subscription as { id: string }).id;
    const reg = await api(acme.admin, 'POST', '/api/v1/registries', { url: 'https://registry.example', credentials: { username: 'u', password: 'p' } });
    const regId = (reg.json.registry as { id: string }).id;
    await stopVigil(server);

    server = await startVigil(randomBytes(32).toString('hex'));
    expect((await api(acme.scanner, 'POST', '/api/v1/scans', { inventory: npmInventory('host-2') })).status).toBe(201);
    await new Promise((r) => setTimeout(r, 1500));
    await stillServing();
    expect((await api(acme.admin, 'GET', `/api/v1/subscriptions/${subId}`)).json).toMatchObject({ secretUnreadable: true });
    expect((await api(acme.admin, 'GET', `/api/v1/registries/${regId}`)).json).toMatchObject({ credentialsUnreadable: true });
    expect(receiver.received).toEqual([]);

    // Another account's admin cannot set them.
    const globexAdmin = (await api(adminKey, 'POST', '/api/v1/keys', { accountId: 'globex', role: 'admin' })).json.key as string;
    expect((await api(globexAdmin, 'PUT', `/api/v1/subscriptions/${subId}/secret`, {})).status).toBe(404);
    expect((await api(globexAdmin, 'PUT', `/api/v1/registries/${regId}/credentials`, { credentials: null })).status).toBe(404);

    const secret = await api(acme.admin, 'PUT', `/api/v1/subscriptions/${subId}/secret`, {});
    expect(secret.status).toBe(200);
    receiver.secret = secret.json.secret as string;
    await receiver.waitFor((r) => r.some((x) => x.event.type === 'vigil.scan.completed' && x.signatureValid), 10_000);
    const fixed = await api(acme.admin, 'PUT', `/api/v1/registries/${regId}/credentials`, { credentials: { username: 'u', password: 'p2' } });
    expect(fixed.json).not.toHaveProperty('credentialsUnreadable');
    await stillServing();
  });
});
