/**
 * Network reachability on the server: topology snapshots per account (`POST` by an account
 * admin, taking the importers' files as a JSON body), and the network report a host sends
 * with its inventory. Either, when it stores something new, queues the account's analysis
 * (the `network-analysis` job: reachability and NETWORK_REACHABILITY findings of the hosts it
 * changes, and their package findings re-scored) and answers 202 with the analysis to poll.
 */
import { z } from 'zod';
import { upsertResource } from '../../findings/resources.js';
import { scopeSql } from '../../findings/scope.js';
import { hostNetworkReport } from '../../network/host/schema.js';
import { TopologyError } from '../../network/input.js';
import { continuousFor } from '../../jobs/attach.js';
import { getAnalysis, queueNetworkAnalysis, type AnalysisTrigger } from '../../network/server/analyses.js';
import { normaliseFiles, SNAPSHOT_LIMITS } from '../../network/server/snapshot-files.js';
import { storeHostReport, storeSnapshot, toApiSnapshot } from '../../network/server/store.js';
import { scopeOf } from '../accounts.js';
import { badRequest, notFound } from '../problem.js';
import type { RouteModule } from '../router.js';
import { idParams, readScope, targetAccount } from './common.js';

const snapshotSchema = z.object({
  snapshotId: z.string(),
  accountId: z.string(),
  format: z.enum(['aws', 'yaml']),
  source: z.string(),
  files: z.array(z.string()),
  instanceCount: z.number().int(),
  exposureCount: z.number().int(),
  warnings: z.array(z.string()),
  createdAt: z.string(),
});

const findingCounts = z.object({ created: z.number().int(), reopened: z.number().int(), updated: z.number().int(), closed: z.number().int() });

/** What an unchanged snapshot or report analysed: nothing. */
const analysisSchema = z.object({
  hosts: z.number().int(),
  changedHosts: z.number().int(),
  rescoredHosts: z.number().int(),
  findings: findingCounts,
});
const NOTHING_ANALYSED = { hosts: 0, changedHosts: 0, rescoredHosts: 0, findings: { created: 0, reopened: 0, updated: 0, closed: 0 } };

const triggerSchema = z.union([
  z.object({ kind: z.literal('snapshot'), snapshotId: z.string(), source: z.string() }),
  z.object({ kind: z.literal('host-report'), resourceId: z.string() }),
  z.object({ kind: z.literal('request'), keyId: z.string().describe('the API key that asked') }),
]);

const analysisRecordSchema = z.object({
  analysisId: z.string(),
  accountId: z.string(),
  status: z.enum(['QUEUED', 'RUNNING', 'DONE', 'FAILED']),
  triggers: z.array(triggerSchema).describe('what made it necessary (the first 100)'),
  triggerCount: z.number().int().describe('snapshots and reports it took in'),
  createdAt: z.string(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  error: z.string().optional().describe('why it FAILED'),
  summary: z
    .object({
      snapshotId: z.string().optional().describe('the snapshot analysed (absent when the account has none)'),
      hosts: z.number().int().describe('HOST resources the snapshot describes'),
      changedHosts: z.number().int().describe('hosts whose exposures or reachability changed'),
      rescoredHosts: z.number().int().describe('resources whose package findings were scored again because their reachability changed: hosts, and the images running on them'),
      rescoredImages: z.number().int().describe('images whose reachability (from the hosts running them) changed'),
      findings: findingCounts.describe('NETWORK_REACHABILITY findings created, reopened, updated and closed'),
      exposures: z.number().int().describe('exposures of the whole snapshot'),
    })
    .optional()
    .describe('once DONE'),
});

/** Queues (or joins) the account's analysis and answers 202 with it: for every route whose change the analysis must see. */
export function analysisQueuer(r: Parameters<RouteModule>[0]) {
  const continuous = continuousFor(r);
  return async (accountId: string, trigger: AnalysisTrigger, reply: { status(code: number): unknown; header(name: string, value: string): unknown }) => {
    const { queue } = await continuous();
    const analysisId = await queueNetworkAnalysis(r.ctx.db, queue, accountId, trigger);
    const location = `/api/v1/network/analyses/${analysisId}`;
    reply.status(202);
    reply.header('location', location);
    reply.header('retry-after', '2');
    return { analysisId, status: 'QUEUED' as const, location };
  };
}

/** What a 202 answer carries. */
export const queuedSchema = z.object({
  analysisId: z.string(),
  status: z.enum(['QUEUED']).describe('always QUEUED: a trigger joins the waiting analysis, never a running one'),
  location: z.string().describe('GET it until status is DONE or FAILED'),
});

/** Network routes. */
export const networkRoutes: RouteModule = (r) => {
  const { db } = r.ctx;
  const queued = analysisQueuer(r);
  r.route({
    method: 'POST',
    url: '/api/v1/network/snapshots',
    summary: 'Store a topology snapshot of the account and queue its analysis',
    description:
      '`files` maps each file name to its text (or, for `.json` files, its JSON value): the AWS CLI outputs (`describe-instances.json`, …) or the YAML topology files and the host reports they name, exactly what `vigil network analyze DIR` reads (docs/network.md). Bad input is a 400 naming the file and field. The account\'s hosts are matched to instances by name, `instance-id` tag or reported address. A new snapshot is stored and answered with 202 and the analysis it queued (or joined); files identical to the account\'s latest snapshot store nothing and answer 201 with that snapshot and an analysis of nothing.',
    tag: 'network',
    roles: ['admin'],
    bodyLimit: SNAPSHOT_LIMITS.totalBytes + 1024 * 1024,
    body: z.object({ accountId: z.string().optional(), files: z.record(z.string(), z.unknown()) }).strict(),
    responses: { 201: z.object({ snapshot: snapshotSchema, analysis: analysisSchema }), 202: queuedSchema.extend({ snapshot: snapshotSchema }) },
    async handler({ principal, body, reply }) {
      const accountId = await targetAccount(db, principal, body.accountId);
      let stored;
      try {
        stored = await storeSnapshot(db, { accountId, files: normaliseFiles(body.files), source: 'api', skipUnchanged: true });
      } catch (err) {
        if (err instanceof TopologyError) throw badRequest(err.message, [{ pointer: '/files', detail: err.message }]);
        throw err;
      }
      if (!stored) {
        const latest = await db.kysely.selectFrom('network_snapshots').selectAll().where('account_id', '=', accountId).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
        reply.status(201);
        return { snapshot: toApiSnapshot(latest), analysis: NOTHING_ANALYSED };
      }
      return { ...(await queued(accountId, { kind: 'snapshot', snapshotId: stored.id, source: stored.source }, reply)), snapshot: toApiSnapshot(stored) };
    },
  });
  r.route({
    method: 'GET',
    url: '/api/v1/network/snapshots',
    summary: 'Topology snapshots, newest first (file names, not contents)',
    tag: 'network',
    roles: ['viewer'],
    query: z.object({ accountId: z.string().optional(), limit: z.coerce.number().int().min(1).max(100).default(20) }),
    responses: { 200: z.object({ snapshots: z.array(snapshotSchema) }) },
    async handler({ principal, query }) {
      const rows = await db.kysely
        .selectFrom('network_snapshots')
        .selectAll()
        .where(scopeSql(readScope(principal, query.accountId), 'network_snapshots.account_id'))
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(query.limit)
        .execute();
      return { snapshots: rows.map(toApiSnapshot) };
    },
  });
  r.route({
    method: 'POST',
    url: '/api/v1/network/host-reports',
    summary: "Store a host's network report (`vigil network collect` output) and queue its account's analysis",
    description:
      'Sent by `vigil agent` after its inventory. The HOST resource is found by name (or created). The report replaces the host\'s previous one and answers 202 with the analysis it queued (or joined: a burst of reports is one analysis); a report identical to the stored one queues nothing and answers 201 with an analysis of nothing (all zero).',
    tag: 'network',
    roles: ['scanner'],
    body: z
      .object({
        accountId: z.string().optional(),
        resource: z.object({ name: z.string().min(1).max(2000), tags: z.record(z.string(), z.string()).optional() }).strict(),
        report: hostNetworkReport,
      })
      .strict(),
    responses: { 201: z.object({ resourceId: z.string(), analysis: analysisSchema }), 202: queuedSchema.extend({ resourceId: z.string() }) },
    async handler({ principal, body, reply }) {
      const accountId = await targetAccount(db, principal, body.accountId);
      let resource;
      try {
        resource = await upsertResource(db, accountId, { type: 'HOST', name: body.resource.name, ...(body.resource.tags ? { tags: body.resource.tags } : {}) });
      } catch (err) {
        throw badRequest((err as Error).message);
      }
      const changed = await storeHostReport(db, resource, body.report);
      // An agent reports every few hours, mostly the same sockets: an unchanged report cannot change the analysis.
      if (!changed) {
        reply.status(201);
        return { resourceId: resource.id, analysis: NOTHING_ANALYSED };
      }
      return { ...(await queued(accountId, { kind: 'host-report', resourceId: resource.id }, reply)), resourceId: resource.id };
    },
  });
  r.route({
    method: 'POST',
    url: '/api/v1/network/analyses',
    summary: "Queue an analysis of the account's stored snapshot and host reports now",
    description:
      'For when nothing new arrived but the analysis should run again: after a FAILED analysis (re-posting identical files queues nothing), or after an advisory update an admin wants reflected at once. Joins the waiting analysis when there is one.',
    tag: 'network',
    roles: ['admin'],
    body: z.object({ accountId: z.string().optional() }).strict(),
    responses: { 202: queuedSchema },
    async handler({ principal, body, reply }) {
      const accountId = await targetAccount(db, principal, body.accountId);
      return queued(accountId, { kind: 'request', keyId: principal.keyId }, reply);
    },
  });
  r.route({
    method: 'GET',
    url: '/api/v1/network/analyses/:id',
    summary: 'One network analysis: QUEUED, RUNNING, then DONE with what it did or FAILED with why',
    description: 'Scanner keys may read analyses too: they poll the ones their host reports queued. Another account\'s analysis is 404.',
    tag: 'network',
    roles: ['viewer', 'scanner'],
    params: idParams,
    responses: { 200: analysisRecordSchema },
    async handler({ principal, params }) {
      const analysis = await getAnalysis(db, scopeOf(principal), params.id);
      if (!analysis) throw notFound(`network analysis ${params.id}`);
      return analysis;
    },
  });
};
