import { sql, type Kysely } from 'kysely';
import type { DialectName, VigilMigration } from './types.js';

/**
 * Covering indexes for the dashboard's trend (critical and high findings by first
 * observation and closing) and mean time to remediate (closed findings by closing date,
 * with severity and first observation): without them both read every matching finding
 * row, seconds at a million. The closed index extends (status, closed_at), which it
 * replaces (retention sweeps use its prefix). Finally the planner statistics are refreshed
 * where there are any (see {@link refreshStatistics}).
 */
export const findingsTrendIndexes: VigilMigration = {
  name: '0006-findings-trend-indexes',
  async up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
    const idx = (name: string, columns: string[]) => db.schema.createIndex(name).on('findings').columns(columns).execute();
    await idx('findings_trend', ['severity_rank', 'first_observed_at', 'status', 'closed_at', 'account_id']);
    await idx('findings_closed_sev', ['status', 'closed_at', 'severity_rank', 'first_observed_at', 'account_id']);
    await db.schema.dropIndex('findings_closed').execute();
    await refreshStatistics(db, dialect);
  },
};

/**
 * Re-analyses the findings table and the summaries on a database that has planner
 * statistics: SQLite takes an index without statistics for a very selective one, so after
 * 0005 and this migration added indexes to an analysed table it sorted all ACTIVE findings
 * through the (status, closed_at, …) index for a sorted page (seconds instead of
 * milliseconds). A database never analysed has no statistics for any index and is left as it is.
 */
export async function refreshStatistics(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  if (dialect === 'sqlite') {
    const stats = await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'`.execute(db);
    if (stats.rows.length === 0) return;
  }
  for (const table of ['findings', 'finding_resource_summary', 'finding_group_summary']) await sql`ANALYZE ${sql.table(table)}`.execute(db);
}
