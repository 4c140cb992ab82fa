/**
 * The server's network analysis of one account: its latest topology snapshot, with the
 * network reports its hosts sent applied to the instances they are, analysed; then, for
 * each host the snapshot describes, its computed reachability (the score's input) and its
 * NETWORK_REACHABILITY findings; then the reachability of the images running on its hosts.
 * Only hosts whose exposures or reachability changed are written, and the hosts and images
 * whose reachability changed are returned for re-scoring.
 */
import { parseAddress, type AddressBlock } from '../ip.js';
import { analyze, type Exposure } from '../analyze.js';
import type { Db } from '../../db/connect.js';
import type { ResourcesTable } from '../../db/schema.js';
import { hostFacts } from '../host/collect.js';
import { hostNetworkReport } from '../host/schema.js';
import type { Instance, Topology } from '../model.js';
import { formatRange } from '../ports.js';
import { applyNetworkFindings, networkFindingsOf, NETWORK_REACHABILITY, type NetworkFindingsUpdate } from './findings.js';
import { refreshImageReachability } from './running-images.js';
import { importSnapshot, type SnapshotFiles } from './snapshot-files.js';

/** The resource tag naming the topology instance a host is, when its name is not the instance id. */
export const INSTANCE_TAG = 'instance-id';

/** What one account's analysis did. */
export interface AccountAnalysis {
  snapshotId: string | undefined;
  /** HOST resources the snapshot describes. */
  hosts: number;
  /** Hosts whose exposures or reachability changed (and were written). */
  changedHosts: string[];
  /** Hosts whose reachability (and so their package findings' scores) changed. */
  rescore: string[];
  /** Images (running on recorded hosts) whose reachability changed. */
  rescoreImages: string[];
  findings: { created: number; reopened: number; updated: number; closed: number };
  /** Exposures of the whole snapshot (every instance, with hosts' reports applied). */
  exposures: number;
  warnings: string[];
}

function addressKey(b: AddressBlock): string {
  return `${b.family}:${b.first}`;
}

/**
 * Which instance each host is: the instance whose id is the host's name or its
 * `instance-id` tag, else the instance holding a private address the host reported on one of
 * its interfaces.
 */
export function matchHosts(topology: Topology, hosts: readonly Pick<ResourcesTable, 'id' | 'name' | 'tags'>[], reports: ReadonlyMap<string, { interfaces: { addresses: string[] }[] }>): Map<string, Instance> {
  const byId = new Map(topology.instances.map((i) => [i.id, i]));
  const byAddress = new Map<string, Instance>();
  for (const instance of topology.instances) {
    for (const nic of instance.interfaces) for (const a of nic.privateAddresses) if (a.first === a.last) byAddress.set(addressKey(a), instance);
  }
  const out = new Map<string, Instance>();
  for (const host of hosts) {
    const tag = (JSON.parse(host.tags) as Record<string, string>)[INSTANCE_TAG];
    let instance = byId.get(tag ?? host.name) ?? byId.get(host.name);
    for (const nic of instance ? [] : reports.get(host.id)?.interfaces ?? []) {
      for (const text of nic.addresses) {
        let block: AddressBlock;
        try {
          block = parseAddress(text.split('/')[0]!);
        } catch {
          continue;
        }
        instance ??= byAddress.get(addressKey(block));
      }
    }
    if (instance) out.set(host.id, instance);
  }
  return out;
}

/** The score's reason for a host, from its exposures: the path, or why nothing reaches it. */
export function reachabilityReason(instance: Instance, exposures: readonly Exposure[], topology: Topology): { reachable: boolean; reason: string } {
  if (exposures.length > 0) {
    const e = exposures[0]!;
    const more = exposures.length > 1 ? ` (and ${exposures.length - 1} more open range${exposures.length > 2 ? 's' : ''})` : '';
    return { reachable: true, reason: `reachable from the internet as ${instance.id}: ${formatRange(e.openPortRange)}/${e.protocol} through ${e.networkPath.steps.map((s) => s.componentId).join(' → ')}${more}` };
  }
  if (instance.state !== 'running') return { reachable: false, reason: `instance ${instance.id} is ${instance.state}: nothing reaches it` };
  const hasPublic = instance.interfaces.some((i) => i.publicAddresses.length > 0);
  const forwarded = topology.gateways.some((g) => g.portForwards.some((f) => f.instanceId === instance.id));
  const balanced = topology.loadBalancers.some((lb) => lb.internetFacing && lb.listeners.some((l) => l.targets.some((t) => t.instanceId === instance.id)));
  if (!hasPublic && !forwarded && !balanced) return { reachable: false, reason: `instance ${instance.id} has no public address, and no port forward or internet-facing load balancer leads to it` };
  return { reachable: false, reason: `no port of instance ${instance.id} is open from the internet through its route table, network ACL, security groups and host firewall` };
}

/** The stored host network reports of an account, parsed (a report that no longer parses is left out). */
async function hostReports(db: Db, accountId: string): Promise<Map<string, ReturnType<typeof hostNetworkReport.parse>>> {
  const out = new Map<string, ReturnType<typeof hostNetworkReport.parse>>();
  for (const row of await db.kysely.selectFrom('network_host_reports').select(['resource_id', 'report']).where('account_id', '=', accountId).execute()) {
    const parsed = hostNetworkReport.safeParse(JSON.parse(row.report));
    if (parsed.success) out.set(row.resource_id, parsed.data);
  }
  return out;
}

/**
 * Analyses an account's latest snapshot with its hosts' reports and writes what changed:
 * reachability rows and network findings of the hosts whose exposures changed, findings of
 * hosts the snapshot no longer describes closed. Returns the hosts to re-score.
 */
export async function analyzeAccount(db: Db, accountId: string, at = Date.now()): Promise<AccountAnalysis> {
  const result: AccountAnalysis = { snapshotId: undefined, hosts: 0, changedHosts: [], rescore: [], rescoreImages: [], findings: { created: 0, reopened: 0, updated: 0, closed: 0 }, exposures: 0, warnings: [] };
  const snapshot = await db.kysely.selectFrom('network_snapshots').select(['id', 'files']).where('account_id', '=', accountId).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
  if (!snapshot) return result;
  result.snapshotId = snapshot.id;
  const { topology } = importSnapshot(JSON.parse(snapshot.files) as SnapshotFiles);
  const hosts = await db.kysely.selectFrom('resources').selectAll().where('account_id', '=', accountId).where('type', '=', 'HOST').execute();
  const reports = await hostReports(db, accountId);
  const matched = matchHosts(topology, hosts, reports);
  // A host's own report is the truth about its firewall and listeners: it replaces what the topology typed.
  for (const [hostId, instance] of matched) {
    const report = reports.get(hostId);
    if (!report) continue;
    const { facts, warnings } = hostFacts(report);
    instance.host = facts;
    result.warnings.push(...warnings.map((w) => `${instance.id}: ${w}`));
  }
  const analysis = analyze(topology);
  result.warnings.push(...topology.warnings, ...analysis.warnings);
  result.exposures = analysis.exposures.length;
  const byInstance = new Map<string, Exposure[]>();
  for (const e of analysis.exposures) {
    const list = byInstance.get(e.resourceId);
    if (list) list.push(e);
    else byInstance.set(e.resourceId, [e]);
  }
  const stored = new Map((await db.kysely.selectFrom('host_reachability').selectAll().where('account_id', '=', accountId).execute()).map((r) => [r.resource_id, r]));
  const updates: NetworkFindingsUpdate[] = [];
  const rows: { resource_id: string; account_id: string; snapshot_id: string; instance_id: string; reachable: number; reason: string; exposures: string; updated_at: number }[] = [];
  const hostById = new Map(hosts.map((h) => [h.id, h]));
  result.hosts = matched.size;
  for (const [hostId, instance] of matched) {
    const exposures = byInstance.get(instance.id) ?? [];
    const { reachable, reason } = reachabilityReason(instance, exposures, topology);
    const exposuresJson = JSON.stringify(exposures);
    const prior = stored.get(hostId);
    stored.delete(hostId);
    if (prior && prior.exposures === exposuresJson && prior.reason === reason && prior.instance_id === instance.id) continue;
    result.changedHosts.push(hostId);
    if (!prior || prior.reachable !== Number(reachable) || prior.reason !== reason) result.rescore.push(hostId);
    rows.push({ resource_id: hostId, account_id: accountId, snapshot_id: snapshot.id, instance_id: instance.id, reachable: Number(reachable), reason, exposures: exposuresJson, updated_at: at });
    updates.push({ resource: hostById.get(hostId)!, findings: networkFindingsOf(exposures, snapshot.id), cause: { snapshotId: snapshot.id } });
  }
  // Hosts the snapshot no longer describes: nothing is known about their reachability any more.
  const gone = [...stored.keys()];
  await db.kysely.transaction().execute(async (trx) => {
    const tdb: Db = { ...db, kysely: trx };
    for (const row of rows) {
      await trx
        .insertInto('host_reachability')
        .values(row)
        .onConflict((oc) => oc.column('resource_id').doUpdateSet({ snapshot_id: row.snapshot_id, instance_id: row.instance_id, reachable: row.reachable, reason: row.reason, exposures: row.exposures, updated_at: row.updated_at }))
        .execute();
    }
    if (gone.length > 0) {
      await trx.deleteFrom('host_reachability').where('resource_id', 'in', gone).execute();
      for (const id of gone) {
        const resource = hostById.get(id);
        if (resource) updates.push({ resource, findings: [], cause: { snapshotId: snapshot.id } });
      }
      result.rescore.push(...gone.filter((id) => hostById.has(id)));
    }
    await trx.updateTable('network_snapshots').set({ exposure_count: result.exposures, warnings: JSON.stringify(result.warnings) }).where('id', '=', snapshot.id).execute();
    for (const s of await applyNetworkFindings(tdb, updates, at)) {
      result.findings.created += s.created;
      result.findings.reopened += s.reopened;
      result.findings.updated += s.updated;
      result.findings.closed += s.closed;
    }
  });
  // Images take the reachability of the hosts they run on: after the hosts', from what was just written.
  result.rescoreImages = await refreshImageReachability(db, accountId, at);
  return result;
}

/** The computed reachability of a host, when its account's snapshot describes it. */
export async function storedReachability(db: Db, resourceId: string): Promise<{ internetReachable: boolean; reachabilityReason: string } | undefined> {
  const row = await db.kysely.selectFrom('host_reachability').select(['reachable', 'reason']).where('resource_id', '=', resourceId).executeTakeFirst();
  return row ? { internetReachable: row.reachable === 1, reachabilityReason: row.reason } : undefined;
}

/** Counts a host's open network findings (for tests and the API). */
export async function openNetworkFindings(db: Db, resourceId: string): Promise<number> {
  const row = await db.kysely.selectFrom('findings').select((eb) => eb.fn.countAll<number>().as('n')).where('resource_id', '=', resourceId).where('type', '=', NETWORK_REACHABILITY).where('status', '<>', 'CLOSED').executeTakeFirstOrThrow();
  return Number(row.n);
}
