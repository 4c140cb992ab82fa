/**
 * Network reachability on the server: topology snapshots per account (`POST` by an account
 * admin, taking the importers' files as a JSON body), and the network report a host sends
 * with its inventory. Either re-runs the account's analysis at once: reachability and
 * NETWORK_REACHABILITY findings of the hosts it changes, and their package findings re-scored.
 */
import { z } from 'zod';
import { upsertResource } from '../../findings/resources.js';
import { scopeSql } from '../../findings/scope.js';
import { hostNetworkReport } from '../../network/host/schema.js';
import { TopologyError } from '../../network/input.js';
import { refreshAccountNetwork, type NetworkUpdate } from '../../network/server/service.js';
import { normaliseFiles, SNAPSHOT_LIMITS } from '../../network/server/snapshot-files.js';
import { storeHostReport, storeSnapshot, toApiSnapshot } from '../../network/server/store.js';
import { badRequest } from '../problem.js';
import type { RouteModule } from '../router.js';
import { readScope, targetAccount } from './common.js';

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

const analysisSchema = z.object({
  hosts: z.number().int().describe('HOST resources the snapshot describes'),
  changedHosts: z.number().int().describe('hosts whose exposures or reachability changed'),
  rescoredHosts: z.number().int().describe("hosts whose package findings were scored again (their reachability changed)"),
  findings: z.object({ created: z.number().int(), reopened: z.number().int(), updated: z.number().int(), closed: z.number().int() }),
});

function analysisOf(u: NetworkUpdate) {
  return { hosts: u.hosts, changedHosts: u.changedHosts.length, rescoredHosts: u.rescored?.reevaluated ?? 0, findings: u.findings };
}

/** Network routes. */
export const networkRoutes: RouteModule = (r) => {
  const { db } = r.ctx;
  const engine = () => {
    if (!r.ctx.engine) throw new Error('no advisory database');
    return r.ctx.engine;
  };
  r.route({
    method: 'POST',
    url: '/api/v1/network/snapshots',
    summary: "Store a topology snapshot of the account and analyse it",
    description:
      '`files` maps each file name to its text (or, for `.json` files, its JSON value): the AWS CLI outputs (`describe-instances.json`, …) or the YAML topology files and the host reports they name, exactly what `vigil network analyze DIR` reads (docs/network.md). Bad input is a 400 naming the file and field. The account\'s hosts are matched to instances by name, `instance-id` tag or reported address.',
    tag: 'network',
    roles: ['admin'],
    bodyLimit: SNAPSHOT_LIMITS.totalBytes + 1024 * 1024,
    body: z.object({ accountId: z.string().optional(), files: z.record(z.string(), z.unknown()) }).strict(),
    responses: { 201: z.object({ snapshot: snapshotSchema, analysis: analysisSchema }) },
    async handler({ principal, body, reply }) {
      const accountId = await targetAccount(db, principal, body.accountId);
      let stored;
      try {
        stored = await storeSnapshot(db, { accountId, files: normaliseFiles(body.files), source: 'api' });
      } catch (err) {
        if (err instanceof TopologyError) throw badRequest(err.message, [{ pointer: '/files', detail: err.message }]);
        throw err;
      }
      const update = await refreshAccountNetwork(db, accountId, r.ctx.engine ? engine : undefined);
      const row = await db.kysely.selectFrom('network_snapshots').selectAll().where('id', '=', stored!.id).executeTakeFirstOrThrow();
      reply.status(201);
      return { snapshot: toApiSnapshot(row), analysis: analysisOf(update) };
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
    summary: "Store a host's network report (`vigil network collect` output) and analyse its account",
    description:
      'Sent by `vigil agent` after its inventory. The HOST resource is found by name (or created). The report replaces the host\'s previous one; a report identical to the stored one analyses nothing (`analysis` all zero).',
    tag: 'network',
    roles: ['scanner'],
    body: z
      .object({
        accountId: z.string().optional(),
        resource: z.object({ name: z.string().min(1).max(2000), tags: z.record(z.string(), z.string()).optional() }).strict(),
        report: hostNetworkReport,
      })
      .strict(),
    responses: { 201: z.object({ resourceId: z.string(), analysis: analysisSchema }) },
    async handler({ principal, body, reply }) {
      const accountId = await targetAccount(db, principal, body.accountId);
      let resource;
      try {
        resource = await upsertResource(db, accountId, { type: 'HOST', name: body.resource.name, ...(body.resource.tags ? { tags: body.resource.tags } : {}) });
      } catch (err) {
        throw badRequest((err as Error).message);
      }
      const changed = await storeHostReport(db, resource, body.report);
      reply.status(201);
      // An agent reports every few hours, mostly the same sockets: an unchanged report cannot change the analysis.
      if (!changed) return { resourceId: resource.id, analysis: { hosts: 0, changedHosts: 0, rescoredHosts: 0, findings: { created: 0, reopened: 0, updated: 0, closed: 0 } } };
      const update = await refreshAccountNetwork(db, accountId, r.ctx.engine ? engine : undefined);
      return { resourceId: resource.id, analysis: analysisOf(update) };
    },
  });
};
