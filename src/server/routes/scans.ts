/**
 * `POST /api/v1/scans`: an inventory (Vigil JSON, CycloneDX or SPDX) for a resource, or an
 * image reference the server pulls. Matching and scoring run here, on the server's
 * advisory database; the inventory is stored as a new version and the findings lifecycle
 * applied. A large inventory (more than `asyncScanPackages` packages), or any when the
 * client asks (`?async=true`, `Prefer: respond-async`), is accepted as a job instead: 202
 * with the scan's id and Location. Either way the answer carries at most one page of
 * findings; `GET /scans/{id}/findings` pages through all of them.
 */
import { z } from 'zod';
import { iso } from '../../findings/model.js';
import { recordFailedScan, recordScanInSteps } from '../../findings/lifecycle.js';
import { acceptSubmission, getSubmission } from '../../findings/submissions.js';
import { continuousFor } from '../../jobs/attach.js';
import type { IngestInventoryJob } from '../../jobs/handlers.js';
import { scanWith } from '../../matching/engine.js';
import type { Finding } from '../../matching/types.js';
import { resourceFromInventory, toResource, type ResourceInput } from '../../findings/resources.js';
import { findingVerdicts } from '../../findings/verdicts.js';
import { scopeSql } from '../../findings/scope.js';
import type { Inventory } from '../../inventory/types.js';
import { scanContextFor } from '../../network/server/context.js';
import { scopeOf } from '../accounts.js';
import { parseInventoryDocument } from '../inventory-input.js';
import { badRequest, HttpProblem, notFound } from '../problem.js';
import type { RouteModule } from '../router.js';
import { decodePageToken, encodePageToken, idParams, readScope, targetAccount } from './common.js';
import { resourceInputSchema, resourceSchema } from './resources.js';

const scanBody = z
  .object({
    accountId: z.string().optional(),
    resource: resourceInputSchema.optional(),
    inventory: z.unknown().optional().describe('Vigil inventory JSON, CycloneDX JSON or SPDX JSON'),
    image: z.string().min(1).max(2000).optional().describe('An image reference for the server to pull, e.g. registry:127.0.0.1:5000/app:1'),
    context: z.object({ internetReachable: z.boolean().optional(), includeOsOwned: z.boolean().optional() }).strict().optional(),
  })
  .strict()
  .refine((b) => (b.inventory === undefined) !== (b.image === undefined), { message: 'give exactly one of inventory or image' });

const summarySchema = z.object({
  created: z.number().int(),
  reopened: z.number().int(),
  closed: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  suppressed: z.number().int(),
});

const verdictSchema = z.object({
  findingId: z.string(),
  vulnerabilityId: z.string(),
  package: z.object({ ecosystem: z.string(), name: z.string(), version: z.string() }),
  status: z.enum(['ACTIVE', 'SUPPRESSED']),
  suppressedBy: z.object({ ruleId: z.string(), name: z.string(), reason: z.string(), justification: z.string().optional() }).optional(),
});

/** Findings a `POST /scans` answer carries at most (the rest are paged from `/scans/{id}/findings`). */
const SCAN_RESPONSE_FINDINGS = 500;

const scanQuery = z.object({
  async: z.enum(['true', 'false']).optional().describe('true: always accept as a job (202); false: answer with the result unless the inventory is over the size threshold'),
});

const scanSchema = z.object({
  id: z.string(),
  accountId: z.string(),
  resourceId: z.string().optional().describe('absent while an accepted submission waits'),
  resourceType: z.string().optional(),
  resourceName: z.string().optional(),
  trigger: z.string(),
  billing: z.string(),
  status: z.string(),
  inventoryVersion: z.number().int().optional(),
  packageCount: z.number().int(),
  findingCount: z.number().int(),
  createdAt: z.string(),
  error: z.string().optional(),
  warnings: z.array(z.unknown()).optional(),
  summary: summarySchema.optional().describe('what the scan did to the findings, for accepted submissions'),
  coverage: z.unknown().optional().describe("the scan's data coverage block (as in the synchronous answer's result), for accepted submissions"),
});

/** The resource a pulled reference names, for recording a failed pull. */
function resourceFromReference(reference: string): ResourceInput {
  const ref = reference.replace(/^registry:/, '');
  const at = ref.indexOf('@');
  const base = at >= 0 ? ref.slice(0, at) : ref;
  const colon = base.lastIndexOf(':');
  const slash = base.lastIndexOf('/');
  const repoPart = colon > slash ? base.slice(0, colon) : base;
  const tag = colon > slash ? base.slice(colon + 1) : undefined;
  const firstSlash = repoPart.indexOf('/');
  const host = firstSlash > 0 && /[.:]|^localhost$/.test(repoPart.slice(0, firstSlash)) ? repoPart.slice(0, firstSlash) : undefined;
  const repository = host ? repoPart.slice(firstSlash + 1) : repoPart;
  return { type: 'CONTAINER_IMAGE', name: ref, image: { registry: host, repository, digest: at >= 0 ? ref.slice(at + 1) : undefined, tags: tag ? [tag] : [] } };
}

/** True when the client asked for an asynchronous answer. */
function asksAsync(query: { async?: string }, prefer: string | string[] | undefined): boolean {
  if (query.async !== undefined) return query.async === 'true';
  const values = Array.isArray(prefer) ? prefer : prefer ? [prefer] : [];
  return values.some((v) => v.split(',').some((p) => p.trim().toLowerCase() === 'respond-async'));
}

/** Scan routes. */
export const scanRoutes: RouteModule = (r) => {
  const { db } = r.ctx;
  const continuous = continuousFor(r);
  r.route({
    method: 'POST',
    url: '/api/v1/scans',
    summary: 'Submit an inventory or an image reference; returns the scan result, or 202 and a scan to poll',
    description:
      'Inventories of more than the server\'s asyncScanPackages packages (default 5,000), or any inventory with `?async=true` or `Prefer: respond-async`, are accepted as a job: 202 with `scanId` and `Location: /api/v1/scans/{id}`. The answer carries at most 500 findings (`truncated` says when there are more); `GET /api/v1/scans/{id}/findings` pages through them all.',
    tag: 'scans',
    roles: ['scanner'],
    body: scanBody,
    query: scanQuery,
    bodyLimit: r.ctx.config.maxInventoryBytes,
    responses: {
      201: z.object({
        scanId: z.string(),
        resource: resourceSchema,
        inventoryVersion: z.number().int(),
        status: z.string(),
        summary: summarySchema,
        findingCount: z.number().int(),
        truncated: z.boolean().describe('true when result.findings holds only the first findings by risk'),
        result: z.unknown(),
        findings: z.array(verdictSchema).describe("The resource's open findings after this scan, with the server's status (suppression rules applied)"),
      }),
      202: z.object({ scanId: z.string(), status: z.literal('QUEUED'), location: z.string() }),
    },
    async handler({ principal, body, query, reply, request }) {
      const accountId = await targetAccount(db, principal, body.accountId);
      const engine = r.ctx.engine;
      if (!engine) throw new HttpProblem(503, 'this server has no vulnerability database (start it with --vulndb PATH)', undefined, 'no-vulndb');
      let inventory: Inventory;
      let trigger: 'SUBMITTED' | 'PULLED' = 'SUBMITTED';
      if (body.image !== undefined) {
        if (!r.ctx.pullImage) throw new HttpProblem(503, 'this server cannot pull images', undefined, 'no-puller');
        trigger = 'PULLED';
        try {
          inventory = await r.ctx.pullImage(body.image, { accountId });
        } catch (err) {
          const reason = (err as Error).message;
          await recordFailedScan(db, { accountId, resource: body.resource ?? resourceFromReference(body.image), trigger, error: reason });
          r.ctx.metrics.scans.inc({ trigger, status: 'SCAN_FAILED' });
          throw new HttpProblem(422, `could not pull and read image ${body.image}: ${reason}`, undefined, 'image-unreadable');
        }
      } else {
        inventory = parseInventoryDocument(body.inventory, r.ctx.readSbom).inventory;
      }
      let resource: ResourceInput;
      try {
        resource = body.resource ?? resourceFromInventory(inventory);
      } catch (err) {
        throw badRequest((err as Error).message);
      }
      const asked = asksAsync(query, request.headers.prefer);
      if (trigger === 'SUBMITTED' && (asked || inventory.packages.length > r.ctx.config.asyncScanPackages)) {
        const { queue } = await continuous();
        const scanId = await acceptSubmission(db, { accountId, resource, inventory, context: body.context ?? {} });
        await queue.send('ingest-inventory', { scanId } satisfies IngestInventoryJob);
        request.log.info({ scanId, accountId, packages: inventory.packages.length }, 'scan accepted');
        const location = `/api/v1/scans/${scanId}`;
        reply.status(202).header('location', location).header('retry-after', '2');
        if (asked) reply.header('preference-applied', 'respond-async');
        return { scanId, status: 'QUEUED' as const, location };
      }
      const result = await scanWith(engine, inventory, await scanContextFor(db, accountId, resource, body.context ?? {}));
      let record;
      try {
        record = await recordScanInSteps(db, { accountId, resource, inventory, result, trigger });
      } catch (err) {
        if (/needs a name|tag/.test((err as Error).message)) throw badRequest((err as Error).message);
        throw err;
      }
      r.ctx.metrics.scans.inc({ trigger, status: record.status });
      for (const [change, n] of Object.entries(record.summary)) if (n) r.ctx.metrics.findingsChanged.inc({ change }, n);
      request.log.info({ scanId: record.scanId, resourceId: record.resource.id, accountId, findings: result.findings.length }, 'scan recorded');
      reply.status(201);
      const truncated = result.findings.length > SCAN_RESPONSE_FINDINGS;
      // Verdicts are small (ids and status): all of them, so a CI gate can honour server-side suppression.
      const findings = await findingVerdicts(db, record.resource.id);
      return {
        scanId: record.scanId,
        resource: toResource(record.resource),
        inventoryVersion: record.inventoryVersion,
        status: record.status,
        summary: record.summary,
        findingCount: result.findings.length,
        truncated,
        result: truncated ? { ...result, findings: result.findings.slice(0, SCAN_RESPONSE_FINDINGS) } : result,
        findings,
      };
    },
  });
  r.route({
    method: 'GET',
    url: '/api/v1/scans',
    summary: 'Recent scans, newest first',
    tag: 'scans',
    roles: ['viewer'],
    query: z.object({ resourceId: z.string().optional(), accountId: z.string().optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) }),
    responses: { 200: z.object({ scans: z.array(scanSchema) }) },
    async handler({ principal, query }) {
      let q = db.kysely.selectFrom('scans').selectAll().where(scopeSql(readScope(principal, query.accountId), 'scans.account_id'));
      if (query.resourceId) q = q.where('resource_id', '=', query.resourceId);
      const rows = await q.orderBy('created_at', 'desc').orderBy('id').limit(query.limit).execute();
      return { scans: rows.map(toScan) };
    },
  });
  r.route({
    method: 'GET',
    url: '/api/v1/scans/:id',
    summary: 'One scan: QUEUED or IN_PROGRESS while an accepted submission waits, then its outcome',
    description: 'Scanner keys may read scans too: they poll the submissions they made.',
    tag: 'scans',
    roles: ['viewer', 'scanner'],
    params: idParams,
    responses: { 200: scanSchema },
    async handler({ principal, params }) {
      const row = await db.kysely
        .selectFrom('scans')
        .innerJoin('resources', 'resources.id', 'scans.resource_id')
        .selectAll('scans')
        .select(['resources.name as resource_name', 'resources.type as resource_type'])
        .where('scans.id', '=', params.id)
        .where(scopeSql(scopeOf(principal), 'scans.account_id'))
        .executeTakeFirst();
      const submission = await getSubmission(db, scopeOf(principal), params.id);
      if (row) {
        return {
          ...toScan(row),
          resourceType: row.resource_type,
          resourceName: row.resource_name,
          warnings: JSON.parse(row.warnings) as unknown[],
          ...(submission?.summary ? { summary: submission.summary } : {}),
          ...(submission?.coverage ? { coverage: submission.coverage } : {}),
        };
      }
      if (!submission) throw notFound(`scan ${params.id}`);
      return {
        id: submission.id,
        accountId: submission.accountId,
        trigger: 'SUBMITTED',
        billing: 'NONE',
        status: submission.status,
        packageCount: submission.packageCount,
        findingCount: 0,
        createdAt: iso(submission.createdAt)!,
      };
    },
  });
  r.route({
    method: 'GET',
    url: '/api/v1/scans/:id/findings',
    summary: "A scan's findings, in pages: the resource's open findings (ACTIVE and SUPPRESSED) as the scan left them",
    description: 'Findings in the form `vigil scan --format json` reports them, ordered by id. A later scan of the same resource replaces them. Scanner keys may read them too (they get the same in the answer to their POST).',
    tag: 'scans',
    roles: ['viewer', 'scanner'],
    params: idParams,
    query: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(500), nextToken: z.string().max(512).optional() }),
    responses: { 200: z.object({ scanId: z.string(), findings: z.array(z.unknown()), nextToken: z.string().optional() }) },
    async handler({ principal, params, query }) {
      const scan = await db.kysely.selectFrom('scans').select(['id', 'resource_id', 'status']).where('id', '=', params.id).where(scopeSql(scopeOf(principal), 'scans.account_id')).executeTakeFirst();
      if (!scan) {
        const submission = await getSubmission(db, scopeOf(principal), params.id);
        if (submission) throw new HttpProblem(409, `scan ${params.id} is ${submission.status}: poll GET /api/v1/scans/${params.id} until it is done`, undefined, 'scan-not-done');
        throw notFound(`scan ${params.id}`);
      }
      const after = query.nextToken === undefined ? undefined : decodePageToken(query.nextToken, 'nextToken', (v): v is string => typeof v === 'string' && v.length > 0 && v.length <= 128);
      let q = db.kysely.selectFrom('findings').select(['id', 'detail']).where('resource_id', '=', scan.resource_id).where('status', '<>', 'CLOSED');
      if (after !== undefined) q = q.where('id', '>', after);
      const rows = await q.orderBy('id').limit(query.limit + 1).execute();
      const page = rows.slice(0, query.limit);
      return {
        scanId: scan.id,
        findings: page.map((f) => JSON.parse(f.detail) as Finding),
        ...(rows.length > query.limit ? { nextToken: encodePageToken(page[page.length - 1].id) } : {}),
      };
    },
  });
};

/** A stored scan as the API shows it. */
function toScan(row: { id: string; account_id: string; resource_id: string; trigger: string; billing: string; status: string; inventory_version: number | null; package_count: number; finding_count: number; created_at: number; error: string | null }) {
  return {
    id: row.id,
    accountId: row.account_id,
    resourceId: row.resource_id,
    trigger: row.trigger,
    billing: row.billing,
    status: row.status,
    inventoryVersion: row.inventory_version ?? undefined,
    packageCount: row.package_count,
    findingCount: row.finding_count,
    createdAt: iso(row.created_at)!,
    error: row.error ?? undefined,
  };
}
