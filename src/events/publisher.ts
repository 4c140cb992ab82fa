import type { AnyKysely } from '../jobs/kysely.js';
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Kysely } from 'kysely';
import { log } from '../log.js';
import { buildCloudEvent } from './cloudevent.js';
import { subscriptionMatches } from './filter.js';
import type { EventsDatabase } from './schema.js';
import type { SubscriptionStore } from './subscriptions.js';
import type { EventInput, VigilCloudEvent } from './types.js';

/**
 * Publishes events: appends each to the event log once (by its stable id) and queues one
 * delivery per matching subscription, in the same transaction. Listeners in this process
 * (the SSE stream, the dispatcher) are woken; other processes see the rows when they poll.
 */
export class EventPublisher {
  private readonly db: Kysely<EventsDatabase>;
  /** Emits `published` with the CloudEvents appended by this process. */
  readonly bus = new EventEmitter();

  constructor(
    db: AnyKysely,
    private readonly subscriptions: SubscriptionStore,
  ) {
    this.db = db as unknown as Kysely<EventsDatabase>;
    this.bus.setMaxListeners(0);
  }

  /** Publishes events; returns the ones that were new (a repeated id is skipped). */
  async publish(inputs: readonly EventInput[]): Promise<VigilCloudEvent[]> {
    if (inputs.length === 0) return [];
    const subs = await this.subscriptions.enabledWithSecrets();
    const fresh: VigilCloudEvent[] = [];
    await this.db.transaction().execute(async (trx) => {
      for (const input of inputs) {
        const ce = buildCloudEvent(input);
        const inserted = await trx
          .insertInto('vigil_events')
          .values({
            id: ce.id,
            type: ce.type,
            account_id: input.accountId,
            subject: input.subject,
            severity: input.severity ?? null,
            resource_tags: JSON.stringify(input.resource?.tags ?? {}),
            time: Date.parse(ce.time),
            payload: JSON.stringify(ce),
          })
          .onConflict((oc) => oc.column('id').doNothing())
          .executeTakeFirst();
        if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) continue;
        fresh.push(ce);
        const now = Date.now();
        for (const sub of subs) {
          if (!subscriptionMatches(sub, { type: ce.type, accountId: input.accountId, severity: input.severity, resourceTags: input.resource?.tags })) continue;
          await trx
            .insertInto('webhook_deliveries')
            .values({
              id: `dlv_${randomUUID()}`,
              subscription_id: sub.id,
              event_id: ce.id,
              event_type: ce.type,
              status: 'PENDING',
              attempts: 0,
              next_attempt_at: now,
              lease_until: null,
              last_status_code: null,
              last_error: null,
              created_at: now,
              delivered_at: null,
            })
            .onConflict((oc) => oc.columns(['subscription_id', 'event_id']).doNothing())
            .execute();
        }
      }
    });
    if (fresh.length > 0) {
      log.debug({ count: fresh.length }, 'events published');
      this.bus.emit('published', fresh);
    }
    return fresh;
  }
}
