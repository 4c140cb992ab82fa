/**
 * The findings summary: per-resource and per-group rollups of ACTIVE findings that the
 * overview and unfiltered aggregations read instead of scanning a million findings.
 *
 * - `finding_resource_summary`: one row per (resource, severity) holding active findings,
 *   with the resource's denormalised columns (so resource-level criteria and the image,
 *   host, repository, account and severity groupings run on it unchanged), the finding
 *   count, exploited and fixable counts and the maximum score.
 * - `finding_group_summary`: organization-wide rows per vulnerability (the table is keyed
 *   by kind for other groupings) with counts per severity, affected resources, maximum
 *   score, exploited and fixable counts.
 *
 * Both are maintained the same way whatever writes findings (scans, re-evaluation,
 * suppression, network exposures, resource deletion): each writer calls {@link markSummary}
 * once per batch, in its own transaction, with the resources and vulnerabilities of the
 * ACTIVE findings it inserted, changed or removed, and {@link refreshSummary} recomputes
 * exactly those groups from the findings before a summary is read. A recomputed group is
 * the same grouped query a full aggregation runs, restricted to that group, so the summary
 * cannot drift from it. Until migration 0019 per-row triggers wrote the marks (one per
 * finding, the larger part of storing a first evaluation); a batch now marks each resource
 * and vulnerability once. Re-observing an unchanged finding (the bulk of a rescan or
 * re-evaluation) and retention's deletes of CLOSED findings mark nothing.
 *
 * Marks are appended, never updated (one cheap insert per changed finding, no uniqueness
 * check), so concurrent writers never wait on each other; a refresh takes them with
 * DELETE … RETURNING, which on PostgreSQL sees only marks committed before it: a writer
 * still in flight keeps its marks for the next refresh.
 */
import { sql, type Kysely, type QueryExecutorProvider, type RawBuilder } from 'kysely';
import { chunks } from '../db/batches.js';
import type { Db } from '../db/connect.js';
import type { DialectName } from '../db/migrations/types.js';
import type { FilterCriteria } from './criteria.js';
import { fillSlaSummary, refreshSlaSummary } from './sla-summary.js';

/** Severities in the order of the summary's count columns. */
const SEVERITY_COLUMNS = [
  ['CRITICAL', 'n_critical'],
  ['HIGH', 'n_high'],
  ['MEDIUM', 'n_medium'],
  ['LOW', 'n_low'],
  ['INFORMATIONAL', 'n_informational'],
  ['UNTRIAGED', 'n_untriaged'],
] as const;

/**
 * Organization-wide groupings kept in `finding_group_summary`. Only vulnerabilities: a
 * change recomputes each group it touches from that group's findings, and packages and
 * layers hold ten to a hundred times more findings per group than vulnerabilities (a
 * resource's rescan touching 90 packages cost 0.8 s to refresh at a million findings).
 */
export type GroupKind = 'VULNERABILITY';

/** Kinds of dirty marks: a resource, or a group key. */
type DirtyKind = 'RESOURCE' | GroupKind;

interface GroupSpec {
  /** Expressions over `findings` for k1 and k2 (k2 '' when the key has one part). */
  k1: string;
  k2: string;
  /** Label of the group (one value per group), or NULL. */
  label: string;
  /** The findings column a dirty mark of this kind names. */
  dirtyColumn: string;
  /** Which summary column the dirty mark matches (k1 or k2). */
  dirtyKey: 'k1' | 'k2';
  /** Rows this grouping considers. */
  filter?: string;
}

const GROUP_SPECS: Record<GroupKind, GroupSpec> = {
  VULNERABILITY: { k1: 'findings.vulnerability_id', k2: "''", label: 'max(findings.title)', dirtyColumn: 'vulnerability_id', dirtyKey: 'k1' },
};

const GROUP_KINDS = Object.keys(GROUP_SPECS) as GroupKind[];

/** The findings columns whose change on an ACTIVE finding can change a summary. */
const WATCHED = [
  'status', 'severity', 'score', 'exploited', 'fix_available', 'title', 'vulnerability_id', 'resource_id', 'account_id', 'resource_type', 'resource_name', 'image_registry', 'image_repository', 'image_digest',
] as const;

/** The columns of a mark: the finding's resource and vulnerability, the keys the summaries are recomputed by. */
const MARK_COLUMNS = ['resource_id', 'vulnerability_id'] as const;

/** The mark's values from a finding row (`NEW`, `OLD` or a transition-table alias). */
function markOf(row: string): string {
  return MARK_COLUMNS.map((c) => `${row}.${c}`).join(', ');
}

/** True when OLD and NEW differ in a key a mark records (then both are marked). */
function keysMoved(distinct: string): string {
  return MARK_COLUMNS.map((c) => `OLD.${c} ${distinct} NEW.${c}`).join(' OR ');
}

/** Creates the summary tables and the marks table the triggers append to (all empty). */
export async function createSummaryTables(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const real = dialect === 'postgres' ? 'double precision' : 'real';
  await db.schema
    .createTable('finding_resource_summary')
    .addColumn('resource_id', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('severity_rank', 'integer', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('resource_type', 'text', (c) => c.notNull())
    .addColumn('resource_name', 'text', (c) => c.notNull())
    .addColumn('image_registry', 'text')
    .addColumn('image_repository', 'text')
    .addColumn('image_digest', 'text')
    .addColumn('finding_count', 'integer', (c) => c.notNull())
    .addColumn('exploited', 'integer', (c) => c.notNull())
    .addColumn('fixable', 'integer', (c) => c.notNull())
    .addColumn('max_score', real, (c) => c.notNull())
    .addPrimaryKeyConstraint('finding_resource_summary_pk', ['resource_id', 'severity'])
    .execute();
  await db.schema.createIndex('finding_resource_summary_account').on('finding_resource_summary').columns(['account_id', 'resource_type']).execute();
  let group = db.schema
    .createTable('finding_group_summary')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('k1', 'text', (c) => c.notNull())
    .addColumn('k2', 'text', (c) => c.notNull())
    .addColumn('label', 'text');
  for (const [, col] of SEVERITY_COLUMNS) group = group.addColumn(col, 'integer', (c) => c.notNull());
  await group
    .addColumn('total', 'integer', (c) => c.notNull())
    .addColumn('affected_resources', 'integer', (c) => c.notNull())
    .addColumn('max_score', real, (c) => c.notNull())
    .addColumn('exploited', 'integer', (c) => c.notNull())
    .addColumn('fixable', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('finding_group_summary_pk', ['kind', 'k1', 'k2'])
    .execute();
  await db.schema.createIndex('finding_group_summary_k2').on('finding_group_summary').columns(['kind', 'k2']).execute();
  // No key: an append is one b-tree insert at the end, and marks are only ever taken whole.
  let marks = db.schema.createTable('finding_summary_marks');
  for (const c of MARK_COLUMNS) marks = marks.addColumn(c, 'text');
  await marks.execute();
}

/**
 * Installs the triggers that marked summaries dirty when findings changed: what migration
 * 0005 ran, kept so it still does; 0019 drops them for {@link markSummary}.
 */
export async function createSummaryTriggers<DB>(db: Kysely<DB>, dialect: DialectName): Promise<void> {
  const changed = (eq: (c: string) => string) => WATCHED.map((c) => eq(c)).join(' OR ');
  const insertMark = (row: string) => `INSERT INTO finding_summary_marks (${MARK_COLUMNS.join(', ')}) VALUES (${markOf(row)});`;
  if (dialect === 'sqlite') {
    await sql.raw(`CREATE TRIGGER finding_summary_ins AFTER INSERT ON findings WHEN NEW.status = 'ACTIVE' BEGIN ${insertMark('NEW')} END`).execute(db);
    await sql.raw(`CREATE TRIGGER finding_summary_del AFTER DELETE ON findings WHEN OLD.status = 'ACTIVE' BEGIN ${insertMark('OLD')} END`).execute(db);
    await sql
      .raw(
        `CREATE TRIGGER finding_summary_upd AFTER UPDATE OF ${WATCHED.join(', ')} ON findings
         WHEN (OLD.status = 'ACTIVE' OR NEW.status = 'ACTIVE') AND (${changed((c) => `OLD.${c} IS NOT NEW.${c}`)})
         BEGIN
           ${insertMark('OLD')}
           INSERT INTO finding_summary_marks (${MARK_COLUMNS.join(', ')}) SELECT ${markOf('NEW')} WHERE ${keysMoved('IS NOT')};
         END`,
      )
      .execute(db);
    return;
  }
  // Inserts come in multi-row statements: one set-based mark per statement.
  await sql
    .raw(
      `CREATE OR REPLACE FUNCTION finding_summary_mark_ins() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         INSERT INTO finding_summary_marks (${MARK_COLUMNS.join(', ')})
           SELECT DISTINCT ${markOf('n')} FROM new_rows n WHERE n.status = 'ACTIVE';
         RETURN NULL;
       END $$`,
    )
    .execute(db);
  await sql.raw(`CREATE TRIGGER finding_summary_ins AFTER INSERT ON findings REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION finding_summary_mark_ins()`).execute(db);
  // Updates and deletes per row, filtered by WHEN, so re-observations and deletes of closed
  // findings never run the function (a statement trigger would copy every row it touches).
  await sql
    .raw(
      `CREATE OR REPLACE FUNCTION finding_summary_mark_row() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF TG_OP = 'DELETE' THEN
           ${insertMark('OLD')}
         ELSE
           ${insertMark('OLD')}
           IF ${keysMoved('IS DISTINCT FROM')} THEN
             ${insertMark('NEW')}
           END IF;
         END IF;
         RETURN NULL;
       END $$`,
    )
    .execute(db);
  await sql
    .raw(
      `CREATE TRIGGER finding_summary_upd AFTER UPDATE OF ${WATCHED.join(', ')} ON findings FOR EACH ROW
       WHEN ((OLD.status = 'ACTIVE' OR NEW.status = 'ACTIVE') AND (${changed((c) => `OLD.${c} IS DISTINCT FROM NEW.${c}`)}))
       EXECUTE FUNCTION finding_summary_mark_row()`,
    )
    .execute(db);
  await sql.raw(`CREATE TRIGGER finding_summary_del AFTER DELETE ON findings FOR EACH ROW WHEN (OLD.status = 'ACTIVE') EXECUTE FUNCTION finding_summary_mark_row()`).execute(db);
}

/** Removes the triggers {@link createSummaryTriggers} installed (migration 0019). */
export async function dropSummaryTriggers<DB>(db: Kysely<DB>, dialect: DialectName): Promise<void> {
  for (const t of ['finding_summary_ins', 'finding_summary_upd', 'finding_summary_del']) {
    await sql.raw(dialect === 'postgres' ? `DROP TRIGGER IF EXISTS ${t} ON findings` : `DROP TRIGGER IF EXISTS ${t}`).execute(db);
  }
}

/** What a batch of writes to findings changed, as {@link markSummary} records it. */
export interface SummaryChanges {
  /** Resources that gained, lost or changed an ACTIVE finding. */
  resourceIds: Iterable<string>;
  /** Vulnerabilities that gained, lost or changed an ACTIVE finding. */
  vulnerabilityIds: Iterable<string>;
}

/** Rows per multi-row insert of marks (two values each). */
const MARKS_PER_STATEMENT = 5000;

/**
 * Marks the summaries of these resources and vulnerabilities dirty, each once, in a few
 * multi-row inserts: every writer of findings calls it in the transaction of its batch, for
 * the findings whose ACTIVE state or summarised columns (severity, score, exploited, fix,
 * title, resource and image columns) it changed, before and after the change. The next
 * summary read recomputes them ({@link refreshSummary}).
 */
export async function markSummary(db: QueryExecutorProvider, changes: SummaryChanges): Promise<void> {
  const rows: RawBuilder<unknown>[] = [];
  for (const id of new Set(changes.resourceIds)) rows.push(sql`(${id}, NULL)`);
  for (const id of new Set(changes.vulnerabilityIds)) rows.push(sql`(NULL, ${id})`);
  for (const slice of chunks(rows, MARKS_PER_STATEMENT)) {
    await sql`INSERT INTO finding_summary_marks (${sql.raw(MARK_COLUMNS.join(', '))}) VALUES ${sql.join(slice)}`.execute(db);
  }
}

/** True when a rewrite of `before` into `after` can change a summary (see {@link markSummary}). */
export function summaryChanged(prior: object, next: object): boolean {
  const before = prior as Readonly<Record<string, unknown>>;
  const after = next as Readonly<Record<string, unknown>>;
  if (before.status !== 'ACTIVE' && after.status !== 'ACTIVE') return false;
  return WATCHED.some((c) => c in after && before[c] !== after[c]);
}

/** The resource summary's grouped query over active findings, restricted by `where`. */
function resourceRows(where: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`SELECT findings.resource_id, findings.severity, max(findings.severity_rank), max(findings.account_id), max(findings.resource_type),
      max(findings.resource_name), max(findings.image_registry), max(findings.image_repository), max(findings.image_digest),
      count(*), sum(findings.exploited), sum(CASE WHEN findings.fix_available = 'YES' THEN 1 ELSE 0 END), max(findings.score)
    FROM findings WHERE findings.status = 'ACTIVE' AND ${where}
    GROUP BY findings.resource_id, findings.severity`;
}

const RESOURCE_COLUMNS = sql.raw(
  'resource_id, severity, severity_rank, account_id, resource_type, resource_name, image_registry, image_repository, image_digest, finding_count, exploited, fixable, max_score',
);

/** A group summary's grouped query over active findings, restricted by `where`. */
function groupRows(kind: GroupKind, where: RawBuilder<unknown>): RawBuilder<unknown> {
  const s = GROUP_SPECS[kind];
  const sev = SEVERITY_COLUMNS.map(([name]) => `sum(CASE WHEN findings.severity = '${name}' THEN 1 ELSE 0 END)`).join(', ');
  return sql`SELECT ${sql.lit(kind)}, ${sql.raw(s.k1)}, ${sql.raw(s.k2)}, ${sql.raw(s.label)}, ${sql.raw(sev)}, count(*),
      count(DISTINCT findings.resource_id), max(findings.score), sum(findings.exploited), sum(CASE WHEN findings.fix_available = 'YES' THEN 1 ELSE 0 END)
    FROM findings WHERE findings.status = 'ACTIVE'${s.filter ? sql.raw(` AND ${s.filter}`) : sql``} AND ${where}
    GROUP BY ${sql.raw(s.k2 === "''" ? s.k1 : `${s.k1}, ${s.k2}`)}`;
}

const GROUP_COLUMNS = sql.raw(`kind, k1, k2, label, ${SEVERITY_COLUMNS.map(([, c]) => c).join(', ')}, total, affected_resources, max_score, exploited, fixable`);

/**
 * Recomputes every summary from the findings and clears the dirty marks: what the
 * migration and bulk loads run. Takes seconds per million findings.
 */
export async function rebuildSummary(db: Db): Promise<void> {
  await db.kysely.transaction().execute(async (tx) => {
    const trx = tx as unknown as Kysely<unknown>;
    await lockRefresh(trx, db.dialect);
    await fillSummaries(trx);
  });
}

/** Fills every summary the marks keep: these and the SLA summary (src/findings/sla-summary.ts). */
async function fillSummaries(db: Kysely<unknown>): Promise<void> {
  await fillSummary(db);
  await fillSlaSummary(db);
}

/**
 * Empties the resource and group summaries and their dirty marks and fills them from the
 * findings (migration 0005 runs it; the SLA summary, added later, fills apart).
 */
export async function fillSummary(db: Kysely<unknown>): Promise<void> {
  await sql`DELETE FROM finding_summary_marks`.execute(db);
  await sql`DELETE FROM finding_resource_summary`.execute(db);
  await sql`DELETE FROM finding_group_summary`.execute(db);
  await sql`INSERT INTO finding_resource_summary (${RESOURCE_COLUMNS}) ${resourceRows(sql`1 = 1`)}`.execute(db);
  for (const kind of GROUP_KINDS) await sql`INSERT INTO finding_group_summary (${GROUP_COLUMNS}) ${groupRows(kind, sql`1 = 1`)}`.execute(db);
}

/** Serialises refreshes on PostgreSQL (SQLite serialises every writer already). */
async function lockRefresh(trx: Kysely<unknown>, dialect: DialectName): Promise<void> {
  if (dialect === 'postgres') await sql`SELECT pg_advisory_xact_lock(7317007)`.execute(trx);
}

/** Keys recomputed per statement. */
const BATCH = 500;

/** Options of {@link refreshSummary}. */
export interface RefreshOptions {
  /**
   * Above this many marks a full rebuild is cheaper than recomputing group by group (and
   * keeps a long-unread backlog out of memory). Default 200,000.
   */
  fullAbove?: number;
}

/**
 * Brings the summaries up to date with the findings: recomputes the groups marked dirty
 * since the last refresh. Cheap when nothing changed (one probe of an empty table).
 */
export async function refreshSummary(db: Db, opts: RefreshOptions = {}): Promise<void> {
  const fullAbove = opts.fullAbove ?? 200_000;
  const pending = await sql<{ n: number }>`SELECT count(*) AS n FROM (SELECT 1 FROM finding_summary_marks LIMIT ${fullAbove + 1}) AS m`.execute(db.kysely);
  const marks = Number(pending.rows[0]?.n ?? 0);
  if (marks === 0) return;
  await db.kysely.transaction().execute(async (tx) => {
    const trx = tx as unknown as Kysely<unknown>;
    await lockRefresh(trx, db.dialect);
    if (marks > fullAbove) {
      await fillSummaries(trx);
      return;
    }
    const taken = await sql<Record<(typeof MARK_COLUMNS)[number], string | null>>`DELETE FROM finding_summary_marks RETURNING ${sql.raw(MARK_COLUMNS.join(', '))}`.execute(trx);
    const keys = new Map<DirtyKind, Set<string>>([['RESOURCE', new Set()], ...GROUP_KINDS.map((k) => [k, new Set<string>()] as [DirtyKind, Set<string>])]);
    for (const r of taken.rows) {
      if (r.resource_id !== null) keys.get('RESOURCE')!.add(r.resource_id);
      for (const kind of GROUP_KINDS) {
        const k = r[GROUP_SPECS[kind].dirtyColumn as (typeof MARK_COLUMNS)[number]];
        if (k !== null) keys.get(kind)!.add(k);
      }
    }
    for (const [kind, set] of keys) {
      for (const slice of chunks([...set], BATCH)) {
        const batch = sql.join(slice.map((k) => sql`${k}`));
        if (kind === 'RESOURCE') {
          await sql`DELETE FROM finding_resource_summary WHERE resource_id IN (${batch})`.execute(trx);
          await sql`INSERT INTO finding_resource_summary (${RESOURCE_COLUMNS}) ${resourceRows(sql`findings.resource_id IN (${batch})`)}`.execute(trx);
          await refreshSlaSummary(trx, slice);
          continue;
        }
        const spec = GROUP_SPECS[kind];
        await sql`DELETE FROM finding_group_summary WHERE kind = ${kind} AND ${sql.ref(spec.dirtyKey)} IN (${batch})`.execute(trx);
        await sql`INSERT INTO finding_group_summary (${GROUP_COLUMNS}) ${groupRows(kind, sql`${sql.ref(`findings.${spec.dirtyColumn}`)} IN (${batch})`)}`.execute(trx);
      }
    }
  });
}

/** The severity count columns of `finding_group_summary`, by severity name. */
export const GROUP_SEVERITY_COLUMNS: Readonly<Record<string, string>> = Object.fromEntries(SEVERITY_COLUMNS);

/** Criteria fields that are properties of a resource (or the severity), which the resource summary holds under the same column names. */
const RESOURCE_LEVEL_FIELDS = new Set<string>(['accountId', 'resourceId', 'resourceType', 'resourceName', 'imageRegistry', 'imageRepository', 'imageDigest', 'imageTag', 'resourceTags', 'severity']);

/**
 * The criteria other than status when they ask for ACTIVE findings only (the summaries'
 * content), else undefined.
 */
export function activeOnlyRest(criteria: FilterCriteria): FilterCriteria | undefined {
  const status = criteria.status ?? [];
  if (status.length !== 1 || status[0].comparison !== 'EQUALS' || status[0].value !== 'ACTIVE') return undefined;
  const rest = Object.entries(criteria).filter(([k, v]) => k !== 'status' && v !== undefined && !(Array.isArray(v) && v.length === 0));
  return Object.fromEntries(rest) as FilterCriteria;
}

/** True when every criterion is a resource property the resource summary can evaluate. */
export function isResourceLevel(criteria: FilterCriteria): boolean {
  return Object.entries(criteria).every(([k, v]) => v === undefined || RESOURCE_LEVEL_FIELDS.has(k));
}
