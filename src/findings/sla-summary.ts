/**
 * The SLA summary: ACTIVE findings with an SLA (LOW to CRITICAL) counted per resource,
 * severity and first observation, with the account, the exploited count and the maximum
 * score. An ACTIVE finding's SLA status depends only on its account, severity and first
 * observation (src/findings/sla.ts), so the SLA_STATUS aggregation of ACTIVE findings groups
 * these rows with the same status expression and gets the figures the findings give,
 * affected resources included (rows keep the resource), reading narrow rows instead of every
 * finding. Rows share a key when findings were first observed together, as a scan's are.
 *
 * Kept with the findings summary (src/findings/summary.ts): the same dirty marks name the
 * changed findings' resources, and {@link refreshSlaSummary} recomputes those resources' rows
 * with the grouped query {@link fillSlaSummary} runs over all findings. A finding's first
 * observation never changes once stored, so the marks the summary triggers write (on status,
 * severity, score, exploited, account, resource) cover every change of a row here.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { DialectName } from '../db/migrations/types.js';
import { dialectTypes } from '../db/migrations/types.js';

/** The table's name, for readers. */
export const SLA_SUMMARY_TABLE = 'finding_sla_summary';

/** Severity ranks with an SLA: LOW (2) to CRITICAL (5). */
const MIN_SLA_RANK = 2;

const COLUMNS = sql.raw('resource_id, severity_rank, first_observed_at, account_id, severity, finding_count, exploited, max_score');

/** Creates the (empty) table and the index account-scoped reads use. */
export async function createSlaSummaryTable(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const t = dialectTypes(dialect);
  await db.schema
    .createTable(SLA_SUMMARY_TABLE)
    .addColumn('resource_id', 'text', (c) => c.notNull())
    .addColumn('severity_rank', 'integer', (c) => c.notNull())
    .addColumn('first_observed_at', t.timestamp, (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('finding_count', 'integer', (c) => c.notNull())
    .addColumn('exploited', 'integer', (c) => c.notNull())
    .addColumn('max_score', t.real, (c) => c.notNull())
    .addPrimaryKeyConstraint('finding_sla_summary_pk', ['resource_id', 'severity_rank', 'first_observed_at'])
    .execute();
  await db.schema.createIndex('finding_sla_summary_account').on(SLA_SUMMARY_TABLE).columns(['account_id', 'severity_rank', 'first_observed_at']).execute();
}

/** The summary's grouped query over ACTIVE findings with an SLA, restricted by `where`. */
function slaRows(where: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`SELECT findings.resource_id, findings.severity_rank, findings.first_observed_at, max(findings.account_id), max(findings.severity),
      count(*), sum(findings.exploited), max(findings.score)
    FROM findings WHERE findings.status = 'ACTIVE' AND findings.severity_rank >= ${sql.lit(MIN_SLA_RANK)} AND ${where}
    GROUP BY findings.resource_id, findings.severity_rank, findings.first_observed_at`;
}

/** Empties the table and fills it from the findings (the migration, rebuilds, large backlogs). */
export async function fillSlaSummary(db: Kysely<unknown>): Promise<void> {
  await sql`DELETE FROM ${sql.table(SLA_SUMMARY_TABLE)}`.execute(db);
  await sql`INSERT INTO ${sql.table(SLA_SUMMARY_TABLE)} (${COLUMNS}) ${slaRows(sql`1 = 1`)}`.execute(db);
}

/** Recomputes the rows of these resources (one batch of the refresh's dirty resources). */
export async function refreshSlaSummary(db: Kysely<unknown>, resourceIds: readonly string[]): Promise<void> {
  if (resourceIds.length === 0) return;
  const batch = sql.join(resourceIds.map((id) => sql`${id}`));
  await sql`DELETE FROM ${sql.table(SLA_SUMMARY_TABLE)} WHERE resource_id IN (${batch})`.execute(db);
  await sql`INSERT INTO ${sql.table(SLA_SUMMARY_TABLE)} (${COLUMNS}) ${slaRows(sql`findings.resource_id IN (${batch})`)}`.execute(db);
}
