/**
 * SBOMs from stored inventories: one resource's, and an archive of every resource's SBOM
 * the caller may see.
 */
import { z } from 'zod';
import { getResource } from '../../findings/resources.js';
import { resourceSbom, safeFileName, SBOM_MEDIA, sbomArchive, SERVER_SBOM_FORMATS } from '../../findings/sboms.js';
import { scopeOf } from '../accounts.js';
import { notFound } from '../problem.js';
import type { RouteModule } from '../router.js';
import { idParams, readScope } from './common.js';

/** SBOM routes. */
export const sbomRoutes: RouteModule = (r) => {
  const { db } = r.ctx;
  r.route({
    method: 'GET',
    url: '/api/v1/resources/:id/sbom',
    summary: "A resource's SBOM (CycloneDX 1.6 or SPDX 2.3 JSON) from its newest, or a given, stored inventory",
    tag: 'resources',
    roles: ['viewer'],
    params: idParams,
    query: z.object({ format: z.enum(SERVER_SBOM_FORMATS).default('cyclonedx'), version: z.coerce.number().int().min(1).optional() }).strict(),
    async handler({ principal, params, query, reply }) {
      const resource = await getResource(db, scopeOf(principal), params.id);
      if (!resource) throw notFound(`resource ${params.id}`);
      const sbom = await resourceSbom(db, resource, query.format, query.version);
      if (!sbom) throw notFound(query.version ? `inventory ${query.version} of resource ${params.id}` : `a stored inventory of resource ${params.id} (it has not been scanned)`);
      const media = SBOM_MEDIA[query.format];
      reply.type(media.type).header('content-disposition', `attachment; filename="${safeFileName(resource.name)}-v${sbom.version}.${media.suffix}"`);
      return sbom.body;
    },
  });
  r.route({
    method: 'GET',
    url: '/api/v1/sbom/archive',
    summary: "A tar.gz of every visible resource's SBOM (one file per resource, and index.json), streamed",
    tag: 'resources',
    roles: ['viewer'],
    query: z.object({ format: z.enum(SERVER_SBOM_FORMATS).default('cyclonedx'), accountId: z.string().max(128).optional() }).strict(),
    async handler({ principal, query, reply }) {
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      const aborted = new AbortController();
      // A client that goes away stops the walk over the resources.
      reply.raw.on('close', () => {
        if (!reply.raw.writableFinished) aborted.abort();
      });
      reply.type('application/gzip').header('content-disposition', `attachment; filename="vigil-sbom-${query.format}-${stamp}.tar.gz"`);
      return sbomArchive(db, readScope(principal, query.accountId), query.format, aborted.signal);
    },
  });
};
