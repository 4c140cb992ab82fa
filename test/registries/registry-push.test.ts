import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/connect.js';
import { parseNotification } from '../../src/registries/notifications.js';
import { SecretBox } from '../../src/registries/secret-box.js';
import { HookAuthError, registryInput, RegistryService, type ImageScanRequest } from '../../src/registries/service.js';
import { sharedDir } from '../helpers/cli.js';
import { dialectCases } from '../helpers/postgres.js';
import { inspect, pushTinyImage, startLocalRegistry, type LocalRegistry } from './local-registry.js';

describe('registry notification parsing', () => {
  it('reads the sample push event from a real registry', () => {
    const body = JSON.parse(readFileSync(`${sharedDir}/docs/samples/registry-push-event.json`, 'utf8')) as unknown;
    const { actions, skipped } = parseNotification(body);
    expect(skipped).toEqual([]);
    expect(actions).toEqual([
      {
        action: 'push',
        repository: 'test/debian',
        digest: 'sha256:e794929395dd55cf30c064ee1d24c9451af065c0cec2d08bc807b25429142c24',
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        tag: 'bookworm-node-del',
        at: new Date('2026-11-27T13:30:23.414Z'),
      },
    ]);
  });

  it.each([
    ['blob upload', { action: 'push', target: { mediaType: 'application/octet-stream', repository: 'a', digest: 'sha256:ab' } }, 'media type application/octet-stream'],
    ['delete', { action: 'delete', target: { repository: 'a', digest: 'sha256:ab' } }, 'action delete'],
    ['index', { action: 'push', target: { mediaType: 'application/vnd.oci.image.index.v1+json', repository: 'a', digest: 'sha256:ab' } }, 'index manifest'],
    ['no digest', { action: 'push', target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', repository: 'a' } }, 'missing repository or digest'],
  ])('skips a %s', (_n, event, reason) => {
    const { actions, skipped } = parseNotification({ events: [event] });
    expect(actions).toEqual([]);
    expect(skipped[0].reason).toContain(reason);
  });

  it.each([
    ['not an envelope', { hello: 1 }],
    ['events not a list', { events: 'x' }],
    ['null', null],
  ])('refuses %s with a clear error', (_n, body) => {
    expect(() => parseNotification(body)).toThrow(/envelope/);
  });
});

describe.each(dialectCases())('registries on $name', (dialect) => {
  let db: Db;
  let registry: LocalRegistry;
  let hooks: Server;
  let service: RegistryService;
  const scans: ImageScanRequest[] = [];
  const box = new SecretBox(randomBytes(32));
  const hookResults: unknown[] = [];
  let hookToken = '';

  beforeAll(async () => {
    db = await dialect.open();
    service = new RegistryService(db.kysely, box, async (req) => {
      scans.push(req);
      return `job-${scans.length}`;
    });
    hooks = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const id = decodeURIComponent(req.url!.split('/').pop()!);
        service
          .handleNotification(id, req.headers.authorization, JSON.parse(Buffer.concat(chunks).toString('utf8')))
          .then((r) => {
            hookResults.push(r);
            res.writeHead(202).end();
          })
          .catch((err: Error) => {
            hookResults.push({ error: err.message });
            res.writeHead(err instanceof HookAuthError ? 401 : 400).end();
          });
      });
    });
    await new Promise<void>((r) => hooks.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    await registry?.stop();
    await new Promise<void>((r) => hooks.close(() => r()));
    await db.close();
  });

  it('schedules one scan per new manifest digest pushed, filters repositories, and records pulls', async () => {
    // The registry must know the hook URL before it starts, and the URL holds the registry id.
    const { registry: reg, notificationToken } = await service.create(
      'acct-a',
      registryInput.parse({ url: 'http://127.0.0.1:1', modes: ['ON_PUSH'], repositories: { exclude: ['scratch/**'] }, rescanWindow: { kind: 'DAYS_SINCE_PULL', days: 30 } }),
    );
    hookToken = notificationToken;
    const port = (hooks.address() as AddressInfo).port;
    registry = await startLocalRegistry({ notifyUrl: `http://127.0.0.1:${port}/hooks/registry/${reg.id}`, token: notificationToken });
    await db.kysely.updateTable('registries' as never).set({ url: registry.url } as never).where('id' as never, '=', reg.id as never).execute();

    await pushTinyImage(registry.host, 'apps/web:v1', { 'app/version': '1' });
    await pushTinyImage(registry.host, 'scratch/tmp:v1', { 'x': 'excluded' });
    const waitScans = async (n: number) => {
      const deadline = Date.now() + 10_000;
      while (scans.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    };
    await waitScans(1);
    expect(scans).toHaveLength(1);
    const digest = (await inspect(registry.host, 'apps/web:v1')).Digest;
    expect(scans[0]).toMatchObject({
      accountId: 'acct-a',
      registryId: reg.id,
      registry: registry.host,
      repository: 'apps/web',
      digest,
      tags: ['v1'],
      reference: `${registry.host}/apps/web@${digest}`,
      insecure: true,
    });

    // The same digest under another tag is not scanned again; a new image is.
    const { execFile } = await import('node:child_process');
    await new Promise((resolve, reject) =>
      execFile('skopeo', ['copy', '-q', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${registry.host}/apps/web:v1`, `docker://${registry.host}/apps/web:stable`], (e) => (e ? reject(e) : resolve(null))),
    );
    await pushTinyImage(registry.host, 'apps/web:v2', { 'app/version': '2' });
    await waitScans(2);
    // Give a stray third scan (there must be none) time to show up.
    await new Promise((r) => setTimeout(r, 1000));
    expect(scans.map((s) => s.tags)).toEqual([['v1'], ['v2']]);
    const pulled = await db.kysely
      .selectFrom('registry_images' as never)
      .select(['tags', 'last_pulled_at'] as never)
      .where('digest' as never, '=', digest as never)
      .executeTakeFirstOrThrow() as { tags: string; last_pulled_at: number | null };
    expect(JSON.parse(pulled.tags)).toEqual(['stable', 'v1']);
    expect(pulled.last_pulled_at).not.toBeNull();
    expect(hookResults.some((r) => (r as { pulls?: number }).pulls)).toBe(true);
  });

  it('refuses notifications with a wrong token', async () => {
    const [reg] = await service.list('acct-a');
    await expect(service.handleNotification(reg.id, 'Bearer nope', { events: [] })).rejects.toBeInstanceOf(HookAuthError);
    await expect(service.handleNotification(reg.id, undefined, { events: [] })).rejects.toBeInstanceOf(HookAuthError);
    await expect(service.handleNotification('reg_unknown', 'Bearer x', { events: [] })).rejects.toBeInstanceOf(HookAuthError);
  });

  it('finds new repositories, tags and digests by catalog sync, once', async () => {
    const { registry: reg } = await service.create(
      'acct-b',
      // A loopback registry: only reachable because it is allowed private addresses.
      registryInput.parse({ url: registry.url, modes: ['SCHEDULED_SYNC'], allowPrivateNetwork: true, repositories: { include: ['apps/*', 'scratch/*'], exclude: ['scratch/*'] }, credentials: { username: 'u', password: 'p' } }),
    );
    const before = scans.length;
    const first = await service.sync(reg.id);
    expect(first).toMatchObject({ repositories: 1, scheduled: 2 });
    expect(first.tags).toBe(3);
    expect(scans.slice(before).map((s) => [s.accountId, s.tags.sort()])).toEqual(
      expect.arrayContaining([
        ['acct-b', ['stable', 'v1']],
        ['acct-b', ['v2']],
      ]),
    );
    // Scan jobs carry no credentials; the scan reads them from the registry when it runs.
    expect(scans.slice(before).every((s) => !('credentials' in s))).toBe(true);
    expect((await service.pullOptions(reg.id))?.credentials).toEqual({ username: 'u', password: 'p' });
    expect(await service.sync(reg.id)).toMatchObject({ scheduled: 0 });
    expect((await service.get(reg.id))?.lastSyncAt).toBeDefined();
    const stored = await db.kysely.selectFrom('registries' as never).select('password_sealed' as never).where('id' as never, '=', reg.id as never).executeTakeFirstOrThrow() as { password_sealed: string };
    expect(stored.password_sealed).not.toContain('p"');
    expect(box.open(stored.password_sealed)).toBe('p');
  });

  it('expires images past their rescan window and brings them back after a pull', async () => {
    const [reg] = await service.list('acct-a');
    const later = Date.now() + 31 * 86_400_000;
    const expired = await service.sweepWindows(later);
    expect(expired.length).toBeGreaterThan(0);
    expect(expired.every((c) => !c.eligible && c.registryId === reg.id)).toBe(true);
    expect(await service.sweepWindows(later)).toEqual([]);
    const img = expired[0];
    expect(await service.isExpired(reg.id, img.repository, img.digest)).toBe(true);
    // A pull 30 days later puts it back inside a DAYS_SINCE_PULL window.
    await db.kysely.updateTable('registry_images' as never).set({ last_pulled_at: later - 1000 } as never).where('digest' as never, '=', img.digest as never).execute();
    // A pull notification delivered late (an earlier pull) does not move the pull time back.
    const latePull = { action: 'pull', timestamp: new Date().toISOString(), target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', repository: img.repository, digest: img.digest } };
    await service.handleNotification(reg.id, `Bearer ${hookToken}`, { events: [latePull] });
    const back = await service.sweepWindows(later);
    expect(back).toEqual([expect.objectContaining({ digest: img.digest, eligible: true })]);
  });
});
