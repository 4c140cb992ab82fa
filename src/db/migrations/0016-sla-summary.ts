import type { Kysely } from 'kysely';
import { createSlaSummaryTable, fillSlaSummary } from '../../findings/sla-summary.js';
import type { DialectName, VigilMigration } from './types.js';

/**
 * The SLA summary (src/findings/sla-summary.ts): ACTIVE findings with an SLA counted per
 * resource, severity and first observation, which the SLA_STATUS aggregation reads instead of
 * every finding; filled from the findings already stored. The findings summary's marks keep it.
 */
export const slaSummary: VigilMigration = {
  name: '0016-sla-summary',
  async up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
    await createSlaSummaryTable(db, dialect);
    await fillSlaSummary(db);
  },
};
