import type { AnyKysely } from '../jobs/kysely.js';
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Kysely } from 'kysely';
import { log } from '../log.js';
import { buildCloudEvent, eventId } from './cloudevent.js';
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

  /** Ids of these that are already in the event log. */
  async existing(ids: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await this.db.selectFrom('vigil_events').select('id').where('id', 'in', ids.slice(i, i + 500)).execute();
      for (const r of rows) found.add(r.id);
    }
    return found;
  }

  /** Publishes events; returns the ones that were new (a repeated id is skipped). */
  async publish(all: readonly EventInput[]): Promise<VigilCloudEvent[]> {
    let inputs = all;
    if (inputs.length === 0) return [];
    // Relays re-read recent rows; drop what is already in the log before doing any work.
    const known = await this.existing(inputs.map((i) => eventId(i)));
    inputs = inputs.filter((i) => !known.has(eventId(i)));
    if (inputs.length === 0) return [];
    const subs = await this.subscriptions.enabled();
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
