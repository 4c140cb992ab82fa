/**
 * Finding search: filter criteria, a sort, and keyset (cursor) pagination over the
 * denormalised columns, so a page costs an index range read however deep it is.
 */
import { sql, type RawBuilder, type SqlBool } from 'kysely';
import { z } from 'zod';
import type { Db } from '../db/connect.js';
import type { FindingsTable } from '../db/schema.js';
import type { Finding as ScanFinding } from '../matching/types.js';
import type { NetworkFindingDetail } from '../network/server/findings.js';
import { criteriaSql, type FilterCriteria } from './criteria.js';
import { FINDING_STATUSES, iso, type FindingStatus, type ResourceType } from './model.js';
import { scopeSql, type AccountScope } from './scope.js';
import { admittedStatuses, findingSla, slaClock, slaStatusBranches, type SlaClock, type SlaStatus } from './sla.js';
import { activeOnlyRest, isResourceLevel, refreshSummary } from './summary.js';

/** Sort fields, with Inspector's names accepted as aliases. */
export const SORT_FIELDS = ['SCORE', 'SEVERITY', 'EPSS', 'FIRST_OBSERVED_AT', 'LAST_OBSERVED_AT', 'UPDATED_AT'] as const;
/** A sort field. */
export type SortField = (typeof SORT_FIELDS)[number];
const SORT_ALIASES: Record<string, SortField> = { INSPECTOR_SCORE: 'SCORE', EPSS_SCORE: 'EPSS' };

/** The sort of a search. */
export const sortCriteriaSchema = z
  .object({
    field: z.string().transform((v, ctx) => {
      const f = SORT_ALIASES[v] ?? v;
      if (!(SORT_FIELDS as readonly string[]).includes(f)) {
        ctx.addIssue({ code: 'custom', message: `sort field must be one of ${SORT_FIELDS.join(', ')}; got ${v}` });
        return z.NEVER;
      }
      return f as SortField;
    }),
    sortOrder: z.enum(['ASC', 'DESC']).default('DESC'),
  })
  .strict();
/** The sort of a search. */
export type SortCriteria = z.output<typeof sortCriteriaSchema>;

/** The columns each sort orders by; the last is always the id, which breaks ties. */
const SORT_COLUMNS: Record<SortField, (keyof FindingsTable)[]> = {
  SCORE: ['score', 'id'],
  SEVERITY: ['severity_rank', 'score', 'id'],
  EPSS: ['epss_rank', 'id'],
  FIRST_OBSERVED_AT: ['first_observed_at', 'id'],
  LAST_OBSERVED_AT: ['last_observed_at', 'id'],
  UPDATED_AT: ['updated_at', 'id'],
};

/** What every finding shows: its identity, resource, account, state and dates. */
interface ApiFindingBase {
  /** The finding's own id. */
  findingId: string;
  status: FindingStatus;
  accountId: string;
  vulnerabilityId: string;
  title: string;
  severity: ScanFinding['severity'];
  score: number;
  exploited: boolean;
  resource: { id: string; type: ResourceType; name: string; image?: { registry?: string; repository?: string; digest?: string } };
  suppressedBy?: string;
  firstObservedAt: string;
  lastObservedAt: string;
  updatedAt: string;
  closedAt?: string;
  /** When the SLA policy wants it remediated (severities with an SLA only). */
  dueAt?: string;
  /** WITHIN, DUE_SOON or BREACHED at the time of the request (severities with an SLA only). */
  slaStatus?: SlaStatus;
}

/**
 * A port of a host the internet reaches where a process listens: its open range, protocol
 * and path (Inspector's `networkReachabilityDetails`), the listening processes and the
 * recognised services that rate it. `vulnerabilityId` is `PROTOCOL/PORTS` (`tcp/22`).
 */
export interface NetworkApiFinding extends ApiFindingBase, Omit<NetworkFindingDetail, 'title' | 'severity'> {
  type: 'NETWORK_REACHABILITY';
  fixAvailable: 'NO';
  /** Empty: an exposure has no advisory aliases. */
  aliases: string[];
  // Package-finding fields a network finding never has, so code reading them from either kind type-checks.
  package?: never;
  epss?: never;
  kev?: never;
  fixedVersion?: never;
}

/** A finding as the API shows it: a package vulnerability or a network exposure. */
export type ApiFinding = PackageApiFinding | NetworkApiFinding;

/** A package vulnerability as the API shows it: what `vigil scan` reports plus resource, account and state. */
export interface PackageApiFinding extends Omit<ScanFinding, 'id'>, ApiFindingBase {
  type: 'PACKAGE_VULNERABILITY';
  /** For an image whose base is known: whether the package came with the base image. */
  origin?: 'BASE_IMAGE' | 'APPLICATION';
}

/** Converts a stored row to the API form. */
export function toApiFinding(row: FindingsTable, sla?: SlaClock): ApiFinding {
  const due = sla
    ? findingSla({ accountId: row.account_id, severity: row.severity, firstObservedAt: Number(row.first_observed_at), closedAt: row.closed_at === null ? null : Number(row.closed_at) }, sla)
    : undefined;
  const dueFields = due ? { dueAt: iso(due.dueAt), slaStatus: due.slaStatus } : {};
  if (row.type === 'NETWORK_REACHABILITY') return { ...toNetworkApiFinding(row), ...dueFields };
  const { id: vulnerabilityId, ...detail } = JSON.parse(row.detail) as ScanFinding;
  return {
    findingId: row.id,
    type: 'PACKAGE_VULNERABILITY',
    status: row.status as FindingStatus,
    accountId: row.account_id,
    vulnerabilityId,
    ...detail,
    exploited: row.exploited === 1,
    resource: {
      id: row.resource_id,
      type: row.resource_type as ResourceType,
      name: row.resource_name,
      ...(row.resource_type === 'CONTAINER_IMAGE'
        ? { image: { registry: row.image_registry ?? undefined, repository: row.image_repository ?? undefined, digest: row.image_digest ?? undefined } }
        : {}),
    },
    suppressedBy: row.suppressed_by ?? undefined,
    ...(row.origin ? { origin: row.origin as 'BASE_IMAGE' | 'APPLICATION' } : {}),
    firstObservedAt: iso(row.first_observed_at)!,
    lastObservedAt: iso(row.last_observed_at)!,
    updatedAt: iso(row.updated_at)!,
    closedAt: iso(row.closed_at),
    ...dueFields,
  };
}

function resourceOf(row: FindingsTable): ApiFindingBase['resource'] {
  return { id: row.resource_id, type: row.resource_type as ResourceType, name: row.resource_name };
}

function toNetworkApiFinding(row: FindingsTable): NetworkApiFinding {
  const detail = JSON.parse(row.detail) as NetworkFindingDetail;
  return {
    findingId: row.id,
    type: 'NETWORK_REACHABILITY',
    status: row.status as FindingStatus,
    accountId: row.account_id,
    vulnerabilityId: row.vulnerability_id,
    ...detail,
    aliases: [],
    score: row.score,
    fixAvailable: 'NO',
    exploited: false,
    resource: resourceOf(row),
    suppressedBy: row.suppressed_by ?? undefined,
    firstObservedAt: iso(row.first_observed_at)!,
    lastObservedAt: iso(row.last_observed_at)!,
    updatedAt: iso(row.updated_at)!,
    closedAt: iso(row.closed_at),
  };
}

/** A search request. */
export interface SearchRequest {
  criteria: FilterCriteria;
  sort?: SortCriteria;
  /** Page size, 1–1000. */
  limit: number;
  /** The `nextCursor` of the previous page. */
  cursor?: string;
  /** The SLA policy and time to judge SLA status at (default: the stored policy, now). */
  sla?: SlaClock;
}

/** One page of results. */
export interface SearchPage {
  findings: ApiFinding[];
  nextCursor?: string;
}

interface CursorBody {
  s: SortField;
  o: 'ASC' | 'DESC';
  v: (string | number)[];
}

function encodeCursor(body: CursorBody): string {
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

/** Decodes a cursor, checking it belongs to this sort. */
export function decodeCursor(cursor: string, sort: SortCriteria): CursorBody {
  let body: CursorBody;
  try {
    body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as CursorBody;
  } catch {
    throw new Error('nextToken is not a cursor this server issued');
  }
  const columns = SORT_COLUMNS[sort.field];
  if (body?.s !== sort.field || body.o !== sort.sortOrder || !Array.isArray(body.v) || body.v.length !== columns.length) {
    throw new Error('nextToken (cursor) does not belong to this sort; repeat the first request');
  }
  // Positions go into SQL as bound values: each must have its column's type (ids are text,
  // the rest numbers, which PostgreSQL's bigint columns hand back as digit strings).
  const fits = (v: unknown, column: string) =>
    column === 'id' ? typeof v === 'string' && v.length <= 200 : (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && /^-?\d{1,20}(\.\d{1,20})?$/.test(v));
  if (!body.v.every((v, i) => fits(v, columns[i]))) throw new Error('nextToken is not a cursor this server issued');
  return body;
}

/** The search's WHERE: scope, criteria and (for later pages) the keyset position. */
function where(db: Db, scope: AccountScope, criteria: FilterCriteria, sla?: SlaClock): ReturnType<typeof sql<SqlBool>> {
  return sql<SqlBool>`(${scopeSql(scope, 'findings.account_id')} AND ${criteriaSql(criteria, db.dialect, sla)})`;
}

const DEFAULT_SORT: SortCriteria = { field: 'SCORE', sortOrder: 'DESC' };

/**
 * Criteria with an index of their own (migrations 0002–0007): a filter on one narrows the
 * findings to few enough to sort, and the planner reads that index.
 */
const LOOKUP_FIELDS = ['findingId', 'vulnerabilityId', 'resourceId', 'packageName', 'imageRepository', 'imageDigest', 'layer'] as const;

/**
 * True when a sorted page is read per status (see {@link searchFindings}): no status filter,
 * no lookup filter, and a sort with an (account, status, key) index.
 */
function readPerStatus(criteria: FilterCriteria, sort: SortCriteria): boolean {
  const has = (v: unknown) => Array.isArray(v) && v.length > 0;
  return !has(criteria.status) && !LOOKUP_FIELDS.some((f) => has(criteria[f])) && sort.field !== 'UPDATED_AT';
}

/** SLA parts merged at most: each is one more sorted page read (one per severity and allowance). */
const MAX_SLA_PARTS = 8;

/**
 * Disjoint parts of a sorted search, each read as a page of its own and the pages merged (see
 * {@link searchFindings}), with the criteria each part is read under; none to read one page.
 */
function partsOf(criteria: FilterCriteria, sort: SortCriteria, sla: SlaClock): { criteria: FilterCriteria; parts: RawBuilder<SqlBool>[] } | undefined {
  if (criteria.slaStatus?.length && sort.field === 'FIRST_OBSERVED_AT') {
    // An SLA status is a first-observed window per severity: read as one OR, every finding in
    // any window is fetched and sorted (190 ms across an organization of 1,000,000 findings);
    // read per window, an index on (…, severity_rank, first_observed_at) yields each in order.
    const parts = slaStatusBranches(admittedStatuses(criteria.slaStatus), sla);
    if (parts.length > 1 && parts.length <= MAX_SLA_PARTS) return { criteria: { ...criteria, slaStatus: undefined }, parts };
  }
  if (readPerStatus(criteria, sort)) return { criteria, parts: FINDING_STATUSES.map((s) => sql<SqlBool>`findings.status = ${s}`) };
  return undefined;
}

/** One page of findings matching the criteria, in the sort's order. */
export async function searchFindings(db: Db, scope: AccountScope, req: SearchRequest): Promise<SearchPage> {
  const sort = req.sort ?? DEFAULT_SORT;
  const columns = SORT_COLUMNS[sort.field];
  const dir = sort.sortOrder === 'ASC' ? 'asc' : 'desc';
  const sla = req.sla ?? (await slaClock(db));
  const position = req.cursor ? decodeCursor(req.cursor, sort).v : undefined;
  const split = partsOf(req.criteria, sort, sla);
  const pageOf = (part?: RawBuilder<SqlBool>) => {
    let q = db.kysely.selectFrom('findings').selectAll().where(where(db, scope, split?.criteria ?? req.criteria, sla));
    if (part) q = q.where(part);
    if (position) {
      const op = sort.sortOrder === 'ASC' ? sql`>` : sql`<`;
      q = q.where(sql<SqlBool>`(${sql.join(columns.map((col) => sql.ref(`findings.${col}`)))}) ${op} (${sql.join(position.map((v) => sql`${v}`))})`);
    }
    for (const col of columns) q = q.orderBy(col, dir);
    return q.limit(req.limit + 1);
  };
  let rows: FindingsTable[];
  if (split) {
    // Sorted pages read an index on (account, status, sort key) or (status, sort key): without
    // a status filter, one page per status is read in that order and the three merged, so no
    // sort index without status is needed (each is one more b-tree insert per stored finding).
    // SLA windows are merged likewise.
    const [first, ...rest] = split.parts.map((part) => db.kysely.selectFrom(pageOf(part).as('branch')).selectAll());
    let merged = db.kysely.selectFrom(rest.reduce((u, b) => u.unionAll(b), first).as('findings')).selectAll();
    for (const col of columns) merged = merged.orderBy(col, dir);
    rows = await merged.limit(req.limit + 1).execute();
  } else {
    rows = await pageOf().execute();
  }
  const page = rows.slice(0, req.limit);
  const last = page[page.length - 1];
  const more = rows.length > req.limit;
  return {
    findings: page.map((row) => toApiFinding(row, sla)),
    nextCursor: more && last ? encodeCursor({ s: sort.field, o: sort.sortOrder, v: columns.map((c) => last[c] as string | number) }) : undefined,
  };
}

/**
 * Counts findings matching the criteria in the scope. ACTIVE findings filtered only by
 * resource properties are summed from the resource summary (thousands of rows, not a
 * million).
 */
export async function countFindings(db: Db, scope: AccountScope, criteria: FilterCriteria): Promise<number> {
  const rest = activeOnlyRest(criteria);
  if (rest && isResourceLevel(rest)) {
    await refreshSummary(db);
    // Aliased "findings": the summary has the columns resource-level criteria name.
    const sum = await sql<{ n: number | null }>`SELECT sum(findings.finding_count) AS n FROM finding_resource_summary AS findings
      WHERE ${scopeSql(scope, 'findings.account_id')} AND ${criteriaSql(rest, db.dialect)}`.execute(db.kysely);
    return Number(sum.rows[0]?.n ?? 0);
  }
  const sla = criteria.slaStatus?.length ? await slaClock(db) : undefined;
  const row = await db.kysely.selectFrom('findings').select((eb) => eb.fn.countAll<number>().as('n')).where(where(db, scope, criteria, sla)).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** One finding with its timeline, if in scope. */
export async function getFinding(db: Db, scope: AccountScope, id: string): Promise<(ApiFinding & { timeline: TimelineEntry[] }) | undefined> {
  const row = await db.kysely.selectFrom('findings').selectAll().where('id', '=', id).where(scopeSql(scope, 'findings.account_id')).executeTakeFirst();
  if (!row) return undefined;
  const events = await db.kysely.selectFrom('finding_events').selectAll().where('finding_id', '=', id).orderBy('id').execute();
  return {
    ...toApiFinding(row, await slaClock(db)),
    timeline: events.map((e) => ({ at: iso(e.at)!, event: e.event, ...(JSON.parse(e.detail) as Record<string, unknown>) })),
  };
}

/** One state change of a finding. */
export interface TimelineEntry {
  at: string;
  event: string;
  [detail: string]: unknown;
}

/**
 * Every finding matching the criteria, in pages of `batch`, in the sort's order: what
 * export streams. Holds one page in memory at a time.
 */
export async function* iterateFindings(db: Db, scope: AccountScope, criteria: FilterCriteria, sort: SortCriteria = DEFAULT_SORT, batch = 1000): AsyncGenerator<ApiFinding> {
  let cursor: string | undefined;
  // One clock for the whole export, so every row is judged at the same instant.
  const sla = await slaClock(db);
  do {
    const page = await searchFindings(db, scope, { criteria, sort, limit: batch, cursor, sla });
    yield* page.findings;
    cursor = page.nextCursor;
  } while (cursor);
}
