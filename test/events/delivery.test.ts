import { randomBytes } from 'node:crypto';
import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventId } from '../../src/events/cloudevent.js';
import { WebhookDispatcher } from '../../src/events/dispatcher.js';
import { EventPublisher } from '../../src/events/publisher.js';
import { eventsMigration } from '../../src/events/schema.js';
import { streamEvents } from '../../src/events/sse.js';
import { subscriptionInput, SubscriptionStore } from '../../src/events/subscriptions.js';
import type { EventInput } from '../../src/events/types.js';
import { SecretBox } from '../../src/registries/secret-box.js';
import { WebhookReceiver } from './receiver.js';

let db: Kysely<unknown>;
let store: SubscriptionStore;
let publisher: EventPublisher;
let dispatcher: WebhookDispatcher;
let receiver: WebhookReceiver;
const owner = { accountId: 'acct-a', crossAccount: false };

function findingCreated(n: number, overrides: Partial<EventInput> = {}): EventInput {
  return {
    type: 'vigil.finding.created',
    accountId: 'acct-a',
    subject: `finding-${n}`,
    severity: 'HIGH',
    resource: { id: 'res-1', type: 'CONTAINER_IMAGE', name: 'registry/app@sha256:1', tags: { env: 'prod' } },
    data: { findingId: `finding-${n}`, vulnerabilityId: `CVE-2026-${1000 + n}`, scanId: 'scan-1' },
    ...overrides,
  };
}

beforeEach(async () => {
  db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new Database(':memory:') }) });
  await eventsMigration.up(db, 'sqlite');
  store = new SubscriptionStore(db, new SecretBox(randomBytes(32)), { allowLoopback: true });
  publisher = new EventPublisher(db, store);
  dispatcher = new WebhookDispatcher(db, store, publisher, { baseDelayMs: 100, maxDelayMs: 400, pollMs: 50, timeoutMs: 2000, policy: { allowLoopback: true } });
  receiver = new WebhookReceiver();
  await receiver.start();
});
afterEach(async () => {
  await dispatcher.stop();
  await receiver.stop();
  await db.destroy();
});

async function subscribe(body: Record<string, unknown> = {}) {
  const { subscription, secret } = await store.create(owner, subscriptionInput.parse({ url: receiver.url, ...body }));
  receiver.secret = secret;
  return subscription;
}

describe('webhook delivery', () => {
  it('delivers signed CloudEvents with stable ids, once per event', async () => {
    await subscribe({ eventTypes: ['vigil.finding.*'] });
    dispatcher.start();
    const input = findingCreated(1);
    const first = await publisher.publish([input, { ...findingCreated(2), type: 'vigil.scan.completed' }]);
    // Publishing the same occurrence again (a retried job) is a no-op.
    const again = await publisher.publish([input]);
    expect(first).toHaveLength(2);
    expect(again).toHaveLength(0);
    await receiver.waitFor((r) => r.length >= 1);
    await new Promise((r) => setTimeout(r, 200));
    expect(receiver.received).toHaveLength(1);
    const got = receiver.received[0];
    expect(got.signatureValid).toBe(true);
    expect(got.headers['content-type']).toMatch(/application\/cloudevents\+json/);
    expect(got.headers['webhook-id']).toBe(got.event.id);
    expect(got.event).toMatchObject({
      specversion: '1.0',
      id: eventId(input),
      type: 'vigil.finding.created',
      subject: 'finding-1',
      vigilaccount: 'acct-a',
      vigilseverity: 'HIGH',
      data: { findingId: 'finding-1', resource: { id: 'res-1', tags: { env: 'prod' } } },
    });
  });

  it('applies filters: minimum severity, resource tags, own account only', async () => {
    await subscribe({ filters: { minSeverity: 'HIGH', resourceTags: { env: 'prod' } } });
    dispatcher.start();
    await publisher.publish([
      findingCreated(1), // delivered
      findingCreated(2, { severity: 'MEDIUM' }), // below the minimum
      findingCreated(3, { resource: { id: 'r2', type: 'HOST', name: 'h', tags: { env: 'dev' } } }), // wrong tag
      findingCreated(4, { accountId: 'acct-b' }), // another account
      findingCreated(5, { severity: 'CRITICAL' }), // delivered
    ]);
    await receiver.waitFor((r) => r.length >= 2);
    await new Promise((r) => setTimeout(r, 200));
    expect([...receiver.ids()].length).toBe(2);
    expect(receiver.received.map((r) => r.event.subject).sort()).toEqual(['finding-1', 'finding-5']);
  });

  it('refuses a subscription naming another account unless cross-account', async () => {
    await expect(store.create(owner, subscriptionInput.parse({ url: receiver.url, filters: { accounts: ['acct-b'] } }))).rejects.toThrow(/another account/);
  });

  it('keeps every event while the receiver is down and delivers them when it is back', async () => {
    const sub = await subscribe();
    dispatcher.start();
    await receiver.stop();
    const inputs = Array.from({ length: 6 }, (_, i) => findingCreated(i));
    await publisher.publish(inputs);
    // Let every delivery fail at least once (connection refused) before the receiver returns.
    let failing = await dispatcher.deliveries(sub.id);
    for (const deadline = Date.now() + 10_000; Date.now() < deadline && !failing.every((d) => d.attempts >= 1); ) {
      await new Promise((r) => setTimeout(r, 50));
      failing = await dispatcher.deliveries(sub.id);
    }
    expect(failing).toHaveLength(6);
    expect(failing.map((d) => [d.status, d.attempts >= 1, /^connection (refused|reset)$/.test(d.lastError ?? '') ? 'refused' : d.lastError])).toEqual(
      failing.map(() => ['PENDING', true, 'refused']),
    );
    await receiver.start();
    await receiver.waitFor((r) => receiver.ids().size === 6 && r.every((x) => x.signatureValid));
    // The receiver answers before the dispatcher records the outcome: wait for the log.
    let log = await dispatcher.deliveries(sub.id);
    for (const deadline = Date.now() + 5000; Date.now() < deadline && !log.every((d) => d.status === 'DELIVERED'); ) {
      await new Promise((r) => setTimeout(r, 25));
      log = await dispatcher.deliveries(sub.id);
    }
    expect(log.map((d) => d.status)).toEqual(Array(6).fill('DELIVERED'));
    const attempts = await dispatcher.attempts(log[0].id);
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    expect(attempts.at(-1)?.statusCode).toBe(204);
  });

  it('dead-letters after the retry window and redelivers by hand', async () => {
    await dispatcher.stop();
    dispatcher = new WebhookDispatcher(db, store, publisher, { baseDelayMs: 50, maxDelayMs: 100, pollMs: 30, retryWindowMs: 300, policy: { allowLoopback: true } });
    const sub = await subscribe();
    receiver.status = 500;
    dispatcher.start();
    await publisher.publish([findingCreated(1)]);
    const deadline = Date.now() + 5000;
    let dead = await dispatcher.deliveries(sub.id, { status: 'DEAD' });
    while (dead.length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      dead = await dispatcher.deliveries(sub.id, { status: 'DEAD' });
    }
    expect(dead).toHaveLength(1);
    expect(dead[0].lastError).toBe('HTTP 500');
    receiver.status = 200;
    const before = receiver.received.length;
    const again = await dispatcher.redeliver(sub.id, dead[0].id);
    expect(again?.status).toBe('PENDING');
    await receiver.waitFor((r) => r.length > before);
    let [delivery] = await dispatcher.deliveries(sub.id);
    for (const deadline = Date.now() + 5000; Date.now() < deadline && delivery.status !== 'DELIVERED'; ) {
      await new Promise((r) => setTimeout(r, 25));
      [delivery] = await dispatcher.deliveries(sub.id);
    }
    expect(delivery.status).toBe('DELIVERED');
    expect(await dispatcher.redeliver('sub_other', dead[0].id)).toBeUndefined();
  });

  it('refuses to deliver to loopback when the server does not allow it', async () => {
    const sub = await subscribe();
    const strict = new WebhookDispatcher(db, store, publisher, { baseDelayMs: 50, pollMs: 30, policy: { allowLoopback: false } });
    strict.start();
    await publisher.publish([findingCreated(1)]);
    await new Promise((r) => setTimeout(r, 300));
    await strict.stop();
    const [d] = await dispatcher.deliveries(sub.id);
    expect(d.lastError).toMatch(/loopback/);
    expect(receiver.received).toHaveLength(0);
  });
});

describe('SSE stream', () => {
  let server: Server;
  afterEach(() => new Promise<void>((r) => server.close(() => r())));

  it('streams new events of the caller account and resumes from Last-Event-ID', async () => {
    server = createServer((req, res) => {
      void streamEvents(req, res, { db, publisher, scope: owner, pollMs: 50, lastEventId: req.headers['last-event-id'] as string | undefined });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const read = (lastEventId?: string) =>
      new Promise<{ text: () => string; close: () => void }>((resolve) => {
        let text = '';
        const req = get({ host: '127.0.0.1', port, path: '/', headers: lastEventId ? { 'last-event-id': lastEventId } : {} }, (res) => {
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          resolve({ text: () => text, close: () => req.destroy() });
        });
      });
    const stream = await read();
    await publisher.publish([findingCreated(1), findingCreated(2, { accountId: 'acct-b' }), findingCreated(3)]);
    const deadline = Date.now() + 5000;
    while (!stream.text().includes('finding-3') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    stream.close();
    const frames = stream.text().split('\n\n').filter((f) => f.startsWith('id:'));
    expect(frames).toHaveLength(2);
    expect(frames[0]).toMatch(/^id: 1\nevent: vigil.finding.created\ndata: \{/);
    expect(stream.text()).not.toContain('finding-2');
    // Resume after the first: only the third comes again.
    const resumed = await read('1');
    while (!resumed.text().includes('finding-3') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    resumed.close();
    expect(resumed.text()).not.toContain('"finding-1"');
    expect(resumed.text()).toContain('"finding-3"');
  });
});
