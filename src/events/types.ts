/**
 * Events Vigil emits (CloudEvents 1.0) and the webhook subscriptions that receive them.
 */
import type { Severity } from '../matching/types.js';

/** Every event type. */
export type VigilEventType =
  | 'vigil.finding.created'
  | 'vigil.finding.updated'
  | 'vigil.finding.closed'
  | 'vigil.scan.completed'
  | 'vigil.coverage.changed'
  | 'vigil.suppression-rule.changed'
  | 'vigil.finding.sla-breached';

/** Every event type, for validation and docs. */
export const eventTypes: readonly VigilEventType[] = [
  'vigil.finding.created',
  'vigil.finding.updated',
  'vigil.finding.closed',
  'vigil.scan.completed',
  'vigil.coverage.changed',
  'vigil.suppression-rule.changed',
  'vigil.finding.sla-breached',
];

/** The resource an event is about, as events carry it. */
export interface EventResource {
  id: string;
  type: string;
  name: string;
  tags?: Record<string, string>;
}

/**
 * What a producer hands to `publish`. `data` must hold whatever makes the occurrence unique
 * (a scan id, a database version, the new state): the event id is a hash of type, subject
 * and data, so publishing the same occurrence twice (a retried job) yields the same id.
 */
export interface EventInput {
  type: VigilEventType;
  accountId: string;
  /** What the event is about: a finding id, resource id or rule id. */
  subject: string;
  /** Severity used by subscription filters (the finding's, or the worst of a scan). */
  severity?: Severity;
  resource?: EventResource;
  data: Record<string, unknown>;
  /** Defaults to now; not part of the id. */
  time?: Date;
  /**
   * What identifies the occurrence, when `data` holds values computed at publish time (the
   * id is then a hash of type, account, subject and this key instead of the data).
   */
  idKey?: Record<string, unknown>;
}

/** A CloudEvent as Vigil serializes it (structured JSON mode). */
export interface VigilCloudEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: VigilEventType;
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  /** Extension attributes: account, severity (when the event has one). */
  vigilaccount: string;
  vigilseverity?: string;
  data: Record<string, unknown>;
}

/** Filters of a subscription; all given ones must match. */
export interface SubscriptionFilters {
  /** Only events whose severity is at least this (events without one pass). */
  minSeverity?: Severity;
  /** Only events of these accounts (within what the owner may see). */
  accounts?: string[];
  /** Only events about resources carrying every one of these tags. */
  resourceTags?: Record<string, string>;
}

/** A webhook subscription. */
export interface Subscription {
  id: string;
  accountId: string;
  url: string;
  /** Glob patterns over event types: `vigil.finding.*`, `*`. */
  eventTypes: string[];
  filters: SubscriptionFilters;
  /** May see other accounts' events (owned by the delegated administrator). */
  crossAccount: boolean;
  enabled: boolean;
  /** Deliver to link-local / metadata addresses (admins only). */
  allowLinkLocal: boolean;
  /**
   * The stored signing secret no longer decrypts with the server key (the key changed):
   * deliveries wait until an admin sets it again (`PUT /api/v1/subscriptions/{id}/secret`).
   */
  secretUnreadable?: boolean;
  description?: string;
  createdAt: string;
}

/** State of one event's delivery to one subscription. */
export type DeliveryStatus = 'PENDING' | 'DELIVERED' | 'DEAD';

/** One event's delivery to one subscription. */
export interface Delivery {
  id: string;
  subscriptionId: string;
  eventId: string;
  eventType: VigilEventType;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt?: string;
  lastStatusCode?: number;
  lastError?: string;
  createdAt: string;
  deliveredAt?: string;
}

/** One HTTP attempt of a delivery. */
export interface DeliveryAttempt {
  attempt: number;
  at: string;
  statusCode?: number;
  error?: string;
  durationMs: number;
}

/** Severity order for `minSeverity` (UNTRIAGED ranks with INFORMATIONAL). */
export const severityRank: Record<Severity, number> = {
  UNTRIAGED: 0,
  INFORMATIONAL: 0,
  LOW: 1,
  MEDIUM: 2,
  HIGH: 3,
  CRITICAL: 4,
};
