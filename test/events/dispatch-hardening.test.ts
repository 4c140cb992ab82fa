/**
 * One account's webhooks cannot stall or crash delivery for the others: a receiver that
 * drips its answer forever holds few slots and only until the total deadline; a subscription
 * deleted while its delivery is out is not a crash; a secret the server key no longer opens
 * waits for an admin instead of failing everything.
 */
import { randomBytes } from 'node:crypto';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { createServer, type ServerResponse } from 'node:http';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebhookDispatcher } from '../../src/events/dispatcher.js';
import { EventPublisher } from '../../src/events/publisher.js';
import { eventsMigration } from '../../src/events/schema.js';
import { subscriptionInput, SubscriptionStore } from '../../src/events/subscriptions.js';
import type { EventInput } from '../../src/events/types.js';
import { SecretBox } from '../../src/registries/secret-box.js';
import { WebhookReceiver } from './receiver.js';

let db: Kysely<unknown>;
let box: SecretBox;
let store: SubscriptionStore;
let publisher: EventPublisher;
let dispatcher: WebhookDispatcher | undefined;
const closers: (() => Promise<void>)[] = [];
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => void unhandled.push(reason);

function event(n: number, accountId: string): EventInput {
  return {
    type: 'vigil.finding.created',
    accountId,
    subject: `finding-${accountId}-${n}`,
    severity: 'HIGH',
    data: { findingId: `finding-${accountId}-${n}`, vulnerabilityId: `CVE-2026-${1000 + n}`, scanId: 'scan-1' },
  };
}

async function receiver(): Promise<WebhookReceiver> {
  const r = new WebhookReceiver();
  await r.start();
  closers.push(() => r.stop());
  return r;
}

/** A receiver that accepts connections and answers one byte of a status line every 200 ms, forever. */
async function dripReceiver(): Promise<{ url: string; connections: () => number }> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server: TcpServer = createTcpServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    const line = 'HTTP/1.1 200 OK\r\nX-Slow: ' + 'a'.repeat(10_000);
    let i = 0;
    const timer = setInterval(() => socket.write(line[i++ % line.length]), 200);
    socket.on('close', () => {
      clearInterval(timer);
      sockets.delete(socket);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, connections: () => connections };
}

beforeEach(async () => {
  const sqlite = new Database(':memory:');
  // As the service opens its database: a deleted subscription's deliveries are gone.
  sqlite.pragma('foreign_keys = ON');
  db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: sqlite }) });
  await eventsMigration.up(db, 'sqlite');
  box = new SecretBox(randomBytes(32));
  store = new SubscriptionStore(db, box, { allowLoopback: true });
  publisher = new EventPublisher(db, store);
  unhandled.length = 0;
  process.on('unhandledRejection', onUnhandled);
});
afterEach(async () => {
  process.off('unhandledRejection', onUnhandled);
  // Bounded: a dispatcher stuck on a receiver that never finishes must fail the test, not hang it.
  await Promise.race([dispatcher?.stop(), new Promise((r) => setTimeout(r, 5000))]);
  dispatcher = undefined;
  for (const close of closers.splice(0)) await close();
  await db.destroy();
});

describe('webhook delivery under hostile receivers', () => {
  it("delivers another account's event promptly while one receiver drips, and ends each drip at the total deadline", async () => {
    const slow = await dripReceiver();
    const fast = await receiver();
    const a = await store.create({ accountId: 'acct-a', crossAccount: false }, subscriptionInput.parse({ url: slow.url }));
    const b = await store.create({ accountId: 'acct-b', crossAccount: false }, subscriptionInput.parse({ url: fast.url }));
    fast.secret = b.secret;
    dispatcher = new WebhookDispatcher(db, store, publisher, { baseDelayMs: 60_000, pollMs: 50, timeoutMs: 1500, concurrency: 8, policy: { allowLoopback: true } });
    dispatcher.start();
    await publisher.publish(Array.from({ length: 20 }, (_, i) => event(i, 'acct-a')));
    // Let the slow receiver take every slot it can.
    await new Promise((r) => setTimeout(r, 300));
    const sent = Date.now();
    await publisher.publish([event(1, 'acct-b')]);
    await fast.waitFor((r) => r.length === 1, 5000);
    expect(Date.now() - sent).toBeLessThan(1000);
    expect(fast.received[0].signatureValid).toBe(true);
    // One subscription holds at most a quarter of the slots.
    expect(slow.connections()).toBeLessThanOrEqual(2);

    // Each dripping delivery ends at the 1.5 s total deadline, not at an idle timeout.
    let failed: { id: string; attempts: number; lastError?: string }[] = [];
    for (const deadline = Date.now() + 6000; Date.now() < deadline && failed.length < 2; ) {
      await new Promise((r) => setTimeout(r, 100));
      failed = (await dispatcher.deliveries(a.subscription.id)).filter((d) => d.attempts > 0);
    }
    expect(failed.length).toBeGreaterThanOrEqual(2);
    expect(failed.map((d) => d.lastError)).toEqual(failed.map(() => 'timed out after 1.5 s'));
    const [attempt] = await dispatcher.attempts(failed[0].id);
    expect(attempt.durationMs).toBeGreaterThanOrEqual(1400);
    expect(attempt.durationMs).toBeLessThan(3000);
  });

  it('survives a subscription deleted while its delivery is out, and keeps delivering for others', async () => {
    let hold: ServerResponse | undefined;
    const holding = createServer((req, res) => {
      req.resume();
      hold = res;
    });
    await new Promise<void>((r) => holding.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise<void>((r) => holding.close(() => r())));
    const other = await receiver();
    const doomed = await store.create({ accountId: 'acct-a', crossAccount: false }, subscriptionInput.parse({ url: `http://127.0.0.1:${(holding.address() as AddressInfo).port}/hook` }));
    const kept = await store.create({ accountId: 'acct-b', crossAccount: false }, subscriptionInput.parse({ url: other.url }));
    other.secret = kept.secret;
    dispatcher = new WebhookDispatcher(db, store, publisher, { baseDelayMs: 100, pollMs: 50, timeoutMs: 5000, policy: { allowLoopback: true } });
    dispatcher.start();
    await publisher.publish([event(1, 'acct-a')]);
    for (const deadline = Date.now() + 5000; !hold && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 20));
    expect(hold).toBeDefined();
    expect(await store.delete({ accountId: 'acct-a', crossAccount: false }, doomed.subscription.id)).toBe(true);
    hold!.writeHead(204).end();
    await new Promise((r) => setTimeout(r, 300));
    await publisher.publish([event(2, 'acct-b')]);
    await other.waitFor((r) => r.length === 1, 5000);
    expect(unhandled).toEqual([]);
    expect(await dispatcher.deliveries(doomed.subscription.id)).toEqual([]);
  });

  it('keeps a delivery whose secret no longer decrypts pending, shows it, and sends it once the secret is set again', async () => {
    const r = await receiver();
    const owner = { accountId: 'acct-a', crossAccount: false };
    const { subscription } = await store.create(owner, subscriptionInput.parse({ url: r.url }));
    // The server restarts with another key.
    store = new SubscriptionStore(db, new SecretBox(randomBytes(32)), { allowLoopback: true });
    publisher = new EventPublisher(db, store);
    expect(await store.unreadableSecrets()).toEqual([subscription.id]);
    expect(await store.get(owner, subscription.id)).toMatchObject({ id: subscription.id, secretUnreadable: true });
    dispatcher = new WebhookDispatcher(db, store, publisher, { baseDelayMs: 100, maxDelayMs: 200, pollMs: 50, policy: { allowLoopback: true } });
    dispatcher.start();
    await publisher.publish([event(1, 'acct-a')]);
    let log = await dispatcher.deliveries(subscription.id);
    for (const deadline = Date.now() + 5000; Date.now() < deadline && !(log[0]?.attempts > 0); ) {
      await new Promise((res) => setTimeout(res, 50));
      log = await dispatcher.deliveries(subscription.id);
    }
    expect(log[0]).toMatchObject({ status: 'PENDING', lastError: expect.stringMatching(/signing secret cannot be decrypted/) });
    expect(r.received).toEqual([]);

    r.secret = (await store.setSecret(owner, subscription.id))!;
    await r.waitFor((got) => got.length === 1 && got[0].signatureValid, 5000);
    expect((await store.get(owner, subscription.id))?.secretUnreadable).toBeUndefined();
    expect(unhandled).toEqual([]);
  });
});
