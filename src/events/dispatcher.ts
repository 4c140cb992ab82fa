import type { AnyKysely } from '../jobs/kysely.js';
import http from 'node:http';
import https from 'node:https';
import type { Kysely } from 'kysely';
import { log } from '../log.js';
import type { EventPublisher } from './publisher.js';
import type { EventsDatabase, WebhookDeliveriesTable } from './schema.js';
import { signedHeaders } from './signature.js';
import type { SubscriptionStore } from './subscriptions.js';
import { isIP } from 'node:net';
import { checkTargetUrl, guardedLookup, refuseAddress, TargetRefusedError, type TargetPolicy } from './target.js';
import type { Delivery, DeliveryAttempt, DeliveryStatus, VigilEventType } from './types.js';

/** Delivery tuning. */
export interface DispatcherOptions {
  /** First retry delay (ms), doubled per attempt. Default 5 s. */
  baseDelayMs?: number;
  /** Longest delay between attempts (ms). Default 1 h. */
  maxDelayMs?: number;
  /** Retry for this long after the event (ms) before dead-lettering. Default 24 h. */
  retryWindowMs?: number;
  /** Per-request timeout (ms). Default 10 s. */
  timeoutMs?: number;
  /** How often to look for due deliveries (ms). Default 1 s. */
  pollMs?: number;
  /** Deliveries sent at once. Default 8. */
  concurrency?: number;
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
 * processes may dispatch at once: a delivery is leased before it is sent.
 */
export class WebhookDispatcher {
  private readonly db: Kysely<EventsDatabase>;
  private readonly opts: Required<Omit<DispatcherOptions, 'policy'>> & { policy: TargetPolicy };
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private ticking = false;
  private again = false;
  private readonly inflight = new Set<Promise<void>>();
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
      const row = await this.claim();
      if (!row) return;
      const p = this.deliver(row).finally(() => {
        this.inflight.delete(p);
        this.wake();
      });
      this.inflight.add(p);
    }
  }

  private async claim(): Promise<WebhookDeliveriesTable | undefined> {
    const now = Date.now();
    const candidate = await this.db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('status', '=', 'PENDING')
      .where('next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
      .orderBy('next_attempt_at')
      .limit(1)
      .executeTakeFirst();
    if (!candidate) return undefined;
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
    return { ...candidate, lease_until: lease };
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
    } else {
      try {
        statusCode = await post(sub.url, event.payload, signedHeaders(sub.secret, row.event_id, event.payload), {
          timeoutMs: this.opts.timeoutMs,
          policy: { ...this.opts.policy, allowLinkLocal: sub.allowLinkLocal || this.opts.policy.allowLinkLocal },
        });
        if (statusCode < 200 || statusCode >= 300) error = `HTTP ${statusCode}`;
      } catch (err) {
        error = err instanceof Error ? err.message : String(err);
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
      await trx
        .insertInto('webhook_delivery_attempts')
        .values({ delivery_id: row.id, attempt, at: started, status_code: statusCode ?? null, error: error ?? null, duration_ms: finished - started })
        .onConflict((oc) => oc.columns(['delivery_id', 'attempt']).doNothing())
        .execute();
      await trx
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

/** POSTs one signed CloudEvent; resolves with the status code. Redirects are not followed. */
function post(rawUrl: string, body: string, headers: Record<string, string>, opts: { timeoutMs: number; policy: TargetPolicy }): Promise<number> {
  const url = checkTargetUrl(rawUrl);
  // Literal addresses never reach `lookup`: check them here.
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) {
    const why = refuseAddress(host, opts.policy);
    if (why) return Promise.reject(new TargetRefusedError(`webhook URL ${rawUrl} refused: ${why}`));
  }
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(
      url,
      {
        method: 'POST',
        lookup: guardedLookup(opts.policy),
        timeout: opts.timeoutMs,
        headers: {
          ...headers,
          'content-type': 'application/cloudevents+json; charset=utf-8',
          'content-length': Buffer.byteLength(body),
          'user-agent': 'vigil-webhooks/1',
        },
      },
      (res) => {
        // Drain and discard the answer: only the status matters.
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timed out after ${opts.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}
