/**
 * Resources: hosts, container images, repositories and package archives, with key/value
 * tags and their stored inventory versions.
 */
import { z } from 'zod';
import { listInventoryVersions, loadInventory } from '../../findings/inventories.js';
import { iso, RESOURCE_TYPES } from '../../findings/model.js';
import { deleteResource, getResource, listResources, toResource, updateResourceTags, upsertResource } from '../../findings/resources.js';
import { badRequest, notFound } from '../problem.js';
import type { RouteModule } from '../router.js';
import { idParams, readScope, targetAccount } from './common.js';
import { scopeOf } from '../accounts.js';
import { runningImageDetail, runningImageLinks } from './running-images.js';

/** Tags: up to 50 key/value pairs. */
export const tagsSchema = z.record(z.string().min(1).max(128), z.string().max(256));

/** What identifies a resource in requests. */
export const resourceInputSchema = z
  .object({
    type: z.enum(RESOURCE_TYPES),
    name: z.string().min(1).max(2000).optional(),
    image: z
      .object({
        registry: z.string().max(500).optional(),
        repository: z.string().max(1000).optional(),
        digest: z.string().max(200).optional(),
        tags: z.array(z.string().min(1).max(256)).max(100).optional(),
      })
      .strict()
      .optional(),
    tags: tagsSchema.optional(),
  })
  .strict();

/** A resource in responses. */
export const resourceSchema = z.object({
  id: z.string(),
  accountId: z.string(),
  type: z.enum(RESOURCE_TYPES),
  name: z.string(),
  image: z.object({ registry: z.string().optional(), repository: z.string().optional(), digest: z.string().optional(), tags: z.array(z.string()) }).optional(),
  tags: z.record(z.string(), z.string()),
  os: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  lastScanAt: z.string().optional(),
  lastScanStatus: z.string().optional(),
  coverageDetail: z.string().optional(),
  inventoryVersion: z.number().int(),
});

/** One resource in detail: with its host → image links. */
export const resourceDetailSchema = resourceSchema.extend(runningImageLinks);

/** Resource routes. */
export const resourceRoutes: RouteModule = (r) => {
  const { db } = r.ctx;
  r.route({
    method: 'GET',
    url: '/api/v1/resources',
    summary: 'List resources',
    tag: 'resources',
    roles: ['viewer'],
    query: z.object({
      type: z.enum(RESOURCE_TYPES).optional(),
      accountId: z.string().optional(),
      limit: z.coerce.number().int().min(1).max(1000).default(100),
      cursor: z.string().max(200).optional(),
    }),
    responses: { 200: z.object({ resources: z.array(resourceSchema), nextCursor: z.string().optional() }) },
    async handler({ principal, query }) {
      const rows = await listResources(db, readScope(principal, query.accountId), { type: query.type, after: query.cursor, limit: query.limit + 1 });
      const page = rows.slice(0, query.limit);
      return { resources: page.map(toResource), nextCursor: rows.length > query.limit ? page[page.length - 1].id : undefined };
    },
  });
  r.route({
    method: 'POST',
    url: '/api/v1/resources',
    summary: 'Register a resource (found by account, type and name if it exists)',
    tag: 'resources',
    roles: ['admin'],
    body: resourceInputSchema.extend({ accountId: z.string().optional() }),
    responses: { 201: resourceSchema },
    async handler({ principal, body, reply }) {
      const accountId = await targetAccount(db, principal, body.accountId);
      const { accountId: _, ...input } = body;
      try {
        const row = await upsertResource(db, accountId, input);
        reply.status(201);
        return toResource(row);
      } catch (err) {
        throw badRequest((err as Error).message);
      }
    },
  });
  r.route({
    method: 'GET',
    url: '/api/v1/resources/:id',
    summary: 'One resource',
    description: 'A HOST lists the containers it records (`runningImages`, with the image resources each runs); a CONTAINER_IMAGE the hosts it runs on (`runsOn`) and the reachability it takes from them (`reachability`, when known).',
    tag: 'resources',
    roles: ['viewer'],
    params: idParams,
    responses: { 200: resourceDetailSchema },
    async handler({ principal, params }) {
      const row = await getResource(db, scopeOf(principal), params.id);
      if (!row) throw notFound(`resource ${params.id}`);
      return { ...toResource(row), ...(await runningImageDetail(db, row)) };
    },
  });
  r.route({
    method: 'PATCH',
    url: '/api/v1/resources/:id',
    summary: "Replace a resource's tags (and image tags)",
    tag: 'resources',
    roles: ['admin'],
    params: idParams,
    body: z.object({ tags: tagsSchema, imageTags: z.array(z.string().min(1).max(256)).max(100).optional() }).strict(),
    responses: { 200: resourceSchema },
    async handler({ principal, params, body }) {
      let row;
      try {
        row = await updateResourceTags(db, scopeOf(principal), params.id, body.tags, body.imageTags);
      } catch (err) {
        throw badRequest((err as Error).message);
      }
      if (!row) throw notFound(`resource ${params.id}`);
      return toResource(row);
    },
  });
  r.route({
    method: 'DELETE',
    url: '/api/v1/resources/:id',
    summary: 'Delete a resource with its findings, inventories and scans',
    tag: 'resources',
    roles: ['admin'],
    params: idParams,
    async handler({ principal, params, reply }) {
      if (!(await deleteResource(db, scopeOf(principal), params.id))) throw notFound(`resource ${params.id}`);
      reply.status(204);
      return undefined;
    },
  });
  r.route({
    method: 'GET',
    url: '/api/v1/resources/:id/inventories',
    summary: 'Stored inventory versions of a resource',
    tag: 'resources',
    roles: ['viewer'],
    params: idParams,
    responses: { 200: z.object({ inventories: z.array(z.object({ version: z.number().int(), createdAt: z.string(), packageCount: z.number().int() })) }) },
    async handler({ principal, params }) {
      if (!(await getResource(db, scopeOf(principal), params.id))) throw notFound(`resource ${params.id}`);
      const versions = await listInventoryVersions(db, params.id);
      return { inventories: versions.map((v) => ({ version: v.version, createdAt: iso(v.createdAt)!, packageCount: v.packageCount })) };
    },
  });
  r.route({
    method: 'GET',
    url: '/api/v1/resources/:id/inventories/:version',
    summary: 'One stored inventory (Vigil inventory JSON)',
    tag: 'resources',
    roles: ['viewer'],
    params: z.object({ id: z.string().min(1).max(128), version: z.union([z.literal('latest'), z.coerce.number().int().min(1)]) }),
    async handler({ principal, params }) {
      if (!(await getResource(db, scopeOf(principal), params.id))) throw notFound(`resource ${params.id}`);
      const inv = await loadInventory(db, params.id, params.version === 'latest' ? undefined : params.version);
      if (!inv) throw notFound(`inventory ${params.version} of resource ${params.id}`);
      return inv.inventory;
    },
  });
};
