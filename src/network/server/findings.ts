/**
 * The lifecycle of NETWORK_REACHABILITY findings: one per (resource, protocol, open port
 * range) where the internet reaches a port a process listens on. A network analysis of a
 * host opens the new ones, refreshes those seen again, reopens closed ones that come back and
 * closes the ones whose port no longer opens, with the same timeline (and so the same events)
 * as package findings. It touches only the host's network findings: a package rescan and a
 * network re-analysis never close each other's findings.
 */
import { chunks, rowsPerStatement } from '../../db/batches.js';
import type { Db } from '../../db/connect.js';
import type { FindingsTable, ResourcesTable } from '../../db/schema.js';
import type { LifecycleSummary } from '../../findings/lifecycle.js';
import { severityRank } from '../../findings/model.js';
import { applyRulesToResource } from '../../findings/suppression.js';
import { newFindingId } from '../../findings/ids.js';
import { markSummary, summaryChanged } from '../../findings/summary.js';
import type { Severity } from '../../matching/types.js';
import type { ExposedListener, Exposure, PathStep } from '../analyze.js';
import type { ExposedProtocol } from '../model.js';
import { severityOfRange } from '../port-severity.js';
import { formatRange, type PortRange } from '../ports.js';

/** The finding type. */
export const NETWORK_REACHABILITY = 'NETWORK_REACHABILITY';

/** What a network finding stores as its detail, shaped like Inspector's `networkReachabilityDetails`. */
export interface NetworkFindingDetail {
  title: string;
  description: string;
  severity: Severity;
  networkReachabilityDetails: {
    protocol: ExposedProtocol;
    openPortRange: PortRange;
    networkPath: { steps: PathStep[] };
  };
  /** Where the internet sends packets and to which port. */
  publicAddresses: string[];
  publicPortRange: PortRange;
  interfaceId: string;
  /** The topology's instance the host was matched to. */
  instanceId: string;
  /** The processes listening in the range. */
  listeners: ExposedListener[];
  /** Recognised services in the range and their rating (the severity table, docs/network.md). */
  services: { service: string; category: string; severity: Severity }[];
  snapshotId: string;
}

/** Key of a network finding within its resource. */
export function networkFindingKey(protocol: string, range: PortRange): string {
  return `network:${protocol}/${range.begin}-${range.end}`;
}

/**
 * The network findings of one host from its exposures: the ranges where a process is known
 * to listen. Several paths to one range (a public address and a load balancer) are one
 * finding, keeping the first path.
 */
export function networkFindingsOf(exposures: readonly Exposure[], snapshotId: string): NetworkFindingDetail[] {
  const out = new Map<string, NetworkFindingDetail>();
  for (const e of exposures) {
    if (!e.listeners || e.listeners.length === 0) continue;
    const key = networkFindingKey(e.protocol, e.openPortRange);
    const prior = out.get(key);
    if (prior) {
      for (const a of e.publicAddresses) if (!prior.publicAddresses.includes(a)) prior.publicAddresses.push(a);
      continue;
    }
    const rated = severityOfRange(e.protocol, e.openPortRange);
    const ports = `${formatRange(e.openPortRange)}/${e.protocol}`;
    const processes = [...new Set(e.listeners.map((l) => l.process ?? `port ${l.port}`))].join(', ');
    const service = rated.services[0] ? ` (${rated.services[0].service})` : '';
    out.set(key, {
      title: `Port ${ports}${service} is reachable from the internet`,
      description: `${processes} listens on ${ports}, which the internet reaches through ${e.networkPath.steps.map((s) => s.componentId).join(' → ')}.`,
      severity: rated.severity,
      networkReachabilityDetails: { protocol: e.protocol, openPortRange: e.openPortRange, networkPath: e.networkPath },
      publicAddresses: [...e.publicAddresses],
      publicPortRange: e.publicPortRange,
      interfaceId: e.interfaceId,
      instanceId: e.resourceId,
      listeners: e.listeners,
      services: rated.services.map((s) => ({ service: s.service, category: s.category, severity: s.severity })),
      snapshotId,
    });
  }
  return [...out.values()];
}

function columnsOf(d: NetworkFindingDetail, resource: ResourcesTable) {
  const r = d.networkReachabilityDetails;
  return {
    resource_type: resource.type,
    resource_name: resource.name,
    vulnerability_id: `${r.protocol}/${formatRange(r.openPortRange)}`,
    title: d.title,
    // Package columns are not null: a network finding has no package.
    package_name: '',
    package_ecosystem: '',
    package_version: '',
    fixed_version: null,
    fix_available: 'NO',
    layer: null,
    image_registry: null,
    image_repository: null,
    image_digest: null,
    severity: d.severity,
    severity_rank: severityRank(d.severity),
    // No CVSS rates an open port: the severity comes from the port table alone.
    score: 0,
    epss: null,
    epss_rank: -1,
    exploited: 0,
    network_protocol: r.protocol,
    port_begin: r.openPortRange.begin,
    port_end: r.openPortRange.end,
  };
}

/** The detail without the snapshot id, so a new snapshot with the same path does not count as a change. */
function comparableDetail(detail: string): string {
  const { snapshotId: _ignored, ...rest } = JSON.parse(detail) as NetworkFindingDetail;
  return JSON.stringify(rest);
}

/** One host's network findings to apply. */
export interface NetworkFindingsUpdate {
  resource: ResourcesTable;
  findings: readonly NetworkFindingDetail[];
  /** Why (the snapshot or host report), for the timeline. */
  cause: Record<string, string>;
}

/**
 * Applies hosts' network findings to their stored NETWORK_REACHABILITY findings. Run inside
 * a transaction. Returns one summary per update, in order.
 */
export async function applyNetworkFindings(db: Db, updates: readonly NetworkFindingsUpdate[], at: number): Promise<LifecycleSummary[]> {
  const summaries: LifecycleSummary[] = [];
  const events: { finding_id: string; account_id: string; at: number; event: string; detail: string }[] = [];
  const inserts: FindingsTable[] = [];
  // The summaries' keys of ACTIVE findings this batch adds, changes or closes.
  const dirtyResources = new Set<string>();
  const dirtyVulns = new Set<string>();
  const dirty = (row: Pick<FindingsTable, 'resource_id' | 'vulnerability_id'>) => {
    dirtyResources.add(row.resource_id);
    dirtyVulns.add(row.vulnerability_id);
  };
  for (const { resource, findings, cause } of updates) {
    const summary: LifecycleSummary = { created: 0, reopened: 0, closed: 0, updated: 0, unchanged: 0, suppressed: 0 };
    summaries.push(summary);
    const existing = await db.kysely.selectFrom('findings').selectAll().where('resource_id', '=', resource.id).where('type', '=', NETWORK_REACHABILITY).execute();
    const byKey = new Map(existing.map((e) => [e.finding_key, e]));
    const seen = new Set<string>();
    const ref = JSON.stringify(cause);
    for (const f of findings) {
      const key = networkFindingKey(f.networkReachabilityDetails.protocol, f.networkReachabilityDetails.openPortRange);
      seen.add(key);
      const cols = columnsOf(f, resource);
      const detail = JSON.stringify(f);
      const prior = byKey.get(key);
      if (!prior) {
        const id = newFindingId();
        inserts.push({ id, account_id: resource.account_id, resource_id: resource.id, finding_key: key, type: NETWORK_REACHABILITY, status: 'ACTIVE', suppressed_by: null, ...cols, detail, first_observed_at: at, last_observed_at: at, updated_at: at, closed_at: null });
        dirty(inserts[inserts.length - 1]);
        events.push({ finding_id: id, account_id: resource.account_id, at, event: 'CREATED', detail: ref });
        summary.created++;
        continue;
      }
      const reopen = prior.status === 'CLOSED';
      const changes: Record<string, { from: unknown; to: unknown }> = {};
      if (prior.severity !== cols.severity) changes.severity = { from: prior.severity, to: cols.severity };
      const pathChanged = comparableDetail(prior.detail) !== comparableDetail(detail);
      if (pathChanged) changes.path = { from: JSON.parse(prior.detail).networkReachabilityDetails.networkPath, to: f.networkReachabilityDetails.networkPath };
      const changed = Object.keys(changes).length > 0;
      const set = { ...cols, detail, last_observed_at: at, ...(reopen ? { status: 'ACTIVE', closed_at: null, suppressed_by: null } : {}), ...(reopen || changed ? { updated_at: at } : {}) };
      await db.kysely.updateTable('findings').set(set).where('id', '=', prior.id).execute();
      if (summaryChanged(prior, { ...prior, ...set })) {
        dirty(prior);
        dirty({ ...prior, ...set });
      }
      if (reopen) {
        events.push({ finding_id: prior.id, account_id: resource.account_id, at, event: 'REOPENED', detail: ref });
        summary.reopened++;
      } else if (changed) {
        events.push({ finding_id: prior.id, account_id: resource.account_id, at, event: 'UPDATED', detail: JSON.stringify({ ...cause, changes }) });
        summary.updated++;
      } else summary.unchanged++;
    }
    const closing = existing.filter((e) => e.status !== 'CLOSED' && !seen.has(e.finding_key));
    for (const c of closing) if (c.status === 'ACTIVE') dirty(c);
    for (const ids of chunks(closing.map((c) => c.id), 1000)) {
      await db.kysely.updateTable('findings').set({ status: 'CLOSED', closed_at: at, updated_at: at, suppressed_by: null }).where('id', 'in', ids).execute();
    }
    for (const c of closing) events.push({ finding_id: c.id, account_id: resource.account_id, at, event: 'CLOSED', detail: JSON.stringify({ ...cause, reason: 'port no longer reachable from the internet' }) });
    summary.closed = closing.length;
  }
  for (const slice of chunks(inserts, rowsPerStatement(Object.keys(inserts[0] ?? {}).length || 1))) await db.kysely.insertInto('findings').values(slice).execute();
  for (const slice of chunks(events, rowsPerStatement(5))) await db.kysely.insertInto('finding_events').values(slice).execute();
  await markSummary(db.kysely, { resourceIds: dirtyResources, vulnerabilityIds: dirtyVulns });
  const anyRule = await db.kysely.selectFrom('suppression_rules').select('id').limit(1).executeTakeFirst();
  if (anyRule) for (let i = 0; i < updates.length; i++) summaries[i]!.suppressed = await applyRulesToResource(db, updates[i]!.resource, at);
  return summaries;
}
