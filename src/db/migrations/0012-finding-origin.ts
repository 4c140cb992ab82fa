import type { Kysely } from 'kysely';
import type { VigilMigration } from './types.js';

/**
 * `findings.origin`: for a container image whose base image is known, whether the finding's
 * package came with the base (`BASE_IMAGE`) or was added on it (`APPLICATION`); null when
 * the base is unknown or the resource is not an image. Indexed per account for the filter and
 * the aggregation by origin.
 */
export const findingOrigin: VigilMigration = {
  name: '0012-finding-origin',
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('findings').addColumn('origin', 'text').execute();
    await db.schema.createIndex('findings_account_origin').on('findings').columns(['account_id', 'origin', 'status']).execute();
  },
};
