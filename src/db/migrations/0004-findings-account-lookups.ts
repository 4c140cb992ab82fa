import type { Kysely } from 'kysely';
import type { VigilMigration } from './types.js';

/**
 * Account-scoped lookups by image repository and digest: with only the sort indexes, a
 * search for one repository's findings in an account walked the account's whole index.
 */
export const findingsAccountLookups: VigilMigration = {
  name: '0004-findings-account-lookups',
  async up(db: Kysely<unknown>): Promise<void> {
    const idx = (name: string, columns: string[]) => db.schema.createIndex(name).on('findings').columns(columns).execute();
    await idx('findings_acct_image_repo', ['account_id', 'image_repository', 'status']);
    await idx('findings_acct_resource', ['account_id', 'resource_id', 'status']);
  },
};
