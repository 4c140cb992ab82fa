import { sql, type Kysely } from 'kysely';
import { refreshStatistics } from './0006-findings-trend-indexes.js';
import type { DialectName, VigilMigration } from './types.js';

/**
 * Six findings indexes serve columns most findings leave empty: image repository, digest and
 * layer (host and code repository findings have none), base-image origin (only images whose
 * base is known) and the suppressing rule. Every query reading them proves the column not
 * null (`= ?`, `IN`, `IS NOT NULL`; value filters say `IS NOT NULL` outright, see
 * src/findings/criteria.ts), so the indexes now hold only rows with a value: a host's finding
 * no longer costs six b-tree inserts for nothing (22 of 28 indexes instead), and an image's
 * finding costs what it did. test/db/partial-indexes.test.ts plans each such query naming its index.
 */
export const partialFindingIndexes: VigilMigration = {
  name: '0020-partial-finding-indexes',
  async up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
    for (const [name, columns, column] of PARTIAL_INDEXES) {
      await db.schema.dropIndex(name).ifExists().execute();
      await db.schema.createIndex(name).on('findings').columns([...columns]).where(sql.ref(column), 'is not', null).execute();
    }
    await refreshStatistics(db, dialect);
  },
};

/** Each index made partial: its name, its columns and the column whose value it needs. */
export const PARTIAL_INDEXES = [
  ['findings_image_repo', ['image_repository', 'status'], 'image_repository'],
  ['findings_image_digest', ['image_digest'], 'image_digest'],
  ['findings_acct_image_repo_sev', ['account_id', 'image_repository', 'severity_rank', 'score', 'id'], 'image_repository'],
  ['findings_layer_groups', ['layer', 'status', 'severity', 'resource_id', 'score', 'exploited', 'image_repository'], 'layer'],
  ['findings_account_origin', ['account_id', 'origin', 'status'], 'origin'],
  ['findings_suppressed_by', ['suppressed_by'], 'suppressed_by'],
] as const;
