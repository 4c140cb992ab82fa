import type { Kysely } from 'kysely';
import type { VigilMigration } from './types.js';

/**
 * `suppression_rules.provenance`: where a rule came from when a document made it (a VEX
 * statement: the document's id, author and time, and the statement), as JSON. Null for rules
 * people wrote.
 */
export const suppressionProvenance: VigilMigration = {
  name: '0014-suppression-provenance',
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('suppression_rules').addColumn('provenance', 'text').execute();
  },
};
