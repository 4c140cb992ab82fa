import type { Kysely } from 'kysely';
import { dropSummaryTriggers } from '../../findings/summary.js';
import { refreshStatistics } from './0006-findings-trend-indexes.js';
import type { DialectName, VigilMigration } from './types.js';

/**
 * Cheaper finding writes (storing a first evaluation of 10,000 inventories cost about
 * 0.5 ms per finding):
 * - The summary triggers go: writers mark the summaries dirty once per batch instead of
 *   once per finding (src/findings/summary.ts, `markSummary`). Marks still pending are
 *   kept, so no change made before the upgrade is lost.
 * - Indexes no query plan of the search, aggregation, dashboard or lifecycle uses go
 *   (docs/api.md lists what each remaining one serves; `scripts/finding-index-plans.ts`
 *   prints which index each benchmarked query reads): each is one more b-tree insert per
 *   finding. The sort indexes without status go since a status-less sorted search reads
 *   one page per status through the indexes with status and merges them. Those that are
 *   the prefix of a wider index are served by it:
 *   (severity_rank, first_observed_at) by findings_trend, (account_id, image_repository,
 *   status) by findings_acct_image_repo_sev, and (resource_id, status) with
 *   (resource_id, type) by one (resource_id, type, status).
 */
export const findingsStorage: VigilMigration = {
  name: '0019-findings-storage',
  async up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
    await dropSummaryTriggers(db, dialect);
    await db.schema.createIndex('findings_resource_type_status').on('findings').columns(['resource_id', 'type', 'status']).execute();
    for (const name of UNUSED_INDEXES) await db.schema.dropIndex(name).ifExists().execute();
    await refreshStatistics(db, dialect);
  },
};

/** The findings indexes 0019 drops. */
export const UNUSED_INDEXES = [
  // Sorts without status: a status-less sorted search now reads one page per status through
  // the (account, status, sort key) and (status, sort key) indexes (src/findings/search.ts).
  'findings_acct_score',
  'findings_acct_sev',
  'findings_acct_epss',
  'findings_acct_first',
  'findings_acct_last',
  'findings_score',
  // Prefixes of wider indexes.
  'findings_sev_first',
  'findings_acct_image_repo',
  'findings_resource_status',
  'findings_resource_type',
] as const;
