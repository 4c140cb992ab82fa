import { createHash } from 'node:crypto';
import { CloudEvent } from 'cloudevents';
import type { EventInput, VigilCloudEvent } from './types.js';

/** JSON with object keys sorted, so equal content hashes equally. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/**
 * The stable id of an event: SHA-256 over type, account, subject and data (or `idKey`; never time), so
 * the same occurrence published twice — by a retried job, or by two workers — has one id
 * and receivers can de-duplicate on it.
 */
export function eventId(input: Pick<EventInput, 'type' | 'accountId' | 'subject' | 'data' | 'idKey'>): string {
  const digest = createHash('sha256')
    .update(canonicalJson({ type: input.type, account: input.accountId, subject: input.subject, data: input.idKey ?? input.data }))
    .digest('hex');
  return `evt_${digest.slice(0, 40)}`;
}

/** Builds the CloudEvent (validated by the `cloudevents` package) for an event input. */
export function buildCloudEvent(input: EventInput): VigilCloudEvent {
  const data = input.resource ? { ...input.data, resource: input.resource } : input.data;
  const event = new CloudEvent<Record<string, unknown>>(
    {
      specversion: '1.0',
      id: eventId(input),
      source: `/vigil/accounts/${encodeURIComponent(input.accountId)}`,
      type: input.type,
      subject: input.subject,
      time: (input.time ?? new Date()).toISOString(),
      datacontenttype: 'application/json',
      vigilaccount: input.accountId,
      ...(input.severity ? { vigilseverity: input.severity } : {}),
      data,
    },
    true,
  );
  return event.toJSON() as unknown as VigilCloudEvent;
}
