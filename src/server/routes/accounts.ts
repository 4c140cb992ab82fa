/**
 * Accounts and API keys. The delegated administrator creates accounts and manages every
 * account's keys; an account's admin manages its own keys.
 */
import { z } from 'zod';
import { ACCOUNT_ID, ROLES, createAccount, createKey, getAccount, listAccounts, listKeys, revokeKey, scopeOf } from '../accounts.js';
import { HttpProblem, notFound } from '../problem.js';
import type { RouteModule } from '../router.js';
import { idParams, targetAccount } from './common.js';

const accountSchema = z.object({ id: z.string(), name: z.string(), delegatedAdmin: z.boolean(), createdAt: z.string() });
const keySchema = z.object({
  id: z.string(),
  accountId: z.string(),
  role: z.enum(ROLES),
  name: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().optional(),
  revokedAt: z.string().optional(),
});

/** Account and key routes. */
export const accountRoutes: RouteModule = (r) => {
  const { db } = r.ctx;
  r.route({
    method: 'GET',
    url: '/api/v1/accounts',
    summary: 'Accounts visible to the caller',
    tag: 'accounts',
    roles: ['viewer'],
    responses: { 200: z.object({ accounts: z.array(accountSchema) }) },
    async handler({ principal }) {
      return { accounts: await listAccounts(db, scopeOf(principal)) };
    },
  });
  r.route({
    method: 'POST',
    url: '/api/v1/accounts',
    summary: 'Create an account (delegated administrator)',
    tag: 'accounts',
    roles: ['admin'],
    body: z.object({ id: z.string().regex(ACCOUNT_ID), name: z.string().min(1).max(200).optional() }).strict(),
    responses: { 201: accountSchema },
    async handler({ principal, body, reply }) {
      if (!principal.delegatedAdmin) throw new HttpProblem(403, 'only the delegated administrator creates accounts', undefined, 'forbidden');
      if (await getAccount(db, body.id)) throw new HttpProblem(409, `account ${body.id} already exists`, undefined, 'conflict');
      reply.status(201);
      return createAccount(db, body.id, body.name ?? body.id);
    },
  });
  r.route({
    method: 'GET',
    url: '/api/v1/keys',
    summary: 'API keys (admins; without secrets)',
    tag: 'keys',
    roles: ['admin'],
    query: z.object({ accountId: z.string().optional() }),
    responses: { 200: z.object({ keys: z.array(keySchema) }) },
    async handler({ principal, query }) {
      return { keys: await listKeys(db, scopeOf(principal), query.accountId) };
    },
  });
  r.route({
    method: 'POST',
    url: '/api/v1/keys',
    summary: 'Create an API key; the key is returned once',
    tag: 'keys',
    roles: ['admin'],
    body: z.object({ accountId: z.string().optional(), role: z.enum(ROLES), name: z.string().min(1).max(200).optional() }).strict(),
    responses: { 201: z.object({ key: z.string(), info: keySchema }) },
    async handler({ principal, body, reply }) {
      const accountId = await targetAccount(db, principal, body.accountId);
      reply.status(201);
      return createKey(db, accountId, body.role, body.name);
    },
  });
  r.route({
    method: 'DELETE',
    url: '/api/v1/keys/:id',
    summary: 'Revoke an API key',
    tag: 'keys',
    roles: ['admin'],
    params: idParams,
    async handler({ principal, params, reply }) {
      if (!(await revokeKey(db, scopeOf(principal), params.id))) throw notFound(`key ${params.id}`);
      reply.status(204);
      return undefined;
    },
  });
};
