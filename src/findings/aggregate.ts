/**
 * Finding aggregation: counts per severity, affected resources, maximum score and
 * exploited count, grouped by vulnerability, package, image, repository, layer, host,
 * account, finding type or severity; filterable like search, sortable by any metric.
 * This is what "riskiest images" and "top vulnerabilities" are made of.
 */
import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { Db } from '../db/connect.js';
import { criteriaSql, isEmptyCriteria, type FilterCriteria } from './criteria.js';
import { SEVERITIES } from './model.js';
import { scopeSql, type AccountScope } from './scope.js';
import { slaClock, slaStatusCaseSql, type SlaClock } from './sla.js';
import { SLA_SUMMARY_TABLE } from './sla-summary.js';
import { GROUP_SEVERITY_COLUMNS, activeOnlyRest, isResourceLevel, refreshSummary, type GroupKind } from './summary.js';

/** What findings can be grouped by. */
export const AGGREGATION_TYPES = ['VULNERABILITY', 'PACKAGE', 'CONTAINER_IMAGE', 'REPOSITORY', 'IMAGE_LAYER', 'HOST', 'ACCOUNT', 'FINDING_TYPE', 'SEVERITY', 'ORIGIN', 'SLA_STATUS'] as const;
/** A grouping. */
export type AggregationType = (typeof AGGREGATION_TYPES)[number];

/** Metrics a result can be sorted by. */
export const AGGREGATION_SORTS = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNTRIAGED', 'TOTAL', 'AFFECTED_RESOURCES', 'MAX_SCORE', 'EXPLOITED'] as const;
/** A sortable metric. */
export type AggregationSort = (typeof AGGREGATION_SORTS)[number];

interface Grouping {
  /** Output key name → SQL expression. */
  keys: Record<string, RawBuilder<unknown>>;
  /** Extra descriptive columns (not grouped by; one value per group). */
  labels?: Record<string, RawBuilder<unknown>>;
  /** Rows this grouping considers. */
  filter?: RawBuilder<SqlBool>;
}

const ref = (c: string) => sql.ref(`findings.${c}`);

const GROUPINGS: Record<Exclude<AggregationType, 'SLA_STATUS'>, Grouping> = {
  VULNERABILITY: { keys: { vulnerabilityId: ref('vulnerability_id') }, labels: { title: sql`max(findings.title)` } },
  PACKAGE: { keys: { packageEcosystem: ref('package_ecosystem'), packageName: ref('package_name') } },
  CONTAINER_IMAGE: {
    keys: { resourceId: ref('resource_id') },
    labels: { name: sql`max(findings.resource_name)`, registry: sql`max(findings.image_registry)`, repository: sql`max(findings.image_repository)`, digest: sql`max(findings.image_digest)` },
    filter: sql<SqlBool>`findings.resource_type = 'CONTAINER_IMAGE'`,
  },
  // Image repositories (registry + repository), and code repositories by name.
  REPOSITORY: {
    keys: {
      registry: sql`CASE WHEN findings.resource_type = 'CONTAINER_IMAGE' THEN coalesce(findings.image_registry, '') ELSE '' END`,
      repository: sql`CASE WHEN findings.resource_type = 'CONTAINER_IMAGE' THEN findings.image_repository ELSE findings.resource_name END`,
    },
    filter: sql<SqlBool>`((findings.resource_type = 'CONTAINER_IMAGE' AND findings.image_repository IS NOT NULL) OR findings.resource_type = 'REPOSITORY')`,
  },
  IMAGE_LAYER: { keys: { layer: ref('layer') }, labels: { repository: sql`max(findings.image_repository)` }, filter: sql<SqlBool>`findings.layer IS NOT NULL` },
  HOST: { keys: { resourceId: ref('resource_id') }, labels: { name: sql`max(findings.resource_name)` }, filter: sql<SqlBool>`findings.resource_type = 'HOST'` },
  ACCOUNT: { keys: { accountId: ref('account_id') } },
  FINDING_TYPE: { keys: { findingType: ref('type') } },
  SEVERITY: { keys: { severity: ref('severity') } },
  // Base image or application layers, for images whose base is known (findings.origin).
  ORIGIN: { keys: { origin: ref('origin') }, filter: sql<SqlBool>`findings.origin IS NOT NULL` },
};

/** The grouping of a request: SLA status is judged against the policy and the clock (over open findings only, for the SLA summary). */
function groupingOf(type: AggregationType, sla: SlaClock, source: Source): Grouping {
  if (type !== 'SLA_STATUS') return GROUPINGS[type];
  // Only LOW to CRITICAL findings have an SLA.
  return { keys: { slaStatus: slaStatusCaseSql(sla, { open: source.from === 'sla-summary' }) }, filter: sql<SqlBool>`findings.severity_rank >= 2` };
}

/** An aggregation request. */
export interface AggregateRequest {
  type: AggregationType;
  criteria: FilterCriteria;
  sortBy?: AggregationSort;
  sortOrder?: 'ASC' | 'DESC';
  limit: number;
  /** The SLA policy and time to judge SLA status at (default: the stored policy, now). */
  sla?: SlaClock;
  /** `nextToken` of the previous page. */
  nextToken?: string;
}

/** One group. */
export interface AggregateRow {
  key: Record<string, string>;
  labels?: Record<string, string | undefined>;
  counts: Record<(typeof SEVERITIES)[number], number> & { total: number };
  affectedResources: number;
  maxScore: number;
  exploited: number;
}

/** One page of groups. */
export interface AggregatePage {
  type: AggregationType;
  rows: AggregateRow[];
  nextToken?: string;
}

const SORT_EXPR: Record<AggregationSort, string> = {
  CRITICAL: 'c_critical',
  HIGH: 'c_high',
  MEDIUM: 'c_medium',
  LOW: 'c_low',
  INFORMATIONAL: 'c_informational',
  UNTRIAGED: 'c_untriaged',
  TOTAL: 'c_total',
  AFFECTED_RESOURCES: 'affected_resources',
  MAX_SCORE: 'max_score',
  EXPLOITED: 'exploited_count',
};

/** Groupings the resource summary answers (their keys, labels and filters are resource columns or the severity). */
const RESOURCE_GROUPINGS = new Set<AggregationType>(['CONTAINER_IMAGE', 'HOST', 'REPOSITORY', 'ACCOUNT', 'SEVERITY']);
/** Groupings kept organization-wide in the group summary. */
const GROUP_SUMMARY_KINDS: Partial<Record<AggregationType, GroupKind>> = { VULNERABILITY: 'VULNERABILITY' };

/** Where an aggregation reads its groups from. */
type Source = { from: 'findings' } | { from: 'resource-summary'; criteria: FilterCriteria } | { from: 'group-summary'; kind: GroupKind } | { from: 'sla-summary'; criteria: FilterCriteria };

/** Criteria fields the SLA summary holds under the findings' column names. */
const SLA_SUMMARY_FIELDS = new Set<string>(['accountId', 'severity']);

/**
 * The summary that answers this aggregation exactly, if any: only ACTIVE findings, and
 * only criteria the summary can evaluate (resource-level fields for the resource summary,
 * none for the organization-wide group summary).
 */
function sourceOf(scope: AccountScope, type: AggregationType, criteria: FilterCriteria): Source {
  const rest = activeOnlyRest(criteria);
  if (!rest) return { from: 'findings' };
  if (RESOURCE_GROUPINGS.has(type) && isResourceLevel(rest)) return { from: 'resource-summary', criteria: rest };
  if (type === 'SLA_STATUS' && Object.keys(rest).every((k) => SLA_SUMMARY_FIELDS.has(k))) return { from: 'sla-summary', criteria: rest };
  const kind = GROUP_SUMMARY_KINDS[type];
  if (kind && scope === 'ALL' && isEmptyCriteria(rest)) return { from: 'group-summary', kind };
  return { from: 'findings' };
}

/** Options of {@link aggregateFindings}. */
export interface AggregateOptions {
  /** Read the summaries when they answer the request (default true); false always scans the findings. */
  useSummary?: boolean;
}

/**
 * Groups the findings matching the criteria. Without a status filter only ACTIVE
 * findings count (suppressed and closed ones are not open risk). Requests the findings
 * summary answers (ACTIVE only, criteria on resource properties, or organization-wide
 * without criteria) read it instead of the findings, and SLA_STATUS of ACTIVE findings
 * (criteria on account or severity at most) reads the SLA summary; the figures are identical.
 */
export async function aggregateFindings(db: Db, scope: AccountScope, req: AggregateRequest, opts: AggregateOptions = {}): Promise<AggregatePage> {
  const sla = req.sla ?? (await slaClock(db));
  const criteria: FilterCriteria = req.criteria.status?.length ? req.criteria : { ...req.criteria, status: [{ comparison: 'EQUALS', value: 'ACTIVE' }] };
  const source: Source = opts.useSummary === false ? { from: 'findings' } : sourceOf(scope, req.type, criteria);
  const g = groupingOf(req.type, sla, source);
  if (source.from !== 'findings') await refreshSummary(db);
  const offset = req.nextToken ? decodeToken(req.nextToken) : 0;
  const keyNames = Object.keys(g.keys);
  const labelNames = Object.keys(g.labels ?? {});
  const sortCol = sql.ref(SORT_EXPR[req.sortBy ?? 'CRITICAL']);
  const dir = req.sortOrder === 'ASC' ? sql`ASC` : sql`DESC`;
  // Ties fall back to the other severities, then the key, so pages are stable.
  const tiebreak = req.sortBy && req.sortBy !== 'CRITICAL' ? sql`, c_critical DESC` : sql``;
  const order = sql.join(keyNames.map((_, i) => sql`${sql.ref(`k${i}`)} ASC`));
  const groups = groupsQuery(db, scope, g, criteria, source, sla);
  const query = sql<Record<string, string | number | null>>`
    SELECT * FROM (${groups}) AS grouped
    ORDER BY ${sortCol} ${dir}${tiebreak}, c_high DESC, c_total DESC, ${order}
    LIMIT ${req.limit + 1} OFFSET ${offset}`;
  const result = await query.execute(db.kysely);
  const rows = result.rows.slice(0, req.limit).map((r) => {
    const counts = Object.fromEntries(SEVERITIES.map((s) => [s, Number(r[`c_${s.toLowerCase()}`] ?? 0)])) as AggregateRow['counts'];
    counts.total = Number(r.c_total);
    const row: AggregateRow = {
      key: Object.fromEntries(keyNames.map((k, i) => [k, String(r[`k${i}`] ?? '')])),
      counts,
      affectedResources: Number(r.affected_resources),
      maxScore: Number(r.max_score),
      exploited: Number(r.exploited_count ?? 0),
    };
    if (labelNames.length) row.labels = Object.fromEntries(labelNames.map((k, i) => [k, r[`l${i}`] === null ? undefined : String(r[`l${i}`])]));
    return row;
  });
  return { type: req.type, rows, nextToken: result.rows.length > req.limit ? encodeToken(offset + req.limit) : undefined };
}

/** One row per group with keys k0…, labels l0…, c_<severity>, c_total, affected_resources, max_score, exploited_count. */
function groupsQuery(db: Db, scope: AccountScope, g: Grouping, criteria: FilterCriteria, source: Source, sla: SlaClock): RawBuilder<unknown> {
  const keyNames = Object.keys(g.keys);
  const labelNames = Object.keys(g.labels ?? {});
  if (source.from === 'group-summary') {
    // k1 (and k2 for two-part keys) in key order; the one label, when the grouping has one.
    const keys = keyNames.map((_, i) => sql`${sql.ref(`k${i + 1}`)} AS ${sql.ref(`k${i}`)}`);
    const labels = labelNames.map((_, i) => sql`label AS ${sql.ref(`l${i}`)}`);
    const sev = SEVERITIES.map((s) => sql`${sql.ref(GROUP_SEVERITY_COLUMNS[s])} AS ${sql.ref(`c_${s.toLowerCase()}`)}`);
    return sql`SELECT ${sql.join([...keys, ...labels, ...sev])}, total AS c_total, affected_resources, max_score, exploited AS exploited_count
      FROM finding_group_summary WHERE kind = ${source.kind}`;
  }
  const keyCols = keyNames.map((k, i) => sql`${g.keys[k]} AS ${sql.ref(`k${i}`)}`);
  const labelCols = labelNames.map((k, i) => sql`${g.labels![k]} AS ${sql.ref(`l${i}`)}`);
  const groupBy = sql.join(keyNames.map((_, i) => sql.ref(`k${i}`)));
  if (source.from === 'sla-summary') {
    // Per status and resource first, then per status: counting the resources of a status is
    // then a count of rows, which both dialects hash, where count(DISTINCT) sorts.
    const where = sql<SqlBool>`${scopeSql(scope, 'findings.account_id')} AND ${criteriaSql(source.criteria, db.dialect)}${g.filter ? sql` AND ${g.filter}` : sql``}`;
    const perResource = SEVERITIES.map((s) => sql`sum(CASE WHEN findings.severity = ${s} THEN findings.finding_count ELSE 0 END) AS ${sql.ref(`c_${s.toLowerCase()}`)}`);
    const sevCols = SEVERITIES.map((s) => sql`sum(${sql.ref(`c_${s.toLowerCase()}`)}) AS ${sql.ref(`c_${s.toLowerCase()}`)}`);
    return sql`SELECT ${sql.join([...keyNames.map((_, i) => sql.ref(`k${i}`)), ...sevCols])},
        sum(c_total) AS c_total,
        count(*) AS affected_resources,
        max(max_score) AS max_score,
        sum(exploited_count) AS exploited_count
      FROM (
        SELECT ${sql.join([...keyCols, ...perResource])}, findings.resource_id,
          sum(findings.finding_count) AS c_total, max(findings.max_score) AS max_score, sum(findings.exploited) AS exploited_count
        FROM ${sql.table(SLA_SUMMARY_TABLE)} AS findings
        WHERE ${where}
        GROUP BY ${groupBy}, findings.resource_id
      ) AS per_resource
      GROUP BY ${groupBy}`;
  }
  if (source.from === 'resource-summary') {
    // The summary is aliased "findings" and has the columns the groupings and resource-level criteria name.
    const table = sql.table('finding_resource_summary');
    const where = sql<SqlBool>`${scopeSql(scope, 'findings.account_id')} AND ${criteriaSql(source.criteria, db.dialect)}${g.filter ? sql` AND ${g.filter}` : sql``}`;
    const sevCols = SEVERITIES.map((s) => sql`sum(CASE WHEN findings.severity = ${s} THEN findings.finding_count ELSE 0 END) AS ${sql.ref(`c_${s.toLowerCase()}`)}`);
    return sql`SELECT ${sql.join([...keyCols, ...labelCols, ...sevCols])},
        sum(findings.finding_count) AS c_total,
        count(DISTINCT findings.resource_id) AS affected_resources,
        max(findings.max_score) AS max_score,
        sum(findings.exploited) AS exploited_count
      FROM ${table} AS findings
      WHERE ${where}
      GROUP BY ${groupBy}`;
  }
  const where = sql<SqlBool>`${scopeSql(scope, 'findings.account_id')} AND ${criteriaSql(criteria, db.dialect, sla)}${g.filter ? sql` AND ${g.filter}` : sql``}`;
  const sevCols = SEVERITIES.map((s) => sql`sum(CASE WHEN findings.severity = ${s} THEN 1 ELSE 0 END) AS ${sql.ref(`c_${s.toLowerCase()}`)}`);
  return sql`SELECT ${sql.join([...keyCols, ...labelCols, ...sevCols])},
      count(*) AS c_total,
      count(DISTINCT findings.resource_id) AS affected_resources,
      max(findings.score) AS max_score,
      sum(findings.exploited) AS exploited_count
    FROM findings
    WHERE ${where}
    GROUP BY ${groupBy}`;
}

/** Largest offset a token may carry: far beyond any number of groups a page walk reaches. */
const MAX_OFFSET = 1_000_000_000;

function encodeToken(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset })).toString('base64url');
}

function decodeToken(token: string): number {
  try {
    const { o } = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { o: number };
    // Offsets beyond any real result are not ours (and overflow the SQL integer).
    if (Number.isSafeInteger(o) && o >= 0 && o <= MAX_OFFSET) return o;
  } catch {
    // fall through
  }
  throw new Error('nextToken is not one this server issued');
}
