/**
 * Remediation SLA policy, compliance figures for a period, and the printable compliance
 * report (HTML, or PDF printed by Chromium).
 */
import { z } from 'zod';
import { getAccount } from '../accounts.js';
import { complianceReport } from '../../findings/compliance.js';
import { getValue } from '../../findings/settings.js';
import { getSlaPolicy, putSlaPolicy, slaPolicySchema } from '../../findings/sla.js';
import { complianceHtml } from '../../reports/compliance-html.js';
import { PdfUnavailableError, renderPdf } from '../../reports/pdf.js';
import { badRequest, forbidden, HttpProblem } from '../problem.js';
import type { RouteModule } from '../router.js';
import { readScope } from './common.js';

const DAY = 86_400_000;
/** Longest period a report covers. */
const MAX_PERIOD_DAYS = 3 * 366;
/** Period when none is given: the 90 days before now. */
const DEFAULT_PERIOD_DAYS = 90;

/** A date (`2026-10-01`) or date-time with offset. */
const instant = z.string().max(40).refine((v) => /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2}))?$/.test(v) && Number.isFinite(Date.parse(v)), {
  message: 'must be a date (2026-10-01) or an ISO 8601 date-time with offset',
});

const periodQuery = z.object({
  from: instant.optional(),
  to: instant.optional(),
  accountId: z.string().max(128).optional(),
});

/** The period of a request, checked: from before to, at most three years. */
function period(q: { from?: string; to?: string }, now: number): { from: number; to: number } {
  const to = q.to ? Date.parse(q.to) : now;
  const from = q.from ? Date.parse(q.from) : to - DEFAULT_PERIOD_DAYS * DAY;
  if (from >= to) throw badRequest(`from (${q.from ?? new Date(from).toISOString()}) must be before to (${q.to ?? new Date(to).toISOString()})`, [{ pointer: '/from', detail: 'must be before to' }]);
  if (to - from > MAX_PERIOD_DAYS * DAY) throw badRequest(`the period from ${q.from} to ${q.to} is longer than ${MAX_PERIOD_DAYS} days`, [{ pointer: '/from', detail: `period longer than ${MAX_PERIOD_DAYS} days` }]);
  return { from, to };
}

/** Compliance routes. */
export const complianceRoutes: RouteModule = (r) => {
  const { db } = r.ctx;
  r.route({
    method: 'GET',
    url: '/api/v1/sla-policy',
    summary: 'The remediation SLA policy: days to remediate per severity, account overrides',
    tag: 'compliance',
    roles: ['viewer'],
    async handler() {
      return getSlaPolicy(db);
    },
  });
  r.route({
    method: 'PUT',
    url: '/api/v1/sla-policy',
    summary: 'Replace the remediation SLA policy (delegated administrator)',
    tag: 'compliance',
    roles: ['admin'],
    body: slaPolicySchema,
    async handler({ principal, body }) {
      if (!principal.delegatedAdmin) throw forbidden('the SLA policy is managed by the delegated administrator');
      for (const accountId of Object.keys(body.accounts)) {
        if (!(await getAccount(db, accountId))) throw badRequest(`accounts.${accountId}: no such account`, [{ pointer: `/accounts/${accountId}`, detail: 'no such account' }]);
      }
      return putSlaPolicy(db, body);
    },
  });
  r.route({
    method: 'GET',
    url: '/api/v1/compliance',
    summary: 'Compliance figures for a period: per account and severity opened, closed, MTTR, open past SLA; scan cadence; requirement mapping',
    tag: 'compliance',
    roles: ['viewer'],
    query: periodQuery,
    async handler({ principal, query }) {
      const now = Date.now();
      return complianceReport(db, readScope(principal, query.accountId), { ...period(query, now), policy: await getSlaPolicy(db), now });
    },
  });
  r.route({
    method: 'GET',
    url: '/api/v1/reports/compliance',
    summary: 'The compliance report for a period, printable: HTML or PDF',
    tag: 'compliance',
    roles: ['viewer'],
    query: periodQuery.extend({ format: z.enum(['html', 'pdf']).default('html') }),
    async handler({ principal, query, reply, request }) {
      const now = Date.now();
      const p = period(query, now);
      const report = await complianceReport(db, readScope(principal, query.accountId), { ...p, policy: await getSlaPolicy(db), now });
      const organization = JSON.parse((await getValue(db, 'organization_name')) ?? '"Vigil"') as string;
      const html = complianceHtml(report, organization);
      const name = `vigil-compliance-${report.period.from.slice(0, 10)}-${report.period.to.slice(0, 10)}`;
      if (query.format === 'html') {
        // The page has no scripts: forbid them outright.
        reply.type('text/html; charset=utf-8').header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'");
        return html;
      }
      const abort = new AbortController();
      request.raw.once('close', () => abort.abort());
      try {
        const pdf = await renderPdf(html, { signal: abort.signal });
        reply.type('application/pdf').header('content-disposition', `attachment; filename="${name}.pdf"`);
        return pdf;
      } catch (err) {
        if (err instanceof PdfUnavailableError) throw new HttpProblem(503, err.message, undefined, 'unavailable');
        throw err;
      }
    },
  });
};
