/** `/healthz` (database reachable) and `/metrics` (Prometheus text format). */
import { sql } from 'kysely';
import { z } from 'zod';
import { HttpProblem } from '../problem.js';
import type { RouteModule } from '../router.js';

/** Health and metrics routes. */
export const healthRoutes: RouteModule = (r) => {
  r.route({
    method: 'GET',
    url: '/healthz',
    summary: 'Liveness and database reachability',
    tag: 'operations',
    roles: 'public',
    responses: { 200: z.object({ status: z.literal('ok'), database: z.enum(['sqlite', 'postgres']), engine: z.boolean() }) },
    async handler() {
      try {
        await sql`select 1`.execute(r.ctx.db.kysely);
      } catch (err) {
        throw new HttpProblem(503, `database unreachable: ${(err as Error).message}`);
      }
      return { status: 'ok' as const, database: r.ctx.db.dialect, engine: r.ctx.engine !== undefined };
    },
  });
  r.route({
    method: 'GET',
    url: '/metrics',
    summary: 'Prometheus metrics',
    tag: 'operations',
    roles: 'public',
    async handler({ reply }) {
      reply.type(r.ctx.metrics.registry.contentType);
      return r.ctx.metrics.registry.metrics();
    },
  });
};
