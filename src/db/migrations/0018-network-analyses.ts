import { sql, type Kysely } from 'kysely';
import { dialectTypes, type DialectName, type VigilMigration } from './types.js';

/**
 * Network analyses as queued jobs (src/network/server/analyses.ts): one row per analysis of
 * an account, with what triggered it and what it did. Two partial unique indexes make the
 * coalescing and the serialisation hold on both dialects, whatever number of servers and
 * workers: at most one QUEUED analysis per account (new snapshots and reports join it) and
 * at most one RUNNING.
 */
export const networkAnalyses: VigilMigration = {
  name: '0018-network-analyses',
  async up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
    const t = dialectTypes(dialect);
    await db.schema
      .createTable('network_analyses')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('triggers', 'text', (c) => c.notNull())
      .addColumn('trigger_count', 'integer', (c) => c.notNull())
      .addColumn('error', 'text')
      .addColumn('summary', 'text')
      .addColumn('created_at', t.timestamp, (c) => c.notNull())
      .addColumn('started_at', t.timestamp)
      .addColumn('finished_at', t.timestamp)
      .execute();
    await sql`CREATE UNIQUE INDEX network_analyses_one_queued ON network_analyses (account_id) WHERE status = 'QUEUED'`.execute(db);
    await sql`CREATE UNIQUE INDEX network_analyses_one_running ON network_analyses (account_id) WHERE status = 'RUNNING'`.execute(db);
    await db.schema.createIndex('network_analyses_created').on('network_analyses').column('created_at').execute();
  },
};
