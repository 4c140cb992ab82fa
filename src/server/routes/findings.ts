/**
 * Findings: detail with timeline, search (filter criteria, sort, cursor pages),
 * aggregation, and streamed CSV/JSON export.
 */
import { z } from 'zod';
import { AGGREGATION_SORTS, AGGREGATION_TYPES, aggregateFindings } from '../../findings/aggregate.js';
import { filterCriteriaInputSchema } from '../../findings/criteria.js';
import { EXPORT_FORMATS, EXPORT_MEDIA, exportFindings } from '../../findings/export.js';
import { AWS_ACCOUNT_ID, AWS_REGION } from '../../findings/formats/asff.js';
import { getFinding, searchFindings, sortCriteriaSchema } from '../../findings/search.js';
import { engineNewerRelease } from '../../remediation/newer-release.js';
import { findingRemediation, resourcePlan } from '../../remediation/resource-plan.js';
import { scopeOf } from '../accounts.js';
import { badRequest, notFound } from '../problem.js';
import type { RouteModule } from '../router.js';
import { idParams } from './common.js';

const criteria = filterCriteriaInputSchema.optional().default({});

/** Runs a store call whose bad-input errors (cursor, token) are the caller's fault. */
async function userInput<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (/cursor|nextToken/.test((err as Error).message)) throw badRequest((err as Error).message);
    throw err;
  }
}

/** Finding routes. */
export const findingRoutes: RouteModule = (r) => {
  const { db } = r.ctx;
  r.route({
    method: 'POST',
    url: '/api/v1/findings/search',
    summary: 'Search findings: filter criteria, sort, cursor pagination',
    tag: 'findings',
    roles: ['viewer'],
    body: z
      .object({
        filterCriteria: criteria,
        sortCriteria: sortCriteriaSchema.optional(),
        maxResults: z.number().int().min(1).max(1000).default(50),
        nextToken: z.string().max(2000).optional(),
      })
      .strict(),
    responses: { 200: z.object({ findings: z.array(z.unknown()), nextToken: z.string().optional() }) },
    async handler({ principal, body }) {
      const page = await userInput(() =>
        searchFindings(db, scopeOf(principal), { criteria: body.filterCriteria, sort: body.sortCriteria, limit: body.maxResults, cursor: body.nextToken }),
      );
      return { findings: page.findings, nextToken: page.nextCursor };
    },
  });
  r.route({
    method: 'POST',
    url: '/api/v1/findings/aggregate',
    summary: 'Aggregate findings by vulnerability, package, image, repository, layer, host, account, type or severity',
    tag: 'findings',
    roles: ['viewer'],
    body: z
      .object({
        aggregationType: z.enum(AGGREGATION_TYPES),
        filterCriteria: criteria,
        sortBy: z.enum(AGGREGATION_SORTS).optional(),
        sortOrder: z.enum(['ASC', 'DESC']).optional(),
        maxResults: z.number().int().min(1).max(1000).default(50),
        nextToken: z.string().max(200).optional(),
      })
      .strict(),
    async handler({ principal, body }) {
      return userInput(() =>
        aggregateFindings(db, scopeOf(principal), {
          type: body.aggregationType,
          criteria: body.filterCriteria,
          sortBy: body.sortBy,
          sortOrder: body.sortOrder,
          limit: body.maxResults,
          nextToken: body.nextToken,
        }),
      );
    },
  });
  r.route({
    method: 'POST',
    url: '/api/v1/findings/export',
    summary: 'Export findings matching the criteria as CSV, JSON, OCSF Vulnerability Finding events or ASFF (streamed)',
    tag: 'findings',
    roles: ['viewer'],
    body: z
      .object({
        filterCriteria: criteria,
        sortCriteria: sortCriteriaSchema.optional(),
        format: z.enum(EXPORT_FORMATS).default('csv'),
        /** ASFF only: the AWS account and region the findings are imported into. */
        awsAccountId: z.string().regex(AWS_ACCOUNT_ID, 'awsAccountId must be 12 digits').optional(),
        awsRegion: z.string().regex(AWS_REGION, 'awsRegion must be an AWS region name such as us-east-1').optional(),
      })
      .strict(),
    async handler({ principal, body, reply }) {
      if (body.format === 'asff' && (!body.awsAccountId || !body.awsRegion)) throw badRequest('format asff needs awsAccountId and awsRegion (the AWS account and region the findings are imported into)');
      const asff = body.awsAccountId && body.awsRegion ? { awsAccountId: body.awsAccountId, awsRegion: body.awsRegion } : undefined;
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      const media = EXPORT_MEDIA[body.format];
      reply.type(media.type).header('content-disposition', `attachment; filename="vigil-findings-${stamp}.${media.ext}"`);
      return exportFindings(db, scopeOf(principal), body.filterCriteria, body.format, body.sortCriteria, { asff });
    },
  });
  r.route({
    method: 'GET',
    url: '/api/v1/findings/:id',
    summary: 'One finding with its resource, account and timeline',
    tag: 'findings',
    roles: ['viewer'],
    params: idParams,
    async handler({ principal, params }) {
      const f = await getFinding(db, scopeOf(principal), params.id);
      if (!f) throw notFound(`finding ${params.id}`);
      if (f.type !== 'PACKAGE_VULNERABILITY') return f;
      // The per-finding line reads the resource's plan: the upgrade that closes this finding
      // closes its siblings too, to the version that fixes them all.
      const plan = await resourcePlan(db, scopeOf(principal), f.resource.id, { baseImage: false, newerRelease: engineNewerRelease(r.ctx.engine) });
      const remediation = plan && findingRemediation(plan, f.findingId);
      return remediation ? { ...f, remediation } : f;
    },
  });
};
