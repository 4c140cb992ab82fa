/**
 * The typed client for Vigil's HTTP API (`/api/v1`), the only way the dashboard reads or
 * changes anything. Every call carries the API key as a bearer token; errors arrive as
 * RFC 9457 problem documents and are thrown as {@link ApiError}.
 */
import type { FixAvailable, ScoreAdjustment, Severity } from '../../src/matching/types.js';
import type { FindingRemediation } from '../../src/remediation/resource-plan.js';

export type { FixAvailable, ScoreAdjustment, Severity };

/** Lifecycle state of a stored finding. */
export type FindingStatus = 'ACTIVE' | 'SUPPRESSED' | 'CLOSED';

/** Kinds of resource the service covers. */
export type ResourceType = 'HOST' | 'CONTAINER_IMAGE' | 'REPOSITORY' | 'PACKAGE_ARCHIVE';

/** Group-by keys of the aggregation endpoint. */
export type AggregationType =
  | 'VULNERABILITY'
  | 'PACKAGE'
  | 'CONTAINER_IMAGE'
  | 'REPOSITORY'
  | 'IMAGE_LAYER'
  | 'HOST'
  | 'ACCOUNT'
  | 'FINDING_TYPE'
  | 'SEVERITY'
  | 'ORIGIN'
  | 'SLA_STATUS';

/** Severity order, worst first; the dashboard always lists severities this way. */
export const SEVERITIES: readonly Severity[] = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNTRIAGED'];

/** A string comparison of the search API. */
export interface StringFilter {
  comparison: 'EQUALS' | 'NOT_EQUALS' | 'PREFIX';
  value: string;
}

/** An inclusive number range of the search API. */
export interface NumberFilter {
  lowerInclusive?: number;
  upperInclusive?: number;
}

/** An inclusive date range of the search API (ISO 8601 strings). */
export interface DateFilter {
  startInclusive?: string;
  endInclusive?: string;
}

/** Filter criteria as the search, aggregate, export and suppression endpoints take them. */
export interface FilterCriteria {
  findingId?: StringFilter[];
  vulnerabilityId?: StringFilter[];
  title?: StringFilter[];
  accountId?: StringFilter[];
  resourceId?: StringFilter[];
  resourceType?: StringFilter[];
  resourceName?: StringFilter[];
  packageName?: StringFilter[];
  packageEcosystem?: StringFilter[];
  packageVersion?: StringFilter[];
  imageRegistry?: StringFilter[];
  imageRepository?: StringFilter[];
  imageTag?: StringFilter[];
  imageDigest?: StringFilter[];
  layer?: StringFilter[];
  status?: StringFilter[];
  severity?: StringFilter[];
  fixAvailable?: StringFilter[];
  exploited?: StringFilter[];
  findingType?: StringFilter[];
  score?: NumberFilter[];
  epss?: NumberFilter[];
  firstObservedAt?: DateFilter[];
  lastObservedAt?: DateFilter[];
  updatedAt?: DateFilter[];
  slaStatus?: StringFilter[];
  origin?: StringFilter[];
}

/** The resource a finding was found in. */
export interface ResourceRef {
  id: string;
  type: ResourceType;
  name: string;
  accountId: string;
  image?: { registry?: string; repository?: string; tags?: string[]; digest?: string };
  tags?: Record<string, string>;
}

/** One entry of a finding's history. */
export interface TimelineEntry {
  at: string;
  event: string;
  detail?: string;
}

/** A stored finding, as search returns it and the detail panel shows it. */
export interface StoredFinding {
  findingId: string;
  vulnerabilityId: string;
  aliases: string[];
  title: string;
  description?: string;
  status: FindingStatus;
  type: string;
  exploited?: boolean;
  severity: Severity;
  score: number;
  scoreSource?: string;
  /** Why the base is what it is (which source, and why that one). */
  scoreReason?: string;
  vendorSeverity?: { rating: string; source: string };
  cvss?: { version: string; vector: string; baseScore: number; source: string };
  adjustments: ScoreAdjustment[];
  epss?: { score: number; percentile: number };
  kev?: { dateAdded: string; dueDate?: string; knownRansomwareCampaignUse?: string };
  fixAvailable: FixAvailable;
  fixedVersion?: string;
  /** Absent on NETWORK_REACHABILITY findings. */
  package?: {
    name: string;
    version: string;
    ecosystem: string;
    purl?: string;
    source?: { name: string; version: string };
    layer?: string;
    locations?: string[];
  };
  resource: ResourceRef;
  accountId: string;
  /** Absent on NETWORK_REACHABILITY findings. */
  references?: string[];
  /** NETWORK_REACHABILITY findings: the open range, protocol and path (Inspector's shape). */
  networkReachabilityDetails?: NetworkReachabilityDetails;
  /** NETWORK_REACHABILITY findings: where the internet sends packets, and the processes listening. */
  publicAddresses?: string[];
  publicPortRange?: { begin: number; end: number };
  listeners?: { protocol: string; port: number; address: string; process?: string; pid?: number }[];
  services?: { service: string; category: string; severity: Severity }[];
  firstObservedAt: string;
  lastObservedAt: string;
  updatedAt: string;
  closedAt?: string;
  /** Remediation due date and SLA status (severities with an SLA). */
  dueAt?: string;
  slaStatus?: 'WITHIN' | 'DUE_SOON' | 'BREACHED';
  suppressedBy?: string;
  timeline?: TimelineEntry[];
  /** The resource's plan action that closes this finding (server-side logic, src/remediation/). */
  remediation?: FindingRemediation;
  /** For images with a known base: whether the package came with the base image. */
  origin?: 'BASE_IMAGE' | 'APPLICATION';
}

/** How the internet reaches a port: Inspector's `networkReachabilityDetails`. */
export interface NetworkReachabilityDetails {
  protocol: 'tcp' | 'udp' | 'all';
  openPortRange: { begin: number; end: number };
  networkPath: { steps: { componentId: string; componentType: string }[] };
}

/** Sort keys of finding search. */
export type FindingSortField = 'SCORE' | 'SEVERITY' | 'EPSS' | 'FIRST_OBSERVED_AT' | 'LAST_OBSERVED_AT';

/** One page of a finding search. */
export interface FindingPage {
  findings: StoredFinding[];
  nextToken?: string;
  /** Total matching findings, when the server counted them. */
  total?: number;
}

/** Finding counts per severity. */
export type SeverityCounts = Partial<Record<Severity, number>> & { total?: number };

/** One aggregation row. */
export interface AggregationRow {
  /** The group's main key value (vulnerability id, resource id, repository, …). */
  key: string;
  /** Every part of the group's key by name, as the server sent it (e.g. packageEcosystem and packageName). */
  keys?: Record<string, string>;
  /** Human-readable name of the key (an image's name, a package with its ecosystem), when it differs. */
  label?: string;
  /** A vulnerability's title. */
  title?: string;
  accountId?: string;
  severityCounts: SeverityCounts;
  affectedResources?: number;
  maxScore?: number;
  exploited?: number;
  /** Highest EPSS probability (the overview's "what to fix first" rows). */
  maxEpss?: number | null;
}

/** Sort keys of aggregation. */
export type AggregationSortField = 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW' | 'TOTAL' | 'AFFECTED_RESOURCES' | 'MAX_SCORE' | 'EXPLOITED';

/** The caller, as the server knows it from the key. */
export interface Principal {
  accountId: string;
  accountName?: string;
  role: 'admin' | 'viewer' | 'scanner';
  /** True for the delegated administrator, who reads across every account. */
  delegatedAdmin: boolean;
  keyId?: string;
}

/** An account of the organization. */
export interface Account {
  id: string;
  name: string;
  delegatedAdmin?: boolean;
  createdAt?: string;
}

/** An API key as listed (the secret is only returned once, at creation). */
export interface ApiKey {
  id: string;
  accountId: string;
  role: Principal['role'];
  name?: string;
  prefix?: string;
  createdAt: string;
  lastUsedAt?: string;
  revokedAt?: string;
}

/** VEX-style justifications a suppression rule may carry: the list the API validates. */
export { JUSTIFICATIONS } from '../../src/findings/justifications.js';
import type { Justification } from '../../src/findings/justifications.js';

/** A suppression rule. */
export interface SuppressionRule {
  id: string;
  name?: string;
  accountId?: string;
  criteria: FilterCriteria;
  reason: string;
  justification?: Justification;
  expiresAt?: string;
  state?: 'ACTIVE' | 'EXPIRED';
  createdAt: string;
  /** How many findings the rule suppresses now. */
  matchCount?: number;
  /** True when the rule matches nothing (a stale rule). */
  stale?: boolean;
}

/** Scan coverage of one resource. */
export interface CoverageEntry {
  resourceId: string;
  resourceType: ResourceType;
  name: string;
  accountId: string;
  status: 'ACTIVE' | 'INACTIVE';
  reason: string;
  /** What the last scan could not judge (an OS release without advisory data, end of life…), one line each; or why it failed. */
  detail?: string;
  lastScanAt?: string;
  severityCounts?: SeverityCounts;
}

/** One page of coverage. */
export interface CoveragePage {
  resources: CoverageEntry[];
  nextToken?: string;
  total?: number;
}

/** Month-to-date usage and cost of one account. */
export interface UsageEntry {
  accountId: string;
  month: string;
  hostHours: number;
  imageScans: number;
  imageRescans: number;
  cost: { hosts: number; imageScans: number; imageRescans: number; total: number; currency: string };
  projected: { hostHours: number; imageScans: number; imageRescans: number; total: number };
}

/** A container registry Vigil watches. */
export interface Registry {
  id: string;
  name?: string;
  url: string;
  accountId?: string;
  modes: string[];
  repositories?: { include: string[]; exclude: string[] };
  rescanWindow?: { kind: 'LIFETIME' | 'DAYS_SINCE_PUSH' | 'DAYS_SINCE_PULL'; days?: number };
  createdAt?: string;
  lastSyncAt?: string;
  lastSyncError?: string;
}

/** A webhook subscription. */
export interface Subscription {
  id: string;
  url: string;
  accountId?: string;
  eventTypes: string[];
  minimumSeverity?: Severity;
  createdAt?: string;
  enabled?: boolean;
}

/** One delivery attempt of a webhook. */
export interface Delivery {
  id: string;
  eventId: string;
  eventType: string;
  status: 'PENDING' | 'DELIVERED' | 'FAILED' | 'DEAD';
  attempts: number;
  responseStatus?: number;
  lastAttemptAt?: string;
  nextAttemptAt?: string;
  error?: string;
}

/** The overview's figures (served by the dashboard routes). */
export interface Overview {
  coverage: { byType: { type: ResourceType; active: number; inactive: number }[]; inactiveReasons: { reason: string; count: number }[] };
  severityCounts: SeverityCounts;
  exploited: number;
  fixable: number;
  riskiest: { images: AggregationRow[]; hosts: AggregationRow[]; repositories: AggregationRow[] };
  topVulnerabilities: AggregationRow[];
  generatedAt: string;
}

/** One day of the critical/high trend. */
export interface TrendPoint {
  date: string;
  CRITICAL: number;
  HIGH: number;
}

/** Mean time to remediate per severity, overall and per week. */
export interface Mttr {
  bySeverity: { severity: Severity; closed: number; meanDays: number | null }[];
  trend: ({ week: string } & Partial<Record<Severity, number | null>>)[];
}

/** A problem+json error from the API. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
  ) {
    super(detail ? `${title}: ${detail}` : title);
  }
}

/** Options for every call: the key and, for the delegated administrator, the account to narrow to. */
export interface ApiContext {
  key: string;
  /** Narrow reads to this account (delegated administrator only). */
  account?: string;
  signal?: AbortSignal;
}

const base = '/api/v1';

async function call<T>(ctx: ApiContext, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(base + path, {
    method,
    headers: {
      authorization: `Bearer ${ctx.key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: ctx.signal,
  });
  if (!res.ok) throw await toError(res);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

async function toError(res: Response): Promise<ApiError> {
  try {
    const p = (await res.json()) as { title?: string; detail?: string; message?: string };
    return new ApiError(res.status, p.title ?? res.statusText, p.detail ?? p.message);
  } catch {
    return new ApiError(res.status, res.statusText || `HTTP ${res.status}`);
  }
}

/** Adds the account narrowing to criteria (the delegated administrator's account switch). */
export function scoped(ctx: ApiContext, criteria: FilterCriteria): FilterCriteria {
  if (!ctx.account || criteria.accountId?.length) return criteria;
  return { ...criteria, accountId: [{ comparison: 'EQUALS', value: ctx.account }] };
}

function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** Who the key belongs to. */
export function whoami(ctx: ApiContext): Promise<Principal> {
  return call(ctx, 'GET', '/dashboard/session');
}

/** Searches findings: one server-side page, sorted. */
export function searchFindings(
  ctx: ApiContext,
  req: { filterCriteria: FilterCriteria; sort?: { field: FindingSortField; order: 'ASC' | 'DESC' }; maxResults?: number; nextToken?: string },
): Promise<FindingPage> {
  return call(ctx, 'POST', '/findings/search', {
    filterCriteria: scoped(ctx, req.filterCriteria),
    sortCriteria: req.sort ? { field: req.sort.field, sortOrder: req.sort.order } : undefined,
    maxResults: req.maxResults,
    nextToken: req.nextToken,
  });
}

/** Counts findings matching criteria. */
export async function countFindings(ctx: ApiContext, filterCriteria: FilterCriteria): Promise<number> {
  const r = await call<{ count: number }>(ctx, 'POST', '/dashboard/count', { filterCriteria: scoped(ctx, filterCriteria) });
  return r.count;
}

/** Active findings per severity of each resource (resources without any are absent). */
export async function resourceCounts(ctx: ApiContext, resourceIds: string[]): Promise<Record<string, SeverityCounts>> {
  const r = await call<{ counts: Record<string, SeverityCounts> }>(ctx, 'POST', '/dashboard/resource-counts', { resourceIds });
  return r.counts;
}

/** One finding with its timeline. */
export function getFinding(ctx: ApiContext, id: string): Promise<StoredFinding> {
  return call(ctx, 'GET', `/findings/${encodeURIComponent(id)}`);
}

/** An aggregation row as the server sends it. */
interface RawAggregationRow {
  key: Record<string, string>;
  labels?: Record<string, string | undefined>;
  counts: SeverityCounts;
  affectedResources: number;
  maxScore: number;
  exploited: number;
}

const MAIN_KEY: Record<AggregationType, string> = {
  VULNERABILITY: 'vulnerabilityId',
  PACKAGE: 'packageName',
  CONTAINER_IMAGE: 'resourceId',
  REPOSITORY: 'repository',
  IMAGE_LAYER: 'layer',
  HOST: 'resourceId',
  ACCOUNT: 'accountId',
  FINDING_TYPE: 'findingType',
  SEVERITY: 'severity',
  ORIGIN: 'origin',
  SLA_STATUS: 'slaStatus',
};

/** Turns a server row into the dashboard's row: one main key, a readable label. */
export function toAggregationRow(type: AggregationType, r: RawAggregationRow): AggregationRow {
  const main = r.key[MAIN_KEY[type]] ?? Object.values(r.key).join(' ');
  let label: string | undefined;
  if (type === 'PACKAGE') label = `${r.key.packageName} (${r.key.packageEcosystem})`;
  else if (type === 'REPOSITORY') label = r.key.registry ? `${r.key.registry}/${r.key.repository}` : r.key.repository;
  else if (type === 'VULNERABILITY') label = r.labels?.title;
  else if (type === 'IMAGE_LAYER') label = r.labels?.repository ? `${r.key.layer} (${r.labels.repository})` : undefined;
  else label = r.labels?.name;
  return {
    key: main,
    keys: r.key,
    label: type === 'VULNERABILITY' ? undefined : label,
    title: type === 'VULNERABILITY' ? label : undefined,
    severityCounts: r.counts,
    affectedResources: r.affectedResources,
    maxScore: r.maxScore,
    exploited: r.exploited,
  };
}

/** Aggregation rows for a group-by key. */
export async function aggregateFindings(
  ctx: ApiContext,
  req: { aggregationType: AggregationType; filterCriteria: FilterCriteria; sortBy?: AggregationSortField; sortOrder?: 'ASC' | 'DESC'; maxResults?: number; nextToken?: string },
): Promise<{ rows: AggregationRow[]; nextToken?: string }> {
  const r = await call<{ rows: RawAggregationRow[]; nextToken?: string }>(ctx, 'POST', '/findings/aggregate', { ...req, filterCriteria: scoped(ctx, req.filterCriteria) });
  return { rows: r.rows.map((row) => toAggregationRow(req.aggregationType, row)), nextToken: r.nextToken };
}

/** Downloads the findings report of a filter as CSV or JSON (the server streams it). */
export async function exportFindings(ctx: ApiContext, filterCriteria: FilterCriteria, format: 'csv' | 'json'): Promise<Blob> {
  const res = await fetch(`${base}/findings/export`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ctx.key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ filterCriteria: scoped(ctx, filterCriteria), format }),
  });
  if (!res.ok) throw await toError(res);
  return res.blob();
}

/** Accounts visible to the caller. */
export function listAccounts(ctx: ApiContext): Promise<Account[]> {
  return call<{ accounts: Account[] }>(ctx, 'GET', '/accounts').then((r) => r.accounts);
}

/** API keys visible to the caller (admins). */
export function listKeys(ctx: ApiContext): Promise<ApiKey[]> {
  return call<{ keys: ApiKey[] }>(ctx, 'GET', `/keys${query({ accountId: ctx.account })}`).then((r) => r.keys);
}

/** Creates a key; the secret is in the answer only. */
export function createKey(ctx: ApiContext, req: { accountId: string; role: Principal['role']; name?: string }): Promise<{ key: string; info: ApiKey }> {
  return call(ctx, 'POST', '/keys', req);
}

/** Revokes a key. */
export function revokeKey(ctx: ApiContext, id: string): Promise<void> {
  return call(ctx, 'DELETE', `/keys/${encodeURIComponent(id)}`);
}

/** Suppression rules visible to the caller, with the rules that match nothing flagged stale. */
export async function listRules(ctx: ApiContext): Promise<SuppressionRule[]> {
  const [all, unused] = await Promise.all([
    call<{ rules: SuppressionRule[] }>(ctx, 'GET', '/suppression-rules'),
    call<{ rules: SuppressionRule[] }>(ctx, 'GET', '/suppression-rules/unused'),
  ]);
  const stale = new Set(unused.rules.map((r) => r.id));
  const rules = all.rules.map((r) => ({ ...r, stale: stale.has(r.id) }));
  // The account switch narrows the list to that account's rules and the organization's.
  return ctx.account ? rules.filter((r) => !r.accountId || r.accountId === ctx.account) : rules;
}

/** Where a rule applies: one account, or the whole organization (delegated administrator). */
export interface RuleScope {
  scope: 'ACCOUNT' | 'ORGANIZATION';
  accountId?: string;
}

/** How many active findings a draft rule would suppress now, and the first of them. */
export function previewRule(ctx: ApiContext, filterCriteria: FilterCriteria, where: RuleScope): Promise<{ count: number; findingIds: string[] }> {
  return call(ctx, 'POST', '/suppression-rules/preview', { filterCriteria, ...where });
}

/** Creates a suppression rule; answers with the rule and how many findings it suppressed. */
export function createRule(
  ctx: ApiContext,
  req: RuleScope & { name: string; filterCriteria: FilterCriteria; reason: string; justification?: string; expiresAt?: string },
): Promise<{ rule: SuppressionRule; suppressed: number }> {
  return call(ctx, 'POST', '/suppression-rules', req);
}

/** Edits a suppression rule (scope and account stay); `null` clears the justification or expiry. */
export function updateRule(
  ctx: ApiContext,
  id: string,
  changes: { name?: string; filterCriteria?: FilterCriteria; reason?: string; justification?: string | null; expiresAt?: string | null },
): Promise<{ rule: SuppressionRule; restored: number; suppressed: number }> {
  return call(ctx, 'PATCH', `/suppression-rules/${encodeURIComponent(id)}`, changes);
}

/** Deletes a suppression rule; its findings return to ACTIVE. */
export function deleteRule(ctx: ApiContext, id: string): Promise<{ deleted: string; restored: number }> {
  return call(ctx, 'DELETE', `/suppression-rules/${encodeURIComponent(id)}`);
}

/** Resources with their coverage, one page (by resource id). */
export async function listCoverage(
  ctx: ApiContext,
  req: { resourceType?: string; status?: string; reason?: string; accountId?: string; maxResults?: number; nextToken?: string },
): Promise<CoveragePage> {
  const { maxResults, nextToken, ...filters } = req;
  const r = await call<{ coverage: CoverageEntry[]; nextCursor?: string }>(
    ctx,
    'GET',
    `/coverage${query({ ...filters, accountId: req.accountId ?? ctx.account, limit: maxResults, cursor: nextToken })}`,
  );
  return { resources: r.coverage, nextToken: r.nextCursor };
}

/** Coverage counts by resource type, account and reason. */
export function coverageStatistics(ctx: ApiContext): Promise<{ total: number; byStatus: Record<string, number>; groups: { resourceType: string; accountId: string; status: string; reason: string; count: number }[] }> {
  return call(ctx, 'GET', `/coverage/statistics${query({ accountId: ctx.account })}`);
}

/** Month-to-date usage and projected cost per account. */
export function getUsage(ctx: ApiContext): Promise<UsageEntry[]> {
  return call<{ accounts: UsageEntry[] }>(ctx, 'GET', `/usage${query({ accountId: ctx.account })}`).then((r) => r.accounts);
}

/** A resource as `GET /resources/{id}` answers. */
export interface ResourceInfo {
  id: string;
  accountId: string;
  type: string;
  name: string;
  image?: { registry?: string; repository?: string; digest?: string; tags: string[] };
  tags: Record<string, string>;
  os?: string;
  createdAt: string;
  lastScanAt?: string;
  lastScanStatus?: string;
  inventoryVersion: number;
  /** A host's containers, each with the image resources it runs. */
  runningImages?: RunningImage[];
  /** The hosts an image runs on. */
  runsOn?: RunsOn[];
  /** An image's reachability, from the hosts it runs on. */
  reachability?: { internetReachable: boolean; reason: string };
}

/** A port a container publishes on its host. */
export interface PublishedPort {
  protocol: 'tcp' | 'udp';
  hostPort: number;
  containerPort: number;
  hostIp?: string;
}

/** A container a host records. */
export interface RunningImage {
  containerId: string;
  name?: string;
  image: string;
  running: boolean;
  hostNetwork: boolean;
  ports: PublishedPort[];
  runtime: string;
  resources: { id: string; name: string }[];
}

/** A host and container an image runs on. */
export interface RunsOn {
  hostId: string;
  hostName: string;
  containerId: string;
  containerName?: string;
  running: boolean;
  ports: PublishedPort[];
}

/** One package of a stored inventory. */
export interface InventoryPackage {
  ecosystem: string;
  name: string;
  version: string;
  purl?: string;
  locations?: string[];
  layer?: string;
}

/** One resource. */
export function getResource(ctx: ApiContext, id: string): Promise<ResourceInfo> {
  return call(ctx, 'GET', `/resources/${encodeURIComponent(id)}`);
}

/** The packages of a resource's latest stored inventory (none when it has no inventory yet). */
export async function latestPackages(ctx: ApiContext, id: string): Promise<InventoryPackage[]> {
  try {
    const inv = await call<{ packages?: InventoryPackage[] }>(ctx, 'GET', `/resources/${encodeURIComponent(id)}/inventories/latest`);
    return inv.packages ?? [];
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return [];
    throw err;
  }
}

/** Where a resource's SBOM is downloaded from, in CycloneDX or SPDX. */
export function sbomUrl(id: string, format: 'cyclonedx' | 'spdx'): string {
  return `${base}/resources/${encodeURIComponent(id)}/sbom?format=${format}`;
}

/** Downloads a resource's SBOM with the session's key (a plain link cannot send it). */
export async function downloadSbom(ctx: ApiContext, id: string, format: 'cyclonedx' | 'spdx'): Promise<Blob> {
  const res = await fetch(sbomUrl(id, format), { headers: { authorization: `Bearer ${ctx.key}` }, signal: ctx.signal });
  if (!res.ok) throw await toError(res);
  return res.blob();
}

/** Creates an account (delegated administrator). */
export function createAccount(ctx: ApiContext, req: { id: string; name?: string }): Promise<Account> {
  return call(ctx, 'POST', '/accounts', req);
}

/** What the registry form sends. */
export interface RegistryInput {
  url: string;
  name?: string;
  accountId?: string;
  modes: ('ON_PUSH' | 'SCHEDULED_SYNC')[];
  repositories?: { include: string[]; exclude: string[] };
  rescanWindow?: { kind: 'LIFETIME' } | { kind: 'DAYS_SINCE_PUSH' | 'DAYS_SINCE_PULL'; days: number };
  credentials?: { username: string; password: string };
}

/** Watches a registry; the notification token and config block come back once. */
export function createRegistry(ctx: ApiContext, req: RegistryInput): Promise<{ registry: Registry; notificationToken: string; notificationUrl: string; registryConfig: string }> {
  return call(ctx, 'POST', '/registries', req);
}

/** Subscribes a webhook; the signing secret comes back once. */
export function createSubscription(
  ctx: ApiContext,
  req: { url: string; eventTypes: string[]; filters?: { minSeverity?: Severity }; description?: string },
): Promise<{ subscription: Subscription; secret: string }> {
  return call(ctx, 'POST', '/subscriptions', req);
}

/** Registries. */
export function listRegistries(ctx: ApiContext): Promise<Registry[]> {
  return call<{ registries: Registry[] }>(ctx, 'GET', `/registries${query({ accountId: ctx.account })}`).then((r) => r.registries);
}

/** Webhook subscriptions. */
export function listSubscriptions(ctx: ApiContext): Promise<Subscription[]> {
  return call<{ subscriptions: Subscription[] }>(ctx, 'GET', `/subscriptions${query({ accountId: ctx.account })}`).then((r) => r.subscriptions);
}

/** The delivery log of a subscription. */
export function listDeliveries(ctx: ApiContext, subscriptionId: string): Promise<Delivery[]> {
  return call<{ deliveries: Delivery[] }>(ctx, 'GET', `/subscriptions/${encodeURIComponent(subscriptionId)}/deliveries`).then((r) => r.deliveries);
}

/** Sends a delivery again. */
export function redeliver(ctx: ApiContext, subscriptionId: string, deliveryId: string): Promise<void> {
  return call(ctx, 'POST', `/subscriptions/${encodeURIComponent(subscriptionId)}/deliveries/${encodeURIComponent(deliveryId)}/redeliver`);
}

/** The overview's figures. */
export function getOverview(ctx: ApiContext): Promise<Overview> {
  return call(ctx, 'GET', `/dashboard/overview${query({ accountId: ctx.account })}`);
}

/** Daily open critical and high findings over the last `days` days. */
export function getTrend(ctx: ApiContext, days = 30): Promise<TrendPoint[]> {
  return call<{ points: TrendPoint[] }>(ctx, 'GET', `/dashboard/trend${query({ accountId: ctx.account, days })}`).then((r) => r.points);
}

/** Mean time to remediate. */
export function getMttr(ctx: ApiContext, weeks = 12): Promise<Mttr> {
  return call(ctx, 'GET', `/dashboard/mttr${query({ accountId: ctx.account, weeks })}`);
}

/** The URL of the event stream (read with fetch so the key travels in a header, not the URL). */
export const eventStreamPath = `${base}/events/stream`;

/** GET of any API path (below /api/v1), for modules that keep their own calls (web/src/remediation.ts). */
export function getJson<T>(ctx: ApiContext, path: string): Promise<T> {
  return call(ctx, 'GET', path);
}

/** Remediation SLA policy: days to remediate per severity, with account overrides. */
export interface SlaPolicy {
  days: Record<'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW', number>;
  dueSoonDays: number;
  accounts: Record<string, Partial<Record<'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW', number>>>;
}

/** One severity of one account in a compliance report. */
export interface ComplianceSeverity {
  severity: Severity;
  opened: number;
  closed: number;
  closedPastSla: number;
  mttrDays: number | null;
  openPastSla: Record<'1-30' | '31-60' | '61-90' | '>90', number> & { total: number };
  openWithinSla: number;
}

/** Scan cadence of one resource. */
export interface ResourceCadence {
  resourceId: string;
  accountId: string;
  type: string;
  name: string;
  lastScannedAt?: string;
  scansInPeriod: number;
}

/** The compliance figures of a period (GET /compliance). */
export interface ComplianceReport {
  period: { from: string; to: string };
  generatedAt: string;
  asOf: string;
  policy: SlaPolicy;
  accounts: { accountId: string; name: string; slaDays: Record<string, number>; severities: ComplianceSeverity[] }[];
  scanCoverage: { resources: number; scannedInPeriod: number; notScannedInPeriod: ResourceCadence[]; cadence: ResourceCadence[] };
  controls: { framework: string; id: string; requirement: string; evidence: string[]; reference: string; note?: string }[];
}

/** The SLA policy. */
export function getSlaPolicy(ctx: ApiContext): Promise<SlaPolicy> {
  return call(ctx, 'GET', '/sla-policy');
}

/** Replaces the SLA policy (delegated administrator). */
export function putSlaPolicy(ctx: ApiContext, policy: SlaPolicy): Promise<SlaPolicy> {
  return call(ctx, 'PUT', '/sla-policy', policy);
}

/** Compliance figures from `from` to `to` (dates, `to` exclusive). */
export function getCompliance(ctx: ApiContext, from: string, to: string): Promise<ComplianceReport> {
  return call(ctx, 'GET', `/compliance${query({ from, to, accountId: ctx.account })}`);
}

/** Downloads the printable compliance report. */
export async function downloadComplianceReport(ctx: ApiContext, from: string, to: string, format: 'html' | 'pdf'): Promise<Blob> {
  const res = await fetch(`${base}/reports/compliance${query({ from, to, format, accountId: ctx.account })}`, { headers: { authorization: `Bearer ${ctx.key}` } });
  if (!res.ok) throw await toError(res);
  return res.blob();
}
