import type { Kysely } from 'kysely';
import type { VigilMigration } from './types.js';

/**
 * `resources.coverage_detail`: what the last scan could not judge (an OS release or language
 * ecosystem without advisory data, an unknown OS, an end-of-life release), in words, shown
 * beside the coverage reason. Null when the scan had no gap to report.
 */
export const coverageDetail: VigilMigration = {
  name: '0008-coverage-detail',
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('resources').addColumn('coverage_detail', 'text').execute();
  },
};
