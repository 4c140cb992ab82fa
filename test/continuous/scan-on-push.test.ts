/**
 * Continuous scanning end to end on the embedded database: a real docker-registry on
 * loopback notifies a real Vigil server; skopeo pushes an image; a loopback receiver gets
 * signed webhooks. Then the receiver goes down while an advisory update re-evaluates the
 * stored inventory (no blob fetched again), and every event arrives once it is back.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { continuousHandle } from '../../src/jobs/attach.js';
import { log } from '../../src/log.js';
import { startServer, type RunningServer } from '../../src/server/start.js';
import { updateVulnDb } from '../../src/vulndb/update.js';
import { WebhookReceiver } from '../events/receiver.js';
import { freePort, pushTinyImage, startLocalRegistry, type LocalRegistry } from '../registries/local-registry.js';
import { debianTwoPackages, opensslAdvisory, writeAdvisories, zlibAdvisory } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-continuous-'));
const advisories = join(dir, 'osv');
const vulndb = join(dir, 'vulndb.sqlite');
let server: RunningServer;
let registry: LocalRegistry;
let key: string;
const receiver = new WebhookReceiver();

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

function blobFetches(): number {
  return registry.log().split('\n').filter((l) => /"(GET|HEAD) \/v2\/[^"]*\/blobs\/sha256:/.test(l)).length;
}

beforeAll(async () => {
  writeAdvisories(advisories, [opensslAdvisory]);
  await updateVulnDb({ dbPath: vulndb, sources: [`osv=${advisories}`] });
  // No VIGIL_VULNDB: the continuous runtime must take the server's --vulndb.
  Object.assign(process.env, {
    VIGIL_DATA_DIR: dir,
    VIGIL_WEBHOOK_ALLOW_LOOPBACK: '1',
    VIGIL_WEBHOOK_BASE_DELAY_MS: '200',
    VIGIL_DB_UPDATE_EVERY_MINUTES: '0',
  });
  server = await startServer({ listen: { host: '127.0.0.1', port: 0 }, database: `sqlite:${join(dir, 'vigil.db')}`, vulndb, log: log.child({ test: true }) });
  key = server.bootstrap!.key;
  await receiver.start();
});

afterAll(async () => {
  await server?.close();
  await registry?.stop();
  await receiver.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('continuous scanning (SQLite)', () => {
  it('scans a pushed image and delivers signed scan.completed and finding.created webhooks within 10 s', async () => {
    const sub = await api('POST', '/api/v1/subscriptions', { url: receiver.url, eventTypes: ['vigil.scan.*', 'vigil.finding.*'] });
    expect(sub.status).toBe(201);
    receiver.secret = sub.json.secret as string;

    const port = await freePort();
    const reg = await api('POST', '/api/v1/registries', { url: `http://127.0.0.1:${port}`, allowPrivateNetwork: true, modes: ['ON_PUSH'], resourceTags: { env: 'test' }, rescanWindow: { kind: 'DAYS_SINCE_PUSH', days: 30 } });
    expect(reg.status).toBe(201);
    const registryId = (reg.json.registry as { id: string }).id;
    expect(reg.json.registryConfig).toContain(`/api/v1/registry-hooks/${registryId}`);
    registry = await startLocalRegistry({ port, notifyUrl: reg.json.notificationUrl as string, token: reg.json.notificationToken as string });

    // umoci builds the image, then skopeo pushes it; the clock starts when the push is done.
    await pushTinyImage(registry.host, 'apps/api:1.0', debianTwoPackages);
    const pushed = Date.now();
    await receiver.waitFor((r) => r.some((x) => x.event.type === 'vigil.scan.completed') && r.some((x) => x.event.type === 'vigil.finding.created'), 10_000);
    expect(Date.now() - pushed).toBeLessThan(10_000);
    expect(receiver.received.every((r) => r.signatureValid)).toBe(true);
    const scan = receiver.received.find((r) => r.event.type === 'vigil.scan.completed')!.event;
    expect(scan.data).toMatchObject({ firstScan: true, trigger: 'PULLED', findingCount: 1, severityCounts: { CRITICAL: 1 }, resource: { type: 'CONTAINER_IMAGE', tags: { env: 'test' } } });
    const created = receiver.received.filter((r) => r.event.type === 'vigil.finding.created').map((r) => r.event);
    expect(created.map((e) => e.data.vulnerabilityId)).toEqual(['CVE-2026-9001']);
    // CVSS 3.1 AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N is 9.1.
    expect(created[0].data).toMatchObject({ package: { name: 'openssl', ecosystem: 'Debian:12' }, status: 'ACTIVE', severity: 'CRITICAL', score: 9.1 });
  });

  it('re-evaluates the stored inventory after an advisory update, without fetching blobs, and delivers every event after an outage', async () => {
    const c = await continuousHandle(server.app)!;
    expect(c.queue.backend).toBe('sqlite');
    expect(c.engine.path).toBe(vulndb);
    const blobsBefore = blobFetches();
    expect(blobsBefore).toBeGreaterThan(0);
    const idsBefore = new Set(receiver.ids());
    await receiver.stop();

    writeAdvisories(advisories, [zlibAdvisory]);
    await c.queue.send('db-update', { sources: [`osv=${advisories}`] });
    // Wait until the re-evaluation's events are in the log (deliveries keep failing meanwhile).
    const deadline = Date.now() + 20_000;
    for (;;) {
      const rows = await server.db.kysely.selectFrom('vigil_events' as never).select(['type', 'payload'] as never).execute() as { type: string; payload: string }[];
      if (rows.some((r) => r.type === 'vigil.finding.created' && r.payload.includes('CVE-2026-9002'))) break;
      if (Date.now() > deadline) throw new Error(`no finding.created for CVE-2026-9002; events: ${rows.map((r) => r.type).join(', ')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    // Every event the subscription's patterns select must arrive.
    const published = ((await server.db.kysely.selectFrom('vigil_events' as never).select(['id', 'type'] as never).execute()) as { id: string; type: string }[])
      .filter((r) => /^vigil\.(scan|finding)\./.test(r.type))
      .map((r) => r.id);
    expect(published.length).toBeGreaterThan(idsBefore.size);
    await receiver.start();
    await receiver.waitFor(() => published.every((id) => receiver.ids().has(id)), 20_000);
    const fresh = receiver.received.filter((r) => !idsBefore.has(r.event.id));
    expect(fresh.every((r) => r.signatureValid)).toBe(true);
    const created = fresh.find((r) => r.event.type === 'vigil.finding.created');
    expect(created?.event.data).toMatchObject({ vulnerabilityId: 'CVE-2026-9002', package: { name: 'zlib1g' } });
    const rescan = fresh.find((r) => r.event.type === 'vigil.scan.completed');
    expect(rescan?.event.data).toMatchObject({ trigger: 'REEVALUATION', firstScan: false, findingCount: 2, severityCounts: { CRITICAL: 2 } });
    // Ids are stable: nothing arrived twice under different ids.
    expect(new Set(receiver.received.map((r) => r.event.id)).size).toBe(new Set(receiver.received.map((r) => `${r.event.type}:${JSON.stringify(r.event.data.scanId)}:${JSON.stringify(r.event.data.timelineId)}`)).size);
    // The image was not pulled again.
    expect(blobFetches()).toBe(blobsBefore);
    expect(readdirSync(advisories)).toHaveLength(2);
  });

  it('refuses registry notifications without the registry token', async () => {
    const [reg] = ((await api('GET', '/api/v1/registries')).json.registries as { id: string }[]);
    const res = await fetch(`${server.url}/api/v1/registry-hooks/${reg.id}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/vnd.docker.distribution.events.v1+json' },
      body: JSON.stringify({ events: [] }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });

  it('streams events over SSE to API clients', async () => {
    const c = await continuousHandle(server.app)!;
    const ctrl = new AbortController();
    const res = await fetch(`${server.url}/api/v1/events/stream?types=vigil.coverage.changed`, { headers: { authorization: `Bearer ${key}`, 'last-event-id': '0' }, signal: ctrl.signal });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    let text = '';
    const deadline = Date.now() + 10_000;
    while (!text.includes('event: vigil.coverage.changed') && Date.now() < deadline) text += new TextDecoder().decode((await reader.read()).value);
    ctrl.abort();
    expect(text).toMatch(/id: \d+\nevent: vigil.coverage.changed\ndata: \{.*"specversion":"1.0"/);
    expect(text).not.toContain('event: vigil.finding.created');
    expect(c.queue.backend).toBe('sqlite');
  });

  it('expires an image past its rescan window: coverage SCAN_ELIGIBILITY_EXPIRED and a coverage event', async () => {
    const c = await continuousHandle(server.app)!;
    await server.db.kysely.updateTable('registry_images' as never).set({ pushed_at: Date.now() - 40 * 86_400_000 } as never).execute();
    await c.queue.send('coverage-sweep', {});
    const deadline = Date.now() + 10_000;
    let coverage: { reason: string; status: string }[] = [];
    while (Date.now() < deadline) {
      coverage = (await api('GET', '/api/v1/coverage?resourceType=CONTAINER_IMAGE')).json.coverage as { reason: string; status: string }[];
      if (coverage[0]?.reason === 'SCAN_ELIGIBILITY_EXPIRED') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(coverage).toEqual([expect.objectContaining({ status: 'INACTIVE', reason: 'SCAN_ELIGIBILITY_EXPIRED' })]);
    const events = (await server.db.kysely.selectFrom('vigil_events' as never).select(['type', 'payload'] as never).execute()) as { type: string; payload: string }[];
    expect(events.some((e) => e.type === 'vigil.coverage.changed' && e.payload.includes('SCAN_ELIGIBILITY_EXPIRED'))).toBe(true);
  });

  it('marks coverage SCAN_FAILED with the reason when a scan fails for good', async () => {
    const c = await continuousHandle(server.app)!;
    const port = await freePort();
    await c.queue.send(
      'scan-image',
      { accountId: 'admin', registryId: 'reg_none', registry: `127.0.0.1:${port}`, repository: 'gone/app', digest: `sha256:${'0'.repeat(64)}`, tags: ['1'], reference: `127.0.0.1:${port}/gone/app@sha256:${'0'.repeat(64)}`, resourceTags: {}, insecure: true },
      { retryLimit: 1, retryDelaySeconds: 0.05 },
    );
    const deadline = Date.now() + 15_000;
    let failed: { reason: string; name: string } | undefined;
    while (!failed && Date.now() < deadline) {
      const coverage = (await api('GET', '/api/v1/coverage?resourceType=CONTAINER_IMAGE')).json.coverage as { reason: string; name: string }[];
      failed = coverage.find((x) => x.name.includes('gone/app'));
      if (!failed) await new Promise((r) => setTimeout(r, 100));
    }
    expect(failed).toMatchObject({ reason: 'SCAN_FAILED' });
    const row = (await server.db.kysely.selectFrom('resources').select(['last_scan_error']).where('name', 'like', '%gone/app%').executeTakeFirstOrThrow());
    expect(row.last_scan_error).toMatch(/127\.0\.0\.1/);
  });
});
