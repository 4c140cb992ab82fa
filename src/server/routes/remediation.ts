/**
 * The remediation plan of a resource: what to upgrade, in what order, with which command,
 * and what cannot be fixed yet (src/remediation/).
 */
import { z } from 'zod';
import { engineNewerRelease } from '../../remediation/newer-release.js';
import { resourcePlan } from '../../remediation/resource-plan.js';
import { scopeOf } from '../accounts.js';
import { notFound } from '../problem.js';
import type { RouteModule } from '../router.js';
import { idParams } from './common.js';

const severity = z.enum(['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNTRIAGED']);
const origin = z.enum(['BASE_IMAGE', 'APPLICATION']);
const findingRef = z.object({
  vulnerabilityId: z.string(),
  findingId: z.string().optional(),
  package: z.string(),
  installedVersion: z.string(),
  fixedVersion: z.string().optional(),
  severity,
  score: z.number(),
  kev: z.boolean(),
  origin: origin.optional(),
});

/** The plan document as the API returns it. */
export const remediationPlanSchema = z.object({
  schemaVersion: z.literal(1),
  resourceId: z.string(),
  target: z.object({ type: z.string().optional(), name: z.string(), digest: z.string().optional() }),
  actions: z.array(
    z.object({
      ecosystem: z.string(),
      package: z.string().describe('The package upgraded: the source package for distributions'),
      packages: z.array(z.string()).describe('The installed packages that move together'),
      installedVersions: z.array(z.string()),
      targetVersion: z.string().describe('The lowest version that fixes every fixable finding of the package'),
      manager: z.string().optional(),
      command: z.string().optional(),
      hint: z.string().optional(),
      summary: z.string(),
      riskRemoved: z.number().describe('Sum of the scores of the findings it closes'),
      kevCount: z.number().int(),
      severity,
      origin: z.enum(['BASE_IMAGE', 'APPLICATION', 'MIXED']).optional(),
      findings: z.array(findingRef),
    }),
  ),
  unfixable: z.array(
    z.object({
      ecosystem: z.string(),
      package: z.string(),
      reason: z.enum(['NO_FIX_PUBLISHED', 'FIX_IN_NEWER_RELEASE', 'FIX_VERSION_UNKNOWN']),
      detail: z.string(),
      newerRelease: z.object({ ecosystem: z.string(), version: z.string() }).optional(),
      riskRemaining: z.number(),
      findings: z.array(findingRef),
    }),
  ),
  totals: z.object({ findings: z.number().int(), fixable: z.number().int(), unfixable: z.number().int(), risk: z.number(), riskRemovable: z.number() }),
  baseImage: z
    .object({
      base: z.object({ name: z.string().optional(), digest: z.string().optional(), resourceId: z.string().optional(), via: z.enum(['ANNOTATION', 'LAYERS']) }),
      baseFindings: z.number().int(),
      recommendation: z
        .object({ image: z.string(), resourceId: z.string(), digest: z.string().optional(), clears: z.number().int(), of: z.number().int(), introduces: z.number().int(), summary: z.string() })
        .optional(),
    })
    .optional(),
});

/** Remediation routes. */
export const remediationRoutes: RouteModule = (r) => {
  const { db, engine } = r.ctx;
  r.route({
    method: 'GET',
    url: '/api/v1/resources/:id/remediation',
    summary: "A resource's remediation plan: the fewest upgrades that clear the most risk",
    description:
      'One action per package (per source package for distributions), to the lowest version that fixes all its fixable ACTIVE findings, with the package manager command; actions ordered by risk removed, known-exploited first. Findings no upgrade fixes yet are listed apart with the reason (FIX_IN_NEWER_RELEASE when a later release of the distribution has the fix, looked up in the advisory database). For images with a known base, base-image advice.',
    tag: 'resources',
    roles: ['viewer'],
    params: idParams,
    responses: { 200: remediationPlanSchema },
    async handler({ principal, params }) {
      const plan = await resourcePlan(db, scopeOf(principal), params.id, { newerRelease: engineNewerRelease(engine) });
      if (!plan) throw notFound(`resource ${params.id}`);
      return plan;
    },
  });
};
