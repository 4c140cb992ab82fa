/**
 * VEX: apply a document's statements (`POST /api/v1/vex`), and export the suppression
 * decisions as OpenVEX or CycloneDX VEX (`GET`/`POST /api/v1/vex/export`).
 */
import { z } from 'zod';
import { filterCriteriaInputSchema } from '../../findings/criteria.js';
import { exportVex, importVex, VEX_FORMATS, type VexFormat } from '../../findings/vex.js';
import type { FilterCriteria } from '../../findings/criteria.js';
import { readVexDocument, VexError } from '../../vex/read.js';
import { scopeOf, type Principal } from '../accounts.js';
import { badRequest } from '../problem.js';
import type { RouteModule } from '../router.js';
import type { FastifyReply } from 'fastify';
import { targetAccount } from './common.js';

const MEDIA: Record<VexFormat, { type: string; suffix: string }> = {
  openvex: { type: 'application/json; charset=utf-8', suffix: 'openvex.json' },
  cyclonedx: { type: 'application/vnd.cyclonedx+json; version=1.6', suffix: 'cdx.json' },
};

/** VEX routes. */
export const vexRoutes: RouteModule = (r) => {
  const { db } = r.ctx;
  async function send(principal: Principal, reply: FastifyReply, format: VexFormat, criteria: FilterCriteria): Promise<string> {
    const body = await exportVex(db, scopeOf(principal), criteria, format, `Vigil (account ${principal.accountId})`);
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    reply.type(MEDIA[format].type).header('content-disposition', `attachment; filename="vigil-vex-${stamp}.${MEDIA[format].suffix}"`);
    return body;
  }
  r.route({
    method: 'POST',
    url: '/api/v1/vex',
    summary: 'Apply an OpenVEX or CycloneDX VEX document: not_affected/fixed become suppression rules with provenance, affected become notes',
    tag: 'suppression-rules',
    roles: ['admin'],
    query: z.object({ accountId: z.string().max(128).optional(), name: z.string().max(500).optional() }).strict(),
    body: z.record(z.string(), z.unknown()),
    async handler({ principal, query, body, reply }) {
      const accountId = await targetAccount(db, principal, query.accountId);
      let doc;
      try {
        doc = readVexDocument(body, query.name ?? 'the request body');
      } catch (err) {
        if (err instanceof VexError) throw badRequest(err.message);
        throw err;
      }
      const result = await importVex(db, accountId, doc, principal.keyId);
      reply.status(201);
      return result;
    },
  });
  r.route({
    method: 'POST',
    url: '/api/v1/vex/export',
    summary: 'Export suppression decisions (filtered) as OpenVEX or CycloneDX VEX',
    tag: 'suppression-rules',
    roles: ['viewer'],
    body: z.object({ format: z.enum(VEX_FORMATS).default('openvex'), filterCriteria: filterCriteriaInputSchema.optional().default({}) }).strict(),
    async handler({ principal, body, reply }) {
      return send(principal, reply, body.format, body.filterCriteria);
    },
  });
  r.route({
    method: 'GET',
    url: '/api/v1/vex/export',
    summary: 'Export every suppression decision in scope as OpenVEX or CycloneDX VEX',
    tag: 'suppression-rules',
    roles: ['viewer'],
    query: z.object({ format: z.enum(VEX_FORMATS).default('openvex') }).strict(),
    async handler({ principal, query, reply }) {
      return send(principal, reply, query.format, {});
    },
  });
};
