/**
 * Suppression rules: create (suppresses present and future matches), list, delete
 * (restores), preview a draft, and report rules that match nothing. Organization-wide
 * rules only from the delegated administrator.
 */
import { z } from 'zod';
import { filterCriteriaInputSchema } from '../../findings/criteria.js';
import { createRule, deleteRule, getRule, JUSTIFICATIONS, listRules, previewRule, toRule, unusedRules, updateRule } from '../../findings/suppression.js';
import { scopeOf, type Principal } from '../accounts.js';
import { badRequest, forbidden, notFound } from '../problem.js';
import type { RouteModule } from '../router.js';
import { idParams, targetAccount } from './common.js';
import type { Db } from '../../db/connect.js';

const ruleBody = z
  .object({
    name: z.string().min(1).max(200),
    reason: z.string().min(1).max(2000),
    justification: z.enum(JUSTIFICATIONS).optional(),
    // A rule suppresses by what a finding is; its SLA status changes with the clock.
    filterCriteria: filterCriteriaInputSchema.refine((c) => !c.slaStatus?.length, { message: 'slaStatus cannot be part of a suppression rule: it changes with time', path: ['slaStatus'] }),
    expiresAt: z.iso.datetime({ offset: true }).optional(),
    /** `ORGANIZATION` for an organization-wide rule (delegated administrator only). */
    scope: z.enum(['ACCOUNT', 'ORGANIZATION']).default('ACCOUNT'),
    accountId: z.string().optional(),
  })
  .strict();

/** An edit: every field optional; `null` clears the justification or the expiry. Scope and account stay. */
const ruleChangesBody = z
  .object({
    name: z.string().min(1).max(200).optional(),
    reason: z.string().min(1).max(2000).optional(),
    justification: z.enum(JUSTIFICATIONS).nullable().optional(),
    filterCriteria: filterCriteriaInputSchema.optional(),
    expiresAt: z.iso.datetime({ offset: true }).nullable().optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: 'nothing to change: give at least one of name, reason, justification, filterCriteria, expiresAt' });

/** The account a rule belongs to (null: organization-wide), checking the caller may. */
async function ruleAccount(db: Db, p: Principal, scope: 'ACCOUNT' | 'ORGANIZATION', accountId?: string): Promise<string | null> {
  if (scope === 'ORGANIZATION') {
    if (!p.delegatedAdmin) throw forbidden('organization-wide rules are for the delegated administrator');
    if (accountId) throw badRequest('an organization-wide rule has no accountId');
    return null;
  }
  return targetAccount(db, p, accountId);
}

/** Suppression rule routes. */
export const suppressionRuleRoutes: RouteModule = (r) => {
  const { db } = r.ctx;
  r.route({
    method: 'GET',
    url: '/api/v1/suppression-rules',
    summary: 'Rules visible to the caller (its account and organization-wide)',
    tag: 'suppression-rules',
    roles: ['viewer'],
    async handler({ principal }) {
      return { rules: await listRules(db, scopeOf(principal)) };
    },
  });
  r.route({
    method: 'POST',
    url: '/api/v1/suppression-rules',
    summary: 'Create a rule; suppresses matching findings now and later',
    tag: 'suppression-rules',
    roles: ['admin'],
    body: ruleBody,
    async handler({ principal, body, reply }) {
      const accountId = await ruleAccount(db, principal, body.scope, body.accountId);
      try {
        const { rule, suppressed } = await createRule(db, {
          accountId,
          name: body.name,
          reason: body.reason,
          justification: body.justification,
          criteria: body.filterCriteria,
          expiresAt: body.expiresAt ? Date.parse(body.expiresAt) : undefined,
          createdBy: principal.keyId,
        });
        reply.status(201);
        return { rule, suppressed };
      } catch (err) {
        if (err instanceof Error && /suppression rule|expiresAt/.test(err.message)) throw badRequest(err.message);
        throw err;
      }
    },
  });
  r.route({
    method: 'POST',
    url: '/api/v1/suppression-rules/preview',
    summary: 'What a draft rule would suppress',
    tag: 'suppression-rules',
    roles: ['viewer'],
    body: ruleBody.partial({ name: true, reason: true }),
    async handler({ principal, body }) {
      const accountId = body.scope === 'ORGANIZATION' ? null : await targetAccount(db, principal, body.accountId);
      try {
        return await previewRule(db, scopeOf(principal), accountId, body.filterCriteria);
      } catch (err) {
        if (err instanceof Error && /suppression rule/.test(err.message)) throw badRequest(err.message);
        throw err;
      }
    },
  });
  r.route({
    method: 'GET',
    url: '/api/v1/suppression-rules/unused',
    summary: 'Rules in force that match no open finding',
    tag: 'suppression-rules',
    roles: ['viewer'],
    async handler({ principal }) {
      return { rules: await unusedRules(db, scopeOf(principal)) };
    },
  });
  r.route({
    method: 'GET',
    url: '/api/v1/suppression-rules/:id',
    summary: 'One rule',
    tag: 'suppression-rules',
    roles: ['viewer'],
    params: idParams,
    async handler({ principal, params }) {
      const row = await getRule(db, scopeOf(principal), params.id);
      if (!row) throw notFound(`suppression rule ${params.id}`);
      return toRule(row);
    },
  });
  r.route({
    method: 'DELETE',
    url: '/api/v1/suppression-rules/:id',
    summary: 'Delete a rule; its findings return to ACTIVE',
    tag: 'suppression-rules',
    roles: ['admin'],
    params: idParams,
    async handler({ principal, params }) {
      const row = await getRule(db, scopeOf(principal), params.id);
      if (!row) throw notFound(`suppression rule ${params.id}`);
      if (row.account_id === null && !principal.delegatedAdmin) throw forbidden('organization-wide rules are managed by the delegated administrator');
      const restored = await deleteRule(db, row);
      return { deleted: row.id, restored };
    },
  });
  r.route({
    method: 'PATCH',
    url: '/api/v1/suppression-rules/:id',
    summary: 'Edit a rule (name, reason, justification, filter, expiry); its findings are re-matched when the filter or expiry changes',
    tag: 'suppression-rules',
    roles: ['admin'],
    params: idParams,
    body: ruleChangesBody,
    async handler({ principal, params, body }) {
      const row = await getRule(db, scopeOf(principal), params.id);
      if (!row) throw notFound(`suppression rule ${params.id}`);
      if (row.account_id === null && !principal.delegatedAdmin) throw forbidden('organization-wide rules are managed by the delegated administrator');
      try {
        return await updateRule(db, row, {
          name: body.name,
          reason: body.reason,
          justification: body.justification,
          criteria: body.filterCriteria,
          expiresAt: body.expiresAt === undefined ? undefined : body.expiresAt === null ? null : Date.parse(body.expiresAt),
        });
      } catch (err) {
        if (err instanceof Error && /suppression rule|expiresAt/.test(err.message)) throw badRequest(err.message);
        throw err;
      }
    },
  });
};
