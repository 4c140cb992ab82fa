import type { Kysely } from 'kysely';
import { dialectTypes, type DialectName, type VigilMigration } from './types.js';

/**
 * Inventories accepted for asynchronous scanning (`POST /scans` answering 202): what the
 * `ingest-inventory` job matches and stores, and the state `GET /scans/{id}` shows until
 * the scan row exists.
 */
export const scanSubmissions: VigilMigration = {
  name: '0009-scan-submissions',
  async up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
    const t = dialectTypes(dialect);
    await db.schema
      .createTable('scan_submissions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('resource', 'text', (c) => c.notNull())
      .addColumn('inventory', 'text')
      .addColumn('context', 'text', (c) => c.notNull())
      .addColumn('package_count', 'integer', (c) => c.notNull())
      .addColumn('summary', 'text')
      .addColumn('coverage', 'text')
      .addColumn('created_at', t.timestamp, (c) => c.notNull())
      .addColumn('updated_at', t.timestamp, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('scan_submissions_status').on('scan_submissions').columns(['status', 'updated_at']).execute();
  },
};
