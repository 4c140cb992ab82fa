import type { Kysely } from 'kysely';
import { createSummaryTables, createSummaryTriggers, fillSummary } from '../../findings/summary.js';
import type { DialectName, VigilMigration } from './types.js';

/**
 * The findings summary (src/findings/summary.ts): per-resource and per-group rollups of
 * ACTIVE findings, the triggers that mark them dirty, and their first fill from the findings
 * already stored. Also an index for an account's findings of one image repository in
 * severity order, which otherwise read and sorted every finding of the repository.
 */
export const findingSummary: VigilMigration = {
  name: '0005-finding-summary',
  async up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
    await createSummaryTables(db, dialect);
    await createSummaryTriggers(db, dialect);
    await fillSummary(db);
    await db.schema.createIndex('findings_acct_image_repo_sev').on('findings').columns(['account_id', 'image_repository', 'severity_rank', 'score', 'id']).execute();
  },
};
