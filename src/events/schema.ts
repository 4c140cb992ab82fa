import type { Generated, Kysely } from 'kysely';

/** SQL dialects (same names as the service database's). */
export type Dialect = 'sqlite' | 'postgres';

/** A published event (the log SSE streams from and deliveries point to). */
export interface EventsTable {
  /** Insertion order; SSE clients resume from it (`Last-Event-ID`). */
  seq: Generated<number>;
  id: string;
  type: string;
  account_id: string;
  subject: string;
  severity: string | null;
  /** Resource tags, JSON object, for subscription filters. */
  resource_tags: string;
  time: number;
  /** The CloudEvent, JSON. */
  payload: string;
}

/** A webhook subscription. */
export interface WebhookSubscriptionsTable {
  id: string;
  account_id: string;
  url: string;
  /** JSON array of glob patterns. */
  event_types: string;
  /** JSON SubscriptionFilters. */
  filters: string;
  cross_account: number;
  enabled: number;
  allow_link_local: number;
  /** The signing secret, sealed with the server key. */
  secret_sealed: string;
  description: string | null;
  created_at: number;
}

/** One event's delivery to one subscription. */
export interface WebhookDeliveriesTable {
  id: string;
  subscription_id: string;
  event_id: string;
  event_type: string;
  status: string;
  attempts: number;
  next_attempt_at: number | null;
  /** A dispatcher holds the delivery until then (several processes may dispatch). */
  lease_until: number | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: number;
  delivered_at: number | null;
}

/** One HTTP attempt of a delivery: the delivery log. */
export interface WebhookDeliveryAttemptsTable {
  delivery_id: string;
  attempt: number;
  at: number;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
}

/** Where the event relay has read up to, per source table. */
export interface RelayStateTable {
  name: string;
  value: string;
}

/** The tables the events module owns. */
export interface EventsDatabase {
  vigil_relay_state: RelayStateTable;
  vigil_events: EventsTable;
  webhook_subscriptions: WebhookSubscriptionsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_delivery_attempts: WebhookDeliveryAttemptsTable;
}

/** Creates the event log, subscription and delivery tables. */
export const eventsMigration = {
  name: '0100-events',
  async up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
    const ts = dialect === 'postgres' ? 'bigint' : 'integer';
    await db.schema
      .createTable('vigil_events')
      .ifNotExists()
      .addColumn('seq', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
        dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
      )
      .addColumn('id', 'text', (c) => c.notNull().unique())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('severity', 'text')
      .addColumn('resource_tags', 'text', (c) => c.notNull().defaultTo('{}'))
      .addColumn('time', ts, (c) => c.notNull())
      .addColumn('payload', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('webhook_subscriptions')
      .ifNotExists()
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('event_types', 'text', (c) => c.notNull())
      .addColumn('filters', 'text', (c) => c.notNull())
      .addColumn('cross_account', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('allow_link_local', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('secret_sealed', 'text', (c) => c.notNull())
      .addColumn('description', 'text')
      .addColumn('created_at', ts, (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('webhook_deliveries')
      .ifNotExists()
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('subscription_id', 'text', (c) => c.notNull().references('webhook_subscriptions.id').onDelete('cascade'))
      .addColumn('event_id', 'text', (c) => c.notNull())
      .addColumn('event_type', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('next_attempt_at', ts)
      .addColumn('lease_until', ts)
      .addColumn('last_status_code', 'integer')
      .addColumn('last_error', 'text')
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('delivered_at', ts)
      .addUniqueConstraint('webhook_deliveries_once', ['subscription_id', 'event_id'])
      .execute();
    await db.schema.createIndex('webhook_deliveries_due').ifNotExists().on('webhook_deliveries').columns(['status', 'next_attempt_at']).execute();
    await db.schema
      .createTable('webhook_delivery_attempts')
      .ifNotExists()
      .addColumn('delivery_id', 'text', (c) => c.notNull().references('webhook_deliveries.id').onDelete('cascade'))
      .addColumn('attempt', 'integer', (c) => c.notNull())
      .addColumn('at', ts, (c) => c.notNull())
      .addColumn('status_code', 'integer')
      .addColumn('error', 'text')
      .addColumn('duration_ms', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('webhook_delivery_attempts_pk', ['delivery_id', 'attempt'])
      .execute();
    await db.schema
      .createTable('vigil_relay_state')
      .ifNotExists()
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .execute();
  },
};
