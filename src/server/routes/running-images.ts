/**
 * Which images run on which host, through the API: a host's containers appear in its
 * resource detail (`runningImages`) and an image's hosts in its own (`runsOn`); for hosts
 * without an agent, `PUT /api/v1/resources/{id}/running-images` declares them. A declaration
 * replaces the host's containers (as the next agent or SSH report will) and queues the
 * account's analysis, which re-scores the images whose reachability changed.
 */
import { z } from 'zod';
import type { Db } from '../../db/connect.js';
import type { ResourcesTable } from '../../db/schema.js';
import { getResource } from '../../findings/resources.js';
import { hostContainer, publishedPort } from '../../network/host/schema.js';
import { imageContexts, runningImagesOf, runsOnOf, storeHostContainers } from '../../network/server/running-images.js';
import { scopeOf } from '../accounts.js';
import { badRequest, notFound } from '../problem.js';
import type { RouteModule } from '../router.js';
import { idParams } from './common.js';
import { analysisQueuer, queuedSchema } from './network.js';

/** A host's container, with the image resources it runs. */
export const runningImageSchema = z.object({
  containerId: z.string(),
  name: z.string().optional(),
  image: z.string(),
  imageDigests: z.array(z.string()),
  running: z.boolean(),
  hostNetwork: z.boolean(),
  ports: z.array(publishedPort),
  runtime: z.string().describe('`docker` (read from the host) or `declared` (through this API)'),
  resources: z.array(z.object({ id: z.string(), name: z.string() })).describe('the image resources of the account this container runs'),
});

/** A host and container an image runs on. */
export const runsOnSchema = z.object({
  hostId: z.string(),
  hostName: z.string(),
  containerId: z.string(),
  containerName: z.string().optional(),
  running: z.boolean(),
  ports: z.array(publishedPort),
});

/** The host → image links a resource detail adds. */
export const runningImageLinks = {
  runningImages: z.array(runningImageSchema).optional(),
  runsOn: z.array(runsOnSchema).optional(),
  reachability: z.object({ internetReachable: z.boolean(), reason: z.string() }).optional().describe("an image's reachability, from the hosts it runs on"),
};

/** The links shown with a resource: a host's containers, or an image's hosts and reachability. */
export async function runningImageDetail(db: Db, row: ResourcesTable): Promise<Partial<z.infer<z.ZodObject<typeof runningImageLinks>>>> {
  if (row.type === 'HOST') return { runningImages: await runningImagesOf(db, row) };
  if (row.type !== 'CONTAINER_IMAGE') return {};
  const reach = (await imageContexts(db, [row])).get(row.id);
  return { runsOn: await runsOnOf(db, row), ...(reach ? { reachability: { internetReachable: reach.internetReachable, reason: reach.reachabilityReason } } : {}) };
}

/** A declared container: a runtime's record without the runtime. */
const declaredContainer = hostContainer.omit({ runtime: true, id: true }).extend({ id: z.string().min(1).max(200).optional(), running: z.boolean().default(true), imageDigests: hostContainer.shape.imageDigests.default([]), ports: hostContainer.shape.ports.default([]) });

/** Running-image routes. */
export const runningImageRoutes: RouteModule = (r) => {
  const { db } = r.ctx;
  const queued = analysisQueuer(r);
  r.route({
    method: 'PUT',
    url: '/api/v1/resources/:id/running-images',
    summary: 'Declare the containers a host runs (replacing the ones it records)',
    description:
      'For hosts no agent or SSH scan reports on. Each container names its image (`nginx:1.25`, `registry.example.com/app@sha256:…`) and optionally its digests, whether it runs (default true), host networking and published ports; image resources of the account are matched by digest, else by repository and tag. A changed declaration queues the account\'s analysis (202, as a host report does), which re-scores the images whose reachability changed; an unchanged one answers 200.',
    tag: 'resources',
    roles: ['scanner'],
    params: idParams,
    body: z.object({ containers: z.array(declaredContainer).max(5000) }).strict(),
    responses: {
      200: z.object({ resourceId: z.string(), runningImages: z.array(runningImageSchema) }),
      202: queuedSchema.extend({ resourceId: z.string(), runningImages: z.array(runningImageSchema) }),
    },
    async handler({ principal, params, body, reply }) {
      const host = await getResource(db, scopeOf(principal), params.id);
      if (!host) throw notFound(`resource ${params.id}`);
      if (host.type !== 'HOST') throw badRequest(`resource ${params.id} is a ${host.type}: only a HOST runs images`, [{ pointer: '/id', detail: 'not a HOST resource' }]);
      const ids = body.containers.map((c, i) => c.id ?? `declared-${i + 1}`);
      const dup = ids.find((id, i) => ids.indexOf(id) !== i);
      if (dup) throw badRequest(`containers: container id ${JSON.stringify(dup)} appears twice`, [{ pointer: '/containers', detail: 'duplicate id' }]);
      const changed = await storeHostContainers(
        db,
        host,
        body.containers.map((c, i) => ({ ...c, id: ids[i]!, runtime: 'declared' as const })),
      );
      const answer = { resourceId: host.id, runningImages: await runningImagesOf(db, host) };
      if (!changed) return answer;
      return { ...(await queued(host.account_id, { kind: 'host-report', resourceId: host.id }, reply)), ...answer };
    },
  });
};
