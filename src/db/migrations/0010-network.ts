import type { Kysely } from 'kysely';
import { dialectTypes, type DialectName, type VigilMigration } from './types.js';

/**
 * Network reachability: topology snapshots per account, the network report each host sent
 * with its inventory, the reachability computed for each host, and the columns of
 * `NETWORK_REACHABILITY` findings (protocol and open port range; NULL on package findings).
 */
export const network: VigilMigration = {
  name: '0010-network',
  async up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
    const t = dialectTypes(dialect);
    await db.schema.alterTable('findings').addColumn('network_protocol', 'text').execute();
    await db.schema.alterTable('findings').addColumn('port_begin', 'integer').execute();
    await db.schema.alterTable('findings').addColumn('port_end', 'integer').execute();
    // Network re-analysis and package rescans each read only their own type of a resource's findings.
    await db.schema.createIndex('findings_resource_type').on('findings').columns(['resource_id', 'type']).execute();

    await db.schema
      .createTable('network_snapshots')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
      .addColumn('format', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('files', 'text', (c) => c.notNull())
      .addColumn('digest', 'text', (c) => c.notNull())
      .addColumn('instance_count', 'integer', (c) => c.notNull())
      .addColumn('exposure_count', 'integer', (c) => c.notNull())
      .addColumn('warnings', 'text', (c) => c.notNull())
      .addColumn('created_at', t.timestamp, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('network_snapshots_account').on('network_snapshots').columns(['account_id', 'created_at']).execute();

    await db.schema
      .createTable('network_host_reports')
      .addColumn('resource_id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('report', 'text', (c) => c.notNull())
      .addColumn('received_at', t.timestamp, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('network_host_reports_account').on('network_host_reports').column('account_id').execute();

    await db.schema
      .createTable('host_reachability')
      .addColumn('resource_id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('snapshot_id', 'text', (c) => c.notNull())
      .addColumn('instance_id', 'text', (c) => c.notNull())
      .addColumn('reachable', 'integer', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('exposures', 'text', (c) => c.notNull())
      .addColumn('updated_at', t.timestamp, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('host_reachability_account').on('host_reachability').column('account_id').execute();
  },
};
