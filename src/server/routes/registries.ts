/**
 * Registries Vigil watches: scan on push (notifications) and/or scheduled catalog sync,
 * repository filters, rescan windows. Credentials are sealed at rest.
 */
import { z } from 'zod';
import { continuousFor } from '../../jobs/attach.js';
import { registryInput } from '../../registries/service.js';
import { scopeOf } from '../accounts.js';
import { forbidden, notFound } from '../problem.js';
import type { RouteModule } from '../router.js';
import { idParams, targetAccount } from './common.js';

const createBody = registryInput.extend({ accountId: z.string().optional() });

/** The notification endpoint block to paste into the registry's `config.yml`. */
function registryConfig(baseUrl: string, id: string, token: string): string {
  return [
    'notifications:',
    '  events: { includereferences: true }',
    '  endpoints:',
    '    - name: vigil',
    `      url: ${baseUrl}/api/v1/registry-hooks/${id}`,
    `      headers: { Authorization: [Bearer ${token}] }`,
    '      timeout: 5s',
    '      threshold: 5',
    '      backoff: 5s',
    '      ignoredmediatypes: [application/octet-stream]',
    '',
  ].join('\n');
}

/** Registry routes. */
export const registryRoutes: RouteModule = (r) => {
  const continuous = continuousFor(r);
  r.route({
    method: 'POST',
    url: '/api/v1/registries',
    summary: 'Watch a registry: scan on push and/or by scheduled catalog sync',
    description: 'Returns the notification token once, with the `notifications` block for the registry configuration.',
    tag: 'registries',
    roles: ['admin'],
    body: createBody,
    async handler({ principal, body, request, reply }) {
      const { accountId: requested, ...input } = body;
      if (input.allowPrivateNetwork && !principal.delegatedAdmin) throw forbidden('only an admin of the delegated administrator account may allow a registry on loopback or private addresses');
      const accountId = await targetAccount(r.ctx.db, principal, requested);
      const c = await continuous();
      const { registry, notificationToken } = await c.registries.create(accountId, input);
      const base = `${request.protocol}://${request.headers.host ?? 'localhost'}`;
      if (registry.modes.includes('SCHEDULED_SYNC')) await c.queue.send('catalog-sync', { registryId: registry.id }, { singletonKey: `sync:${registry.id}` });
      reply.status(201);
      return {
        registry,
        notificationToken,
        notificationUrl: `${base}/api/v1/registry-hooks/${registry.id}`,
        registryConfig: registryConfig(base, registry.id, notificationToken),
      };
    },
  });
  r.route({
    method: 'GET',
    url: '/api/v1/registries',
    summary: 'Registries visible to the caller',
    tag: 'registries',
    roles: ['viewer'],
    async handler({ principal }) {
      const c = await continuous();
      const scope = scopeOf(principal);
      const all = await c.registries.list();
      return { registries: scope === 'ALL' ? all : all.filter((g) => scope.includes(g.accountId)) };
    },
  });
  r.route({
    method: 'GET',
    url: '/api/v1/registries/:id',
    summary: 'One registry',
    tag: 'registries',
    roles: ['viewer'],
    params: idParams,
    async handler({ principal, params }) {
      const c = await continuous();
      const reg = await c.registries.get(params.id, principal.delegatedAdmin ? undefined : principal.accountId);
      if (!reg) throw notFound(`registry ${params.id}`);
      return reg;
    },
  });
  r.route({
    method: 'DELETE',
    url: '/api/v1/registries/:id',
    summary: 'Stop watching a registry',
    tag: 'registries',
    roles: ['admin'],
    params: idParams,
    async handler({ principal, params, reply }) {
      const c = await continuous();
      if (!(await c.registries.delete(params.id, principal.delegatedAdmin ? undefined : principal.accountId))) throw notFound(`registry ${params.id}`);
      reply.status(204);
      return undefined;
    },
  });
  r.route({
    method: 'PUT',
    url: '/api/v1/registries/:id/credentials',
    summary: "Replace a registry's credentials",
    description: 'Needed when the stored password no longer decrypts (`credentialsUnreadable`, after the server key changed); `null` removes them.',
    tag: 'registries',
    roles: ['admin'],
    params: idParams,
    body: z.object({ credentials: z.object({ username: z.string().min(1).max(500), password: z.string().max(10_000) }).strict().nullable() }).strict(),
    async handler({ principal, params, body }) {
      const c = await continuous();
      const scope = principal.delegatedAdmin ? undefined : principal.accountId;
      if (!(await c.registries.setCredentials(params.id, scope, body.credentials))) throw notFound(`registry ${params.id}`);
      return (await c.registries.get(params.id, scope))!;
    },
  });
  r.route({
    method: 'POST',
    url: '/api/v1/registries/:id/sync',
    summary: 'Queue a catalog sync now',
    tag: 'registries',
    roles: ['admin'],
    params: idParams,
    async handler({ principal, params, reply }) {
      const c = await continuous();
      if (!(await c.registries.get(params.id, principal.delegatedAdmin ? undefined : principal.accountId))) throw notFound(`registry ${params.id}`);
      const jobId = await c.queue.send('catalog-sync', { registryId: params.id }, { singletonKey: `sync:${params.id}` });
      reply.status(202);
      return { jobId, queued: jobId !== null };
    },
  });
};
