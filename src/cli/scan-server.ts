/**
 * `vigil scan --server`: files the local inventory with a Vigil server under a stable
 * resource, and turns the answer into the result the CLI prints and gates on, with the
 * server's verdict (its suppression rules) in place of the raw matches.
 */
import type { ResourceInput } from '../findings/resources.js';
import type { FindingVerdict } from '../findings/verdicts.js';
import type { Inventory } from '../inventory/types.js';
import type { ScanContext, ScanResult } from '../matching/types.js';
import type { HostNetworkReport } from '../network/host/collect.js';
import { submitHostNetwork, submitInventory, type SubmitResult } from '../server/client.js';
import { defaultResource } from './resource-identity.js';

/** What {@link scanOnServer} needs. */
export interface ServerScanOptions {
  server: string;
  apiKey: string;
  inventory: Inventory;
  /** The target as the user wrote it. */
  target: string;
  context: ScanContext;
  /** `--name`: the resource's name instead of the derived one. */
  name?: string;
  /** `--tag`s: replace the resource's key/value tags when given. */
  tags?: Record<string, string>;
  /** `--account`: another account (delegated administrator keys only). */
  accountId?: string;
  /** Where to say what happened (stderr). */
  say(line: string): void;
  /** The host's network report (ssh: targets), posted for the same resource after the inventory. */
  network?: HostNetworkReport;
}

function verdictKey(ecosystem: string, name: string, version: string, vulnerabilityId: string): string {
  return [ecosystem, name, version, vulnerabilityId].join('\u0000');
}

/**
 * The result with the server's verdict applied: findings a server rule suppresses move to
 * `suppressed`, with the rule's name and reason, so they neither print as open nor count
 * toward --fail-on. Findings the server has no verdict on stay as matched.
 */
export function withServerVerdicts(result: ScanResult, verdicts: readonly FindingVerdict[]): ScanResult {
  const byKey = new Map(verdicts.map((v) => [verdictKey(v.package.ecosystem, v.package.name, v.package.version, v.vulnerabilityId), v]));
  const findings: ScanResult['findings'] = [];
  const suppressed = [...result.suppressed];
  for (const f of result.findings) {
    const verdict = byKey.get(verdictKey(f.package.ecosystem, f.package.name, f.package.version, f.id));
    if (verdict?.status !== 'SUPPRESSED') {
      findings.push(f);
      continue;
    }
    const rule = verdict.suppressedBy;
    suppressed.push({ id: f.id, package: f.package.purl, reason: rule ? `server rule "${rule.name}": ${rule.reason}` : 'suppressed on the server' });
  }
  return { ...result, findings, suppressed };
}

/**
 * Marks the entries a local ignore file added after `from` as local-only: the server never
 * sees the ignore file, so it keeps those findings ACTIVE.
 */
export function markLocalOnly(result: ScanResult, from: number, file: string): ScanResult {
  const suppressed = result.suppressed.map((s, i) => (i < from ? s : { ...s, reason: `local only (${file}): ${s.reason}` }));
  return { ...result, suppressed };
}

/** The dashboard's view of a resource's open findings. */
function dashboardLink(server: string, resourceId: string): string {
  const base = new URL(server.endsWith('/') ? server : `${server}/`);
  return new URL(`findings?resource=${encodeURIComponent(resourceId)}&status=ACTIVE`, base).toString();
}

/** Says where the result went: resource, scan, what changed, and the dashboard link. */
function report(res: SubmitResult, server: string, stable: boolean, say: (line: string) => void): void {
  const r = res.resource;
  const s = res.summary;
  say(
    `vigil: filed as ${r.type} ${r.name} (resource ${r.id}, account ${r.accountId}), scan ${res.scanId}: ` +
      `${s.created ?? 0} new, ${s.reopened ?? 0} reopened, ${s.closed ?? 0} closed, ${s.suppressed ?? 0} suppressed by rules`,
  );
  say(`vigil: ${dashboardLink(server, r.id)}`);
  if (!stable) say('vigil: the resource is named after a local path, which may change between runs: pass --name to keep one resource');
}

/** Submits the inventory and returns the result to print and gate on. */
export async function scanOnServer(opts: ServerScanOptions): Promise<ScanResult> {
  const derived = defaultResource(opts.inventory, opts.target);
  const resource: ResourceInput = { ...derived.resource, ...(opts.name ? { name: opts.name } : {}), ...(opts.tags ? { tags: opts.tags } : {}) };
  const res = await submitInventory({ server: opts.server, apiKey: opts.apiKey, inventory: opts.inventory, context: opts.context, resource, accountId: opts.accountId });
  report(res, opts.server, derived.stable || Boolean(opts.name), opts.say);
  if (opts.network) {
    const name = res.resource.name;
    const net = await submitHostNetwork({ server: opts.server, apiKey: opts.apiKey, name, report: { ...opts.network, firewallId: `${name}/firewall` }, accountId: opts.accountId });
    const n = opts.network.listeners.length;
    const analysis = net.analysisId ? `reachability analysis ${net.analysisId} queued` : 'unchanged, nothing to analyse';
    opts.say(`vigil: network report filed for ${name}: ${n} listening socket${n === 1 ? '' : 's'}; ${analysis}`);
  }
  if (!res.findings) {
    opts.say('vigil: the server sent no finding statuses: printing and gating on the matches as found, without its suppression rules');
    return res.result;
  }
  return withServerVerdicts(res.result, res.findings);
}
