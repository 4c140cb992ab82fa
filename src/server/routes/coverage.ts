/** Coverage per resource and its statistics; usage and cost per account per month; settings. */
import { z } from 'zod';
import { coverageStatistics, listCoverage } from '../../findings/coverage.js';
import { RESOURCE_TYPES } from '../../findings/model.js';
import { getSettings, settingsSchema, updateSettings } from '../../findings/settings.js';
import { currentMonth, usageFor } from '../../findings/usage.js';
import { forbidden, badRequest } from '../problem.js';
import type { RouteModule } from '../router.js';
import { readScope } from './common.js';

const coverageQuery = z.object({
  resourceType: z.enum(RESOURCE_TYPES).optional(),
  accountId: z.string().optional(),
  status: z.enum(['ACTIVE', 'INACTIVE']).optional(),
  reason: z
    .enum(['SUCCESSFUL', 'PENDING_INITIAL_SCAN', 'UNSUPPORTED_OS', 'NO_INVENTORY', 'STALE_INVENTORY', 'SCAN_FAILED', 'EXCLUDED_BY_TAG', 'SCAN_ELIGIBILITY_EXPIRED'])
    .optional(),
});

/** Coverage, usage and settings routes. */
export const coverageRoutes: RouteModule = (r) => {
  const { db } = r.ctx;
  r.route({
    method: 'GET',
    url: '/api/v1/coverage',
    summary: 'Coverage of each resource: ACTIVE or INACTIVE with a reason',
    tag: 'coverage',
    roles: ['viewer'],
    query: coverageQuery.extend({ limit: z.coerce.number().int().min(1).max(10000).default(1000), cursor: z.string().max(200).optional() }),
    async handler({ principal, query }) {
      const all = await listCoverage(db, readScope(principal, query.accountId), await getSettings(db), query);
      const from = query.cursor ? all.findIndex((c) => c.resourceId > query.cursor!) : 0;
      const page = from < 0 ? [] : all.slice(from, from + query.limit);
      const more = from >= 0 && from + query.limit < all.length;
      return { coverage: page, nextCursor: more ? page[page.length - 1].resourceId : undefined };
    },
  });
  r.route({
    method: 'GET',
    url: '/api/v1/coverage/statistics',
    summary: 'Coverage counts by resource type, account and reason',
    tag: 'coverage',
    roles: ['viewer'],
    query: coverageQuery,
    async handler({ principal, query }) {
      return coverageStatistics(db, readScope(principal, query.accountId), await getSettings(db), query);
    },
  });
  r.route({
    method: 'GET',
    url: '/api/v1/usage',
    summary: 'Usage and cost per account for a month (month to date and projected)',
    tag: 'usage',
    roles: ['viewer'],
    query: z.object({ month: z.string().regex(/^\d{4}-\d{2}$/).optional(), accountId: z.string().optional() }),
    async handler({ principal, query }) {
      const settings = await getSettings(db);
      const month = query.month ?? currentMonth();
      try {
        const accounts = await usageFor(db, readScope(principal, query.accountId), settings, month);
        return { month, prices: { hostMonth: settings.priceHostMonth, imageScan: settings.priceImageScan, imageRescan: settings.priceImageRescan, currency: 'USD' }, accounts };
      } catch (err) {
        throw badRequest((err as Error).message);
      }
    },
  });
  r.route({
    method: 'GET',
    url: '/api/v1/settings',
    summary: 'Organization settings (prices, retention, coverage thresholds)',
    tag: 'settings',
    roles: ['viewer'],
    async handler() {
      return getSettings(db);
    },
  });
  r.route({
    method: 'PATCH',
    url: '/api/v1/settings',
    summary: 'Change organization settings (delegated administrator)',
    tag: 'settings',
    roles: ['admin'],
    body: settingsSchema.partial(),
    async handler({ principal, body }) {
      if (!principal.delegatedAdmin) throw forbidden('organization settings are managed by the delegated administrator');
      const defined = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
      return updateSettings(db, defined);
    },
  });
};
