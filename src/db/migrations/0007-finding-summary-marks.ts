import { sql, type Kysely } from 'kysely';
import { createSummaryMarks, createSummaryTriggers, dropSummaryTriggers, fillSummary } from '../../findings/summary.js';
import type { DialectName, VigilMigration } from './types.js';

/**
 * The triggers that keep the findings summary current, the append-only marks table they
 * write, and the summary filled from the findings already stored. Replaces the first
 * version of 0005, which marked into a keyed `finding_summary_dirty` table with four
 * upserts per changed finding (databases that applied it lose those triggers and table here).
 * Finally the planner statistics are refreshed where there are any (see {@link refreshStatistics}).
 */
export const findingSummaryMarks: VigilMigration = {
  name: '0007-finding-summary-marks',
  async up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
    await dropSummaryTriggers(db, dialect);
    await sql`DROP TABLE IF EXISTS finding_summary_dirty`.execute(db);
    await createSummaryMarks(db);
    await createSummaryTriggers(db, dialect);
    await fillSummary(db);
    await refreshStatistics(db, dialect);
  },
};

/**
 * Re-analyses the findings table and the summaries on a database that has planner
 * statistics: SQLite takes an index without statistics for a very selective one, so after
 * 0005 and 0006 added indexes to an analysed table it sorted all ACTIVE findings through
 * the (status, closed_at, …) index for a sorted page (seconds instead of milliseconds).
 * A database never analysed has no statistics for any index and is left as it is.
 */
async function refreshStatistics(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  if (dialect === 'postgres') {
    await sql`ANALYZE findings`.execute(db);
    await sql`ANALYZE finding_resource_summary`.execute(db);
    await sql`ANALYZE finding_group_summary`.execute(db);
    return;
  }
  const stats = await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'`.execute(db);
  if (stats.rows.length === 0) return;
  await sql`ANALYZE findings`.execute(db);
  await sql`ANALYZE finding_resource_summary`.execute(db);
  await sql`ANALYZE finding_group_summary`.execute(db);
}
