import type { Kysely } from 'kysely';
import { dialectTypes, type DialectName, type VigilMigration } from './types.js';

/**
 * Which images run on which host: the containers each HOST resource records (from its
 * network report, or declared through the API), and the reachability computed for each
 * CONTAINER_IMAGE resource from the hosts running it (kept to re-score only the images whose
 * reachability changed).
 */
export const runningImages: VigilMigration = {
  name: '0017-running-images',
  async up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
    const t = dialectTypes(dialect);
    await db.schema
      .createTable('host_containers')
      .addColumn('host_id', 'text', (c) => c.notNull())
      .addColumn('container_id', 'text', (c) => c.notNull())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('name', 'text')
      .addColumn('image', 'text', (c) => c.notNull())
      .addColumn('image_digests', 'text', (c) => c.notNull())
      .addColumn('running', 'integer', (c) => c.notNull())
      .addColumn('host_network', 'integer', (c) => c.notNull())
      .addColumn('ports', 'text', (c) => c.notNull())
      .addColumn('runtime', 'text', (c) => c.notNull())
      .addColumn('updated_at', t.timestamp, (c) => c.notNull())
      .addPrimaryKeyConstraint('host_containers_pk', ['host_id', 'container_id'])
      .execute();
    await db.schema.createIndex('host_containers_account').on('host_containers').column('account_id').execute();

    await db.schema
      .createTable('image_reachability')
      .addColumn('resource_id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('reachable', 'integer', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('updated_at', t.timestamp, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('image_reachability_account').on('image_reachability').column('account_id').execute();
  },
};
