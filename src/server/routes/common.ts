/**
 * Helpers routes share: account targeting and scoping, pagination parameters.
 */
import { z } from 'zod';
import type { Db } from '../../db/connect.js';
import type { AccountScope } from '../../findings/scope.js';
import { getAccount, scopeOf, type Principal } from '../accounts.js';
import { HttpProblem } from '../problem.js';

/** The accounts the caller may read, narrowed to `accountId` when given. */
export function readScope(p: Principal, accountId?: string): AccountScope {
  const scope = scopeOf(p);
  if (!accountId) return scope;
  if (scope === 'ALL' || scope.includes(accountId)) return [accountId];
  // Not an error: another account's data simply is not visible.
  return [];
}

/**
 * The account a write acts on: the caller's own, or (delegated administrator only)
 * the one named. Throws 403 for another account, 404 for an unknown one.
 */
export async function targetAccount(db: Db, p: Principal, requested?: string): Promise<string> {
  if (!requested || requested === p.accountId) return p.accountId;
  if (!p.delegatedAdmin) throw new HttpProblem(403, `this key acts only on account ${p.accountId}`, undefined, 'forbidden');
  if (!(await getAccount(db, requested))) throw new HttpProblem(404, `account ${requested} not found`, undefined, 'not-found');
  return requested;
}

/** `?limit=&cursor=` of list endpoints. */
export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(512).optional(),
});

/** `:id` path parameter. */
export const idParams = z.object({ id: z.string().min(1).max(128) });

/** Schema of a problem details response, for the OpenAPI document. */
export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  instance: z.string().optional(),
  errors: z.array(z.object({ pointer: z.string(), detail: z.string() })).optional(),
});

/** An opaque page token for a keyset position. */
export function encodePageToken(position: unknown): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

/**
 * Decodes a page token made by {@link encodePageToken}; a token that is not one (bad
 * base64, bad JSON, a position of the wrong shape) is a 400 naming the parameter.
 */
export function decodePageToken<T>(token: string, parameter: string, valid: (v: unknown) => v is T): T {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  if (!valid(value)) throw new HttpProblem(400, `${parameter} is not a token this server issued; repeat the first request without it`, [{ pointer: `/${parameter}`, detail: 'not a token this server issued' }], 'invalid-request');
  return value;
}
