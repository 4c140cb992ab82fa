import type { AnyKysely } from '../jobs/kysely.js';
import type { Kysely } from 'kysely';
import { log } from '../log.js';
import { describeConnectionError, outboundRequest } from '../net/outbound.js';
import type { EventPublisher } from './publisher.js';
import type { EventsDatabase, WebhookDeliveriesTable } from './schema.js';
import { signedHeaders } from './signature.js';
import type { SubscriptionStore } from './subscriptions.js';
import { checkTargetUrl, type TargetPolicy } from './target.js';
import type { Delivery, DeliveryAttempt, DeliveryStatus, VigilEventType } from './types.js';

/** Delivery tuning. */
export interface DispatcherOptions {
  /** First retry delay (ms), doubled per attempt. Default 5 s. */
  baseDelayMs?: number;
  /** Longest delay between attempts (ms). Default 1 h. */
  maxDelayMs?: number;
  /** Retry for this long after the event (ms) before dead-lettering. Default 24 h. */
  retryWindowMs?: number;
  /** Total time one delivery may take, connect to last byte (ms); not only an idle timeout. Default 10 s. */
  timeoutMs?: number;
  /** How often to look for due deliveries (ms). Default 1 s. */
  pollMs?: number;
  /** Deliveries sent at once. Default 8. */
  concurrency?: number;
  /** Deliveries of one subscription sent at once. Default a quarter of `concurrency` (at least 1). */
  perSubscription?: number;
  /** Deliveries of one account's subscriptions sent at once. Default half of `concurrency` (at least 1). */
  perAccount?: number;
  /** Server-wide target policy; link-local still needs the subscription's admin flag. */
  policy?: TargetPolicy;
}

/** Delay before the next attempt after `attempts` failed ones. */
export function backoffMs(attempts: number, base: number, max: number): number {
  return Math.min(max, base * 2 ** Math.max(0, attempts - 1));
}

/**
 * Sends queued deliveries: at-least-once, signed (Standard Webhooks headers), retried with
 * exponential backoff until the retry window (24 h) has passed, then dead-lettered. Several
 * processes may dispatch at once: a delivery is leased before it is sent. Slots are shared:
 * one subscription, or one account, holds only part of them, and each delivery has a total
 * deadline, so a slow receiver delays only its own events.
 */
export class WebhookDispatcher {
  private readonly db: Kysely<EventsDatabase>;
  private readonly opts: Required<Omit<DispatcherOptions, 'policy'>> & { policy: TargetPolicy };
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private ticking = false;
  private again = false;
  private readonly inflight = new Set<Promise<void>>();
  /** Deliveries in flight per subscription and per account. */
  private readonly bySubscription = new Map<string, number>();
  private readonly byAccount = new Map<string, number>();
  private readonly onPublished = (): void => this.wake();

  constructor(
    db: AnyKysely,
    private readonly subscriptions: SubscriptionStore,
    private readonly publisher?: EventPublisher,
    opts: DispatcherOptions = {},
  ) {
    this.db = db as unknown as Kysely<EventsDatabase>;
    this.opts = {
      baseDelayMs: opts.baseDelayMs ?? 5_000,
      maxDelayMs: opts.maxDelayMs ?? 3_600_000,
      retryWindowMs: opts.retryWindowMs ?? 24 * 3_600_000,
      timeoutMs: opts.timeoutMs ?? 10_000,
      pollMs: opts.pollMs ?? 1_000,
      concurrency: opts.concurrency ?? 8,
      perSubscription: opts.perSubscription ?? Math.max(1, Math.floor((opts.concurrency ?? 8) / 4)),
      perAccount: opts.perAccount ?? Math.max(1, Math.floor((opts.concurrency ?? 8) / 2)),
      policy: opts.policy ?? {},
    };
  }

  /** Starts polling for due deliveries. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.timer = setInterval(() => this.wake(), this.opts.pollMs);
    this.timer.unref();
    this.publisher?.bus.on('published', this.onPublished);
    this.wake();
  }

  /** Stops and waits for in-flight requests. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    this.publisher?.bus.off('published', this.onPublished);
    await Promise.allSettled([...this.inflight]);
  }

  /** Looks for due deliveries now. */
  wake(): void {
    if (!this.running) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.ticking = true;
    void this.tick()
      .catch((err: unknown) => log.error({ err }, 'webhook dispatch failed'))
      .finally(() => {
        this.ticking = false;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  private async tick(): Promise<void> {
    while (this.running && this.inflight.size < this.opts.concurrency) {
      const claimed = await this.claim();
      if (!claimed) return;
      const { row, accountId } = claimed;
      count(this.bySubscription, row.subscription_id, 1);
      count(this.byAccount, accountId, 1);
      const p = this.deliver(row)
        // A delivery must never reject into nothing: an unhandled rejection ends the process.
        .catch((err: unknown) => log.error({ err, delivery: row.id, subscription: row.subscription_id }, 'webhook delivery could not be recorded'))
        .finally(() => {
          count(this.bySubscription, row.subscription_id, -1);
          count(this.byAccount, accountId, -1);
          this.inflight.delete(p);
          this.wake();
        });
      this.inflight.add(p);
    }
  }

  /** Leases the next due delivery of a subscription and account that have a free slot. */
  private async claim(): Promise<{ row: WebhookDeliveriesTable; accountId: string } | undefined> {
    const now = Date.now();
    const busySubs = [...this.bySubscription].filter(([, n]) => n >= this.opts.perSubscription).map(([id]) => id);
    const busyAccounts = [...this.byAccount].filter(([, n]) => n >= this.opts.perAccount).map(([id]) => id);
    let q = this.db
      .selectFrom('webhook_deliveries')
      .innerJoin('webhook_subscriptions', 'webhook_subscriptions.id', 'webhook_deliveries.subscription_id')
      .selectAll('webhook_deliveries')
      .select('webhook_subscriptions.account_id as sub_account_id')
      .where('webhook_deliveries.status', '=', 'PENDING')
      .where('webhook_deliveries.next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('webhook_deliveries.lease_until', 'is', null), eb('webhook_deliveries.lease_until', '<', now)]));
    if (busySubs.length) q = q.where('webhook_deliveries.subscription_id', 'not in', busySubs);
    if (busyAccounts.length) q = q.where('webhook_subscriptions.account_id', 'not in', busyAccounts);
    const found = await q.orderBy('webhook_deliveries.next_attempt_at').limit(1).executeTakeFirst();
    if (!found) return undefined;
    const { sub_account_id: accountId, ...candidate } = found;
    const lease = now + this.opts.timeoutMs + 5_000;
    const res = await this.db
      .updateTable('webhook_deliveries')
      .set({ lease_until: lease })
      .where('id', '=', candidate.id)
      .where('status', '=', 'PENDING')
      .where((eb) => (candidate.lease_until === null ? eb('lease_until', 'is', null) : eb('lease_until', '=', candidate.lease_until)))
      .executeTakeFirst();
    // Another dispatcher took it first; look again.
    if (Number(res.numUpdatedRows) !== 1) return this.claim();
    return { row: { ...candidate, lease_until: lease }, accountId };
  }

  /** Sends one delivery now and records the attempt. */
  private async deliver(row: WebhookDeliveriesTable): Promise<void> {
    const started = Date.now();
    const attempt = row.attempts + 1;
    let statusCode: number | undefined;
    let error: string | undefined;
    const sub = await this.subscriptions.withSecret(row.subscription_id);
    const event = await this.db.selectFrom('vigil_events').select('payload').where('id', '=', row.event_id).executeTakeFirst();
    if (!sub || !event) {
      error = !sub ? 'subscription no longer exists' : 'event no longer in the event log';
    } else if (sub.secret === undefined) {
      // Kept pending (retried): it goes out once an admin sets the secret again.
      error = 'the signing secret cannot be decrypted with the server key; set it again (PUT /api/v1/subscriptions/{id}/secret)';
    } else {
      try {
        statusCode = await post(sub.url, event.payload, signedHeaders(sub.secret, row.event_id, event.payload), {
          timeoutMs: this.opts.timeoutMs,
          policy: { ...this.opts.policy, allowLinkLocal: sub.allowLinkLocal || this.opts.policy.allowLinkLocal },
        });
        if (statusCode < 200 || statusCode >= 300) error = `HTTP ${statusCode}`;
      } catch (err) {
        error = describeConnectionError(err);
      }
    }
    const finished = Date.now();
    const ok = error === undefined;
    let status: DeliveryStatus = 'DELIVERED';
    let next: number | null = null;
    if (!ok) {
      next = finished + backoffMs(attempt, this.opts.baseDelayMs, this.opts.maxDelayMs);
      status = !sub || !event || next - Number(row.created_at) > this.opts.retryWindowMs ? 'DEAD' : 'PENDING';
      if (status === 'DEAD') next = null;
      log.info({ delivery: row.id, subscription: row.subscription_id, attempt, error, status }, 'webhook delivery failed');
    }
    await this.db.transaction().execute(async (trx) => {
      const updated = await trx
        .updateTable('webhook_deliveries')
        .set({
          status,
          attempts: attempt,
          next_attempt_at: next,
          lease_until: null,
          last_status_code: statusCode ?? null,
          last_error: error ?? null,
          delivered_at: ok ? finished : null,
        })
        .where('id', '=', row.id)
        .executeTakeFirst();
      // The subscription (and with it this delivery) was deleted while the request was out.
      if (Number(updated.numUpdatedRows) !== 1) return;
      await trx
        .insertInto('webhook_delivery_attempts')
        .values({ delivery_id: row.id, attempt, at: started, status_code: statusCode ?? null, error: error ?? null, duration_ms: finished - started })
        .onConflict((oc) => oc.columns(['delivery_id', 'attempt']).doNothing())
        .execute();
    });
  }

  /** The delivery log of a subscription, newest first; `status` narrows it (DEAD = the dead-letter list). */
  async deliveries(subscriptionId: string, opts: { status?: DeliveryStatus; limit?: number } = {}): Promise<Delivery[]> {
    let q = this.db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('subscription_id', '=', subscriptionId)
      .orderBy('created_at', 'desc')
      .limit(opts.limit ?? 100);
    if (opts.status) q = q.where('status', '=', opts.status);
    return (await q.execute()).map(toDelivery);
  }

  /** The attempts of one delivery, oldest first. */
  async attempts(deliveryId: string): Promise<DeliveryAttempt[]> {
    const rows = await this.db.selectFrom('webhook_delivery_attempts').selectAll().where('delivery_id', '=', deliveryId).orderBy('attempt').execute();
    return rows.map((r) => ({
      attempt: r.attempt,
      at: new Date(Number(r.at)).toISOString(),
      ...(r.status_code !== null ? { statusCode: r.status_code } : {}),
      ...(r.error !== null ? { error: r.error } : {}),
      durationMs: r.duration_ms,
    }));
  }

  /**
   * Queues a delivery again now (manual redelivery, e.g. from the dead-letter list); its
   * retry window restarts. Returns undefined when it does not belong to the subscription.
   */
  async redeliver(subscriptionId: string, deliveryId: string): Promise<Delivery | undefined> {
    const now = Date.now();
    const res = await this.db
      .updateTable('webhook_deliveries')
      .set({ status: 'PENDING', next_attempt_at: now, created_at: now, lease_until: null, delivered_at: null })
      .where('id', '=', deliveryId)
      .where('subscription_id', '=', subscriptionId)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) !== 1) return undefined;
    this.wake();
    const row = await this.db.selectFrom('webhook_deliveries').selectAll().where('id', '=', deliveryId).executeTakeFirstOrThrow();
    return toDelivery(row);
  }
}

function toDelivery(r: WebhookDeliveriesTable): Delivery {
  return {
    id: r.id,
    subscriptionId: r.subscription_id,
    eventId: r.event_id,
    eventType: r.event_type as VigilEventType,
    status: r.status as DeliveryStatus,
    attempts: r.attempts,
    ...(r.next_attempt_at !== null ? { nextAttemptAt: new Date(Number(r.next_attempt_at)).toISOString() } : {}),
    ...(r.last_status_code !== null ? { lastStatusCode: r.last_status_code } : {}),
    ...(r.last_error !== null ? { lastError: r.last_error } : {}),
    createdAt: new Date(Number(r.created_at)).toISOString(),
    ...(r.delivered_at !== null ? { deliveredAt: new Date(Number(r.delivered_at)).toISOString() } : {}),
  };
}

function count(map: Map<string, number>, key: string, by: number): void {
  const n = (map.get(key) ?? 0) + by;
  if (n > 0) map.set(key, n);
  else map.delete(key);
}

/**
 * POSTs one signed CloudEvent under the outbound policy and a total deadline; resolves with
 * the status code once it arrives (the answer's body is not read). Redirects are not followed.
 */
async function post(rawUrl: string, body: string, headers: Record<string, string>, opts: { timeoutMs: number; policy: TargetPolicy }): Promise<number> {
  const url = checkTargetUrl(rawUrl);
  const res = await outboundRequest(url, {
    method: 'POST',
    body,
    headers: { ...headers, 'content-type': 'application/cloudevents+json; charset=utf-8', 'user-agent': 'vigil-webhooks/1' },
    policy: opts.policy,
    allowHttp: true,
    deadlineMs: opts.timeoutMs,
    idleTimeoutMs: opts.timeoutMs,
  });
  res.discard();
  return res.status;
}
