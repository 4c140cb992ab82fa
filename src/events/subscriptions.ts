import type { AnyKysely } from '../jobs/kysely.js';
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { MAX_GLOB_LENGTH } from '../glob.js';
import type { SecretBox } from '../registries/secret-box.js';
import type { EventsDatabase, WebhookSubscriptionsTable } from './schema.js';
import { generateSecret } from './signature.js';
import { validateTarget, type TargetPolicy } from './target.js';
import type { Subscription, SubscriptionFilters } from './types.js';

const severities = ['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL', 'UNTRIAGED'] as const;

/** The body of `POST /api/v1/subscriptions`. */
export const subscriptionInput = z.object({
  url: z.string().min(1).max(2048),
  eventTypes: z
    .array(
      z
        .string()
        .max(MAX_GLOB_LENGTH, `an event type pattern has at most ${MAX_GLOB_LENGTH} characters`)
        .regex(/^[a-z0-9.*-]+$/, 'event type patterns use lower-case letters, digits, dots, dashes and *'),
    )
    .min(1)
    .max(32)
    .default(['*']),
  filters: z
    .object({
      minSeverity: z.enum(severities).optional(),
      accounts: z.array(z.string().min(1)).max(1000).optional(),
      resourceTags: z.record(z.string(), z.string()).optional(),
    })
    .strict()
    .default({}),
  /** Deliver to link-local / metadata addresses; only an admin of the delegated administrator account may set it. */
  allowLinkLocal: z.boolean().default(false),
  /** Supply a secret (`whsec_…`) instead of having one generated. */
  secret: z.string().min(24).max(200).optional(),
  description: z.string().max(500).optional(),
  enabled: z.boolean().default(true),
});

/** Parsed subscription input. */
export type SubscriptionInput = z.infer<typeof subscriptionInput>;

/** Who is creating or reading subscriptions. */
export interface SubscriptionOwner {
  accountId: string;
  /** The delegated administrator sees and subscribes to every account's events. */
  crossAccount: boolean;
}

/** Subscriptions, stored with their secret sealed by the server key. */
export class SubscriptionStore {
  private readonly db: Kysely<EventsDatabase>;

  constructor(
    db: AnyKysely,
    private readonly box: SecretBox,
    /** Server-wide target policy (e.g. loopback allowed in tests and single-host setups). */
    private readonly policy: TargetPolicy = {},
  ) {
    this.db = db as unknown as Kysely<EventsDatabase>;
  }

  /** Validates the target and stores the subscription; the secret is returned only here. */
  async create(owner: SubscriptionOwner, input: SubscriptionInput): Promise<{ subscription: Subscription; secret: string }> {
    if (input.filters.accounts && !owner.crossAccount && input.filters.accounts.some((a) => a !== owner.accountId)) {
      throw new Error('filters.accounts names another account; only the delegated administrator subscribes across accounts');
    }
    await validateTarget(input.url, { ...this.policy, allowLinkLocal: input.allowLinkLocal || this.policy.allowLinkLocal });
    const secret = input.secret ?? generateSecret();
    const row: WebhookSubscriptionsTable = {
      id: `sub_${randomUUID()}`,
      account_id: owner.accountId,
      url: input.url,
      event_types: JSON.stringify(input.eventTypes),
      filters: JSON.stringify(input.filters),
      cross_account: owner.crossAccount ? 1 : 0,
      enabled: input.enabled ? 1 : 0,
      allow_link_local: input.allowLinkLocal ? 1 : 0,
      secret_sealed: this.box.seal(secret),
      description: input.description ?? null,
      created_at: Date.now(),
    };
    await this.db.insertInto('webhook_subscriptions').values(row).execute();
    return { subscription: toSubscription(row), secret };
  }

  /** Subscriptions the owner may see. */
  async list(owner: SubscriptionOwner): Promise<Subscription[]> {
    let q = this.db.selectFrom('webhook_subscriptions').selectAll().orderBy('created_at');
    if (!owner.crossAccount) q = q.where('account_id', '=', owner.accountId);
    return (await q.execute()).map((r) => this.shown(r));
  }

  /** One subscription, when the owner may see it. */
  async get(owner: SubscriptionOwner, id: string): Promise<Subscription | undefined> {
    let q = this.db.selectFrom('webhook_subscriptions').selectAll().where('id', '=', id);
    if (!owner.crossAccount) q = q.where('account_id', '=', owner.accountId);
    const row = await q.executeTakeFirst();
    return row ? this.shown(row) : undefined;
  }

  /** Replaces the signing secret (e.g. after the server key changed); returns it, or undefined when not found. */
  async setSecret(owner: SubscriptionOwner, id: string, secret = generateSecret()): Promise<string | undefined> {
    if (!(await this.get(owner, id))) return undefined;
    await this.db.updateTable('webhook_subscriptions').set({ secret_sealed: this.box.seal(secret) }).where('id', '=', id).execute();
    return secret;
  }

  /** Ids of subscriptions whose secret the server key no longer opens. */
  async unreadableSecrets(): Promise<string[]> {
    const rows = await this.db.selectFrom('webhook_subscriptions').select(['id', 'secret_sealed']).execute();
    return rows.filter((r) => this.open(r.secret_sealed) === undefined).map((r) => r.id);
  }

  /** Deletes a subscription (and its delivery log); false when not found. */
  async delete(owner: SubscriptionOwner, id: string): Promise<boolean> {
    if (!(await this.get(owner, id))) return false;
    await this.db.deleteFrom('webhook_delivery_attempts').where('delivery_id', 'in', (eb) => eb.selectFrom('webhook_deliveries').select('id').where('subscription_id', '=', id)).execute();
    await this.db.deleteFrom('webhook_deliveries').where('subscription_id', '=', id).execute();
    await this.db.deleteFrom('webhook_subscriptions').where('id', '=', id).execute();
    return true;
  }

  /** Every enabled subscription (for the publisher: matching needs no secret). */
  async enabled(): Promise<Subscription[]> {
    const rows = await this.db.selectFrom('webhook_subscriptions').selectAll().where('enabled', '=', 1).execute();
    return rows.map(toSubscription);
  }

  /** One subscription with its secret; `secret` is undefined when the server key no longer opens it. */
  async withSecret(id: string): Promise<(Subscription & { secret?: string }) | undefined> {
    const row = await this.db.selectFrom('webhook_subscriptions').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return undefined;
    const secret = this.open(row.secret_sealed);
    return { ...toSubscription(row), ...(secret !== undefined ? { secret } : { secretUnreadable: true }) };
  }

  private open(sealed: string): string | undefined {
    try {
      return this.box.open(sealed);
    } catch {
      return undefined;
    }
  }

  /** The API shape, saying when the secret must be set again. */
  private shown(row: WebhookSubscriptionsTable): Subscription {
    const sub = toSubscription(row);
    return this.open(row.secret_sealed) === undefined ? { ...sub, secretUnreadable: true } : sub;
  }
}

/** Maps a row to the API shape (no secret). */
export function toSubscription(row: WebhookSubscriptionsTable): Subscription {
  return {
    id: row.id,
    accountId: row.account_id,
    url: row.url,
    eventTypes: JSON.parse(row.event_types) as string[],
    filters: JSON.parse(row.filters) as SubscriptionFilters,
    crossAccount: row.cross_account === 1,
    enabled: row.enabled === 1,
    allowLinkLocal: row.allow_link_local === 1,
    ...(row.description ? { description: row.description } : {}),
    createdAt: new Date(Number(row.created_at)).toISOString(),
  };
}
