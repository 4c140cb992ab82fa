/**
 * Webhook subscriptions: signed CloudEvents delivered at least once, with a delivery log,
 * a dead-letter list and manual redelivery.
 */
import { z } from 'zod';
import { subscriptionInput } from '../../events/subscriptions.js';
import { TargetRefusedError } from '../../events/target.js';
import { continuousFor } from '../../jobs/attach.js';
import type { Principal } from '../accounts.js';
import { badRequest, forbidden, notFound } from '../problem.js';
import type { RouteModule } from '../router.js';
import { idParams } from './common.js';

function owner(p: Principal) {
  return { accountId: p.accountId, crossAccount: p.delegatedAdmin };
}

const deliveryParams = z.object({ id: z.string().min(1).max(128), deliveryId: z.string().min(1).max(128) });
const deliveryQuery = z.object({ status: z.enum(['PENDING', 'DELIVERED', 'DEAD']).optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) });

/** Subscription routes. */
export const subscriptionRoutes: RouteModule = (r) => {
  const continuous = continuousFor(r);
  r.route({
    method: 'POST',
    url: '/api/v1/subscriptions',
    summary: 'Subscribe a webhook URL to events',
    description: 'The signing secret is returned once. Deliveries carry webhook-id, webhook-timestamp and webhook-signature headers (Standard Webhooks).',
    tag: 'subscriptions',
    roles: ['admin'],
    body: subscriptionInput,
    async handler({ principal, body, reply }) {
      if (body.allowLinkLocal && !principal.delegatedAdmin) throw forbidden('only an admin of the delegated administrator account may allow link-local targets');
      const c = await continuous();
      try {
        const { subscription, secret } = await c.subscriptions.create(owner(principal), body);
        reply.status(201);
        return { subscription, secret };
      } catch (err) {
        if (err instanceof TargetRefusedError || (err instanceof Error && /another account/.test(err.message))) throw badRequest(err.message);
        throw err;
      }
    },
  });
  r.route({
    method: 'GET',
    url: '/api/v1/subscriptions',
    summary: 'Subscriptions visible to the caller',
    tag: 'subscriptions',
    roles: ['viewer'],
    async handler({ principal }) {
      const c = await continuous();
      return { subscriptions: await c.subscriptions.list(owner(principal)) };
    },
  });
  r.route({
    method: 'GET',
    url: '/api/v1/subscriptions/:id',
    summary: 'One subscription',
    tag: 'subscriptions',
    roles: ['viewer'],
    params: idParams,
    async handler({ principal, params }) {
      const c = await continuous();
      const sub = await c.subscriptions.get(owner(principal), params.id);
      if (!sub) throw notFound(`subscription ${params.id}`);
      return sub;
    },
  });
  r.route({
    method: 'PUT',
    url: '/api/v1/subscriptions/:id/secret',
    summary: 'Replace the signing secret',
    description: 'Generates a new secret unless one is given, and returns it once. Needed when the stored secret no longer decrypts (`secretUnreadable`, after the server key changed).',
    tag: 'subscriptions',
    roles: ['admin'],
    params: idParams,
    body: z.object({ secret: z.string().min(24).max(200).optional() }).strict(),
    async handler({ principal, params, body }) {
      const c = await continuous();
      const secret = await c.subscriptions.setSecret(owner(principal), params.id, body.secret);
      if (secret === undefined) throw notFound(`subscription ${params.id}`);
      return { secret };
    },
  });
  r.route({
    method: 'DELETE',
    url: '/api/v1/subscriptions/:id',
    summary: 'Delete a subscription and its delivery log',
    tag: 'subscriptions',
    roles: ['admin'],
    params: idParams,
    async handler({ principal, params, reply }) {
      const c = await continuous();
      if (!(await c.subscriptions.delete(owner(principal), params.id))) throw notFound(`subscription ${params.id}`);
      reply.status(204);
      return undefined;
    },
  });
  r.route({
    method: 'GET',
    url: '/api/v1/subscriptions/:id/deliveries',
    summary: 'The delivery log, newest first (status=DEAD lists the dead letters)',
    tag: 'subscriptions',
    roles: ['viewer'],
    params: idParams,
    query: deliveryQuery,
    async handler({ principal, params, query }) {
      const c = await continuous();
      if (!(await c.subscriptions.get(owner(principal), params.id))) throw notFound(`subscription ${params.id}`);
      return { deliveries: await c.dispatcher.deliveries(params.id, { status: query.status, limit: query.limit }) };
    },
  });
  r.route({
    method: 'GET',
    url: '/api/v1/subscriptions/:id/dead-letters',
    summary: 'Deliveries that failed for 24 hours and were given up',
    tag: 'subscriptions',
    roles: ['viewer'],
    params: idParams,
    async handler({ principal, params }) {
      const c = await continuous();
      if (!(await c.subscriptions.get(owner(principal), params.id))) throw notFound(`subscription ${params.id}`);
      return { deliveries: await c.dispatcher.deliveries(params.id, { status: 'DEAD', limit: 1000 }) };
    },
  });
  r.route({
    method: 'GET',
    url: '/api/v1/subscriptions/:id/deliveries/:deliveryId',
    summary: 'One delivery with its attempts',
    tag: 'subscriptions',
    roles: ['viewer'],
    params: deliveryParams,
    async handler({ principal, params }) {
      const c = await continuous();
      if (!(await c.subscriptions.get(owner(principal), params.id))) throw notFound(`subscription ${params.id}`);
      const delivery = (await c.dispatcher.deliveries(params.id, { limit: 100_000 })).find((d) => d.id === params.deliveryId);
      if (!delivery) throw notFound(`delivery ${params.deliveryId}`);
      return { ...delivery, attempts: await c.dispatcher.attempts(delivery.id) };
    },
  });
  r.route({
    method: 'POST',
    url: '/api/v1/subscriptions/:id/deliveries/:deliveryId/redeliver',
    summary: 'Send a delivery again now (from the log or the dead-letter list)',
    tag: 'subscriptions',
    roles: ['admin'],
    params: deliveryParams,
    async handler({ principal, params, reply }) {
      const c = await continuous();
      if (!(await c.subscriptions.get(owner(principal), params.id))) throw notFound(`subscription ${params.id}`);
      const d = await c.dispatcher.redeliver(params.id, params.deliveryId);
      if (!d) throw notFound(`delivery ${params.deliveryId}`);
      reply.status(202);
      return d;
    },
  });
};
