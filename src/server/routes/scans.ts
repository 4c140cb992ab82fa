/**
 * `POST /api/v1/scans`: an inventory (Vigil JSON, CycloneDX or SPDX) for a resource, or an
 * image reference the server pulls. Matching and scoring run here, on the server's
 * advisory database; the inventory is stored as a new version and the findings lifecycle
 * applied.
 */
import { z } from 'zod';
import { iso } from '../../findings/model.js';
import { recordFailedScan, recordScan } from '../../findings/lifecycle.js';
import { resourceFromInventory, toResource, type ResourceInput } from '../../findings/resources.js';
import { findingVerdicts } from '../../findings/verdicts.js';
import { scopeSql } from '../../findings/scope.js';
import type { Inventory } from '../../inventory/types.js';
import { scopeOf } from '../accounts.js';
import { parseInventoryDocument } from '../inventory-input.js';
import { badRequest, HttpProblem, notFound } from '../problem.js';
import type { RouteModule } from '../router.js';
import { idParams, readScope, targetAccount } from './common.js';
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

const scanSchema = z.object({
  id: z.string(),
  accountId: z.string(),
  resourceId: z.string(),
  trigger: z.string(),
  billing: z.string(),
  status: z.string(),
  inventoryVersion: z.number().int().optional(),
  packageCount: z.number().int(),
  findingCount: z.number().int(),
  createdAt: z.string(),
  error: z.string().optional(),
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

/** Scan routes. */
export const scanRoutes: RouteModule = (r) => {
  const { db } = r.ctx;
  r.route({
    method: 'POST',
    url: '/api/v1/scans',
    summary: 'Submit an inventory or an image reference; returns the scan result',
    tag: 'scans',
    roles: ['scanner'],
    body: scanBody,
    bodyLimit: r.ctx.config.maxInventoryBytes,
    responses: {
      201: z.object({
        scanId: z.string(),
        resource: resourceSchema,
        inventoryVersion: z.number().int(),
        status: z.string(),
        summary: summarySchema,
        result: z.unknown(),
        findings: z.array(verdictSchema).describe("The resource's open findings after this scan, with the server's status (suppression rules applied)"),
      }),
    },
    async handler({ principal, body, reply, request }) {
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
      const result = engine(inventory, body.context ?? {});
      let record;
      try {
        record = await recordScan(db, { accountId, resource, inventory, result, trigger });
      } catch (err) {
        if (/needs a name|tag/.test((err as Error).message)) throw badRequest((err as Error).message);
        throw err;
      }
      r.ctx.metrics.scans.inc({ trigger, status: record.status });
      for (const [change, n] of Object.entries(record.summary)) if (n) r.ctx.metrics.findingsChanged.inc({ change }, n);
      request.log.info({ scanId: record.scanId, resourceId: record.resource.id, accountId, findings: result.findings.length }, 'scan recorded');
      reply.status(201);
      const findings = await findingVerdicts(db, record.resource.id);
      return { scanId: record.scanId, resource: toResource(record.resource), inventoryVersion: record.inventoryVersion, status: record.status, summary: record.summary, result, findings };
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
    summary: 'One scan',
    tag: 'scans',
    roles: ['viewer'],
    params: idParams,
    responses: { 200: scanSchema },
    async handler({ principal, params }) {
      const row = await db.kysely.selectFrom('scans').selectAll().where('id', '=', params.id).where(scopeSql(scopeOf(principal), 'scans.account_id')).executeTakeFirst();
      if (!row) throw notFound(`scan ${params.id}`);
      return toScan(row);
    },
  });
};

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
