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
  Object.assign(process.env, {
    VIGIL_VULNDB: vulndb,
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
    const reg = await api('POST', '/api/v1/registries', { url: `http://127.0.0.1:${port}`, modes: ['ON_PUSH'], resourceTags: { env: 'test' } });
    expect(reg.status).toBe(201);
    const registryId = (reg.json.registry as { id: string }).id;
    expect(reg.json.registryConfig).toContain(`/api/v1/registry-hooks/${registryId}`);
    registry = await startLocalRegistry({ port, notifyUrl: reg.json.notificationUrl as string, token: reg.json.notificationToken as string });

    const pushed = Date.now();
    await pushTinyImage(registry.host, 'apps/api:1.0', debianTwoPackages);
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
});
