/**
 * Topology snapshots and host network reports as the server keeps them, per account.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/connect.js';
import type { NetworkSnapshotsTable } from '../../db/schema.js';
import { iso } from '../../findings/model.js';
import type { HostNetworkReport } from '../host/collect.js';
import { storeHostContainers } from './running-images.js';
import { importSnapshot, snapshotDigest, type SnapshotFiles } from './snapshot-files.js';

/** A snapshot as the API shows it (without its files). */
export interface ApiSnapshot {
  snapshotId: string;
  accountId: string;
  format: string;
  source: string;
  files: string[];
  instanceCount: number;
  exposureCount: number;
  warnings: string[];
  createdAt: string;
}

/** The API form of a stored snapshot. */
export function toApiSnapshot(row: NetworkSnapshotsTable): ApiSnapshot {
  return {
    snapshotId: row.id,
    accountId: row.account_id,
    format: row.format,
    source: row.source,
    files: Object.keys(JSON.parse(row.files) as SnapshotFiles),
    instanceCount: row.instance_count,
    exposureCount: row.exposure_count,
    warnings: JSON.parse(row.warnings) as string[],
    createdAt: iso(row.created_at)!,
  };
}

/**
 * Stores a snapshot after importing it (bad input throws a TopologyError naming the file and
 * field, and nothing is stored). With `skipUnchanged`, files identical to the account's
 * latest snapshot store nothing and return undefined (a scheduled import of an unchanged directory).
 */
export async function storeSnapshot(db: Db, input: { accountId: string; files: SnapshotFiles; source: string; skipUnchanged?: boolean; at?: number }): Promise<NetworkSnapshotsTable | undefined> {
  const digest = snapshotDigest(input.files);
  if (input.skipUnchanged) {
    const latest = await db.kysely.selectFrom('network_snapshots').select('digest').where('account_id', '=', input.accountId).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
    if (latest?.digest === digest) return undefined;
  }
  const { format, topology } = importSnapshot(input.files);
  const row: NetworkSnapshotsTable = {
    id: randomUUID(),
    account_id: input.accountId,
    format,
    source: input.source,
    files: JSON.stringify(input.files),
    digest,
    instance_count: topology.instances.length,
    exposure_count: 0,
    warnings: JSON.stringify(topology.warnings),
    // Snapshots order by creation time: never before the account's latest.
    created_at: input.at ?? Date.now(),
  };
  await db.kysely.insertInto('network_snapshots').values(row).execute();
  return row;
}

/**
 * Stores a host's network report (replacing the previous one), and the containers it lists
 * as the host's running images (a report without a container list, from an older agent,
 * leaves them as they were); true when it differs from the one stored.
 */
export async function storeHostReport(db: Db, resource: { id: string; account_id: string }, report: HostNetworkReport, at = Date.now()): Promise<boolean> {
  if (report.containers) await storeHostContainers(db, resource, report.containers, at);
  const text = JSON.stringify(report);
  const prior = await db.kysely.selectFrom('network_host_reports').select('report').where('resource_id', '=', resource.id).executeTakeFirst();
  await db.kysely
    .insertInto('network_host_reports')
    .values({ resource_id: resource.id, account_id: resource.account_id, report: text, received_at: at })
    .onConflict((oc) => oc.column('resource_id').doUpdateSet({ report: text, received_at: at, account_id: resource.account_id }))
    .execute();
  return prior?.report !== text;
}
