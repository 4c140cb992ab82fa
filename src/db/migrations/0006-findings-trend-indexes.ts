import type { Kysely } from 'kysely';
import type { VigilMigration } from './types.js';

/**
 * Covering indexes for the dashboard's trend (critical and high findings by first
 * observation and closing) and mean time to remediate (closed findings by closing date,
 * with severity and first observation): without them both read every matching finding
 * row, seconds at a million. The closed index extends (status, closed_at), which it
 * replaces (retention sweeps use its prefix).
 */
export const findingsTrendIndexes: VigilMigration = {
  name: '0006-findings-trend-indexes',
  async up(db: Kysely<unknown>): Promise<void> {
    const idx = (name: string, columns: string[]) => db.schema.createIndex(name).on('findings').columns(columns).execute();
    await idx('findings_trend', ['severity_rank', 'first_observed_at', 'status', 'closed_at', 'account_id']);
    await idx('findings_closed_sev', ['status', 'closed_at', 'severity_rank', 'first_observed_at', 'account_id']);
    await db.schema.dropIndex('findings_closed').execute();
  },
};
