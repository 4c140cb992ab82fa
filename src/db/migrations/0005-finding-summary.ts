import type { Kysely } from 'kysely';
import { createSummaryTables } from '../../findings/summary.js';
import type { DialectName, VigilMigration } from './types.js';

/**
 * The findings summary tables (src/findings/summary.ts): per-resource and per-group
 * rollups of ACTIVE findings. Their marks table, triggers and first fill are in
 * 0007-finding-summary-marks. Also an index for an account's findings of one image
 * repository in severity order, which otherwise read and sorted every finding of the
 * repository.
 */
export const findingSummary: VigilMigration = {
  name: '0005-finding-summary',
  async up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
    await createSummaryTables(db, dialect);
    await db.schema.createIndex('findings_acct_image_repo_sev').on('findings').columns(['account_id', 'image_repository', 'severity_rank', 'score', 'id']).execute();
  },
};
