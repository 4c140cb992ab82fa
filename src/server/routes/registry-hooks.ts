/**
 * The endpoint registries send notifications to (CNCF distribution `notifications.endpoints`).
 * Authenticated per registry by the token given when the registry was added, sent as
 * `Authorization: Bearer <token>`; API keys are not accepted here.
 */
import { z } from 'zod';
import { continuousFor } from '../../jobs/attach.js';
import { maxEnvelopeBytes } from '../../registries/notifications.js';
import { HookAuthError } from '../../registries/service.js';
import { badRequest, HttpProblem } from '../problem.js';
import type { RouteModule } from '../router.js';
import { idParams } from './common.js';

const envelopeType = 'application/vnd.docker.distribution.events.v1+json';

/** Registry notification routes. */
export const registryHookRoutes: RouteModule = (r) => {
  const continuous = continuousFor(r);
  // Registries label the JSON body with their own media type.
  r.app.addContentTypeParser(envelopeType, { parseAs: 'string', bodyLimit: maxEnvelopeBytes }, (_req, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(badRequest('notification body is not JSON'), undefined);
    }
  });
  r.route({
    method: 'POST',
    url: '/api/v1/registry-hooks/:id',
    summary: 'Receive registry push and pull notifications',
    description: 'Each push of a new manifest digest schedules one scan; pulls update "days since last pull" windows.',
    tag: 'registries',
    roles: 'public',
    params: idParams,
    body: z.unknown(),
    bodyLimit: maxEnvelopeBytes,
    async handler({ params, body, request, reply }) {
      const c = await continuous();
      try {
        const result = await c.registries.handleNotification(params.id, request.headers.authorization, body);
        reply.status(202);
        return result;
      } catch (err) {
        if (err instanceof HookAuthError) throw new HttpProblem(401, err.message, undefined, 'unauthorized');
        if (err instanceof Error && /envelope/.test(err.message)) throw badRequest(err.message);
        throw err;
      }
    },
  });
};
