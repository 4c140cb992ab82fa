/**
 * The event stream for dashboards: Server-Sent Events of the same CloudEvents webhooks get.
 */
import { z } from 'zod';
import { MAX_GLOB_LENGTH } from '../../glob.js';
import { streamEvents } from '../../events/sse.js';
import { continuousFor } from '../../jobs/attach.js';
import { keyIsActive, onKeyRevoked } from '../accounts.js';
import type { RouteModule } from '../router.js';

/** As many patterns as a subscription may have. */
const MAX_STREAM_PATTERNS = 32;

const streamQuery = z.object({
  /** Comma-separated event-type patterns, e.g. `vigil.finding.*,vigil.scan.completed`. */
  types: z
    .string()
    .max(1000)
    .refine((v) => v.split(',').every((t) => t.trim().length <= MAX_GLOB_LENGTH), `an event type pattern has at most ${MAX_GLOB_LENGTH} characters`)
    .refine((v) => v.split(',').length <= MAX_STREAM_PATTERNS, `at most ${MAX_STREAM_PATTERNS} event type patterns`)
    .optional(),
});

/** How often an open stream checks that its key is still valid: `VIGIL_SSE_KEY_RECHECK_MS`, default 30 s. */
function recheckMs(): number {
  const v = Number(process.env.VIGIL_SSE_KEY_RECHECK_MS);
  return Number.isFinite(v) && v > 0 ? v : 30_000;
}

/** Event routes. */
export const eventRoutes: RouteModule = (r) => {
  const continuous = continuousFor(r);
  r.route({
    method: 'GET',
    url: '/api/v1/events/stream',
    summary: 'Server-Sent Events stream of events (id: log sequence, event: type, data: CloudEvent JSON)',
    description:
      'Resume with the Last-Event-ID header; without it the stream starts with new events. The stream ends when its API key is revoked: at once when revoked through this server process, within VIGIL_SSE_KEY_RECHECK_MS (default 30 s) otherwise.',
    tag: 'events',
    roles: ['viewer'],
    query: streamQuery,
    async handler({ principal, query, request, reply }) {
      const c = await continuous();
      reply.hijack();
      const last = request.headers['last-event-id'];
      await streamEvents(request.raw, reply.raw, {
        db: r.ctx.db.kysely,
        publisher: c.publisher,
        scope: { accountId: principal.accountId, crossAccount: principal.delegatedAdmin },
        types: query.types?.split(',').map((t) => t.trim()).filter(Boolean),
        ...(typeof last === 'string' ? { lastEventId: last } : {}),
        authorization: {
          check: () => keyIsActive(r.ctx.db, principal.keyId),
          everyMs: recheckMs(),
          subscribe: (onRevoked) => onKeyRevoked(principal.keyId, onRevoked),
        },
      });
      return undefined;
    },
  });
};
