import type { Kysely } from 'kysely';
import { dialectTypes, type DialectName, type VigilMigration } from './types.js';

/** Accounts, keys, resources, inventories and the inverted package index, scans, settings. */
export const core: VigilMigration = {
  name: '0001-core',
  async up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
    const t = dialectTypes(dialect);
    await db.schema
      .createTable('settings')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('accounts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('delegated_admin', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', t.timestamp, (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('api_keys')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('secret_hash', 'text', (c) => c.notNull())
      .addColumn('created_at', t.timestamp, (c) => c.notNull())
      .addColumn('last_used_at', t.timestamp)
      .addColumn('revoked_at', t.timestamp)
      .execute();
    await db.schema.createIndex('api_keys_account').on('api_keys').column('account_id').execute();

    await db.schema
      .createTable('resources')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('image_registry', 'text')
      .addColumn('image_repository', 'text')
      .addColumn('image_digest', 'text')
      .addColumn('image_tags', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('tags', 'text', (c) => c.notNull().defaultTo('{}'))
      .addColumn('os', 'text')
      .addColumn('created_at', t.timestamp, (c) => c.notNull())
      .addColumn('updated_at', t.timestamp, (c) => c.notNull())
      .addColumn('last_scan_at', t.timestamp)
      .addColumn('last_scan_status', 'text')
      .addColumn('last_scan_error', 'text')
      .addColumn('inventory_version', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema.createIndex('resources_identity').unique().on('resources').columns(['account_id', 'type', 'name']).execute();
    await db.schema.createIndex('resources_type').on('resources').columns(['type', 'id']).execute();

    await db.schema
      .createTable('resource_tags')
      .addColumn('resource_id', 'text', (c) => c.notNull().references('resources.id').onDelete('cascade'))
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('resource_tags_pk', ['resource_id', 'key'])
      .execute();
    await db.schema.createIndex('resource_tags_kv').on('resource_tags').columns(['key', 'value']).execute();
    await db.schema
      .createTable('resource_image_tags')
      .addColumn('resource_id', 'text', (c) => c.notNull().references('resources.id').onDelete('cascade'))
      .addColumn('tag', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('resource_image_tags_pk', ['resource_id', 'tag'])
      .execute();
    await db.schema.createIndex('resource_image_tags_tag').on('resource_image_tags').column('tag').execute();

    await db.schema
      .createTable('inventories')
      .addColumn('resource_id', 'text', (c) => c.notNull().references('resources.id').onDelete('cascade'))
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('created_at', t.timestamp, (c) => c.notNull())
      .addColumn('package_count', 'integer', (c) => c.notNull())
      .addColumn('inventory', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('inventories_pk', ['resource_id', 'version'])
      .execute();
    await db.schema
      .createTable('inventory_packages')
      .addColumn('ecosystem', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('resource_id', 'text', (c) => c.notNull().references('resources.id').onDelete('cascade'))
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('inventory_packages_pk', ['ecosystem', 'name', 'resource_id'])
      .execute();
    await db.schema.createIndex('inventory_packages_resource').on('inventory_packages').column('resource_id').execute();

    await db.schema
      .createTable('scans')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('resource_id', 'text', (c) => c.notNull())
      .addColumn('trigger', 'text', (c) => c.notNull())
      .addColumn('billing', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('inventory_version', 'integer')
      .addColumn('package_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('finding_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', t.timestamp, (c) => c.notNull())
      .addColumn('error', 'text')
      .addColumn('warnings', 'text', (c) => c.notNull().defaultTo('[]'))
      .execute();
    await db.schema.createIndex('scans_resource').on('scans').columns(['resource_id', 'created_at']).execute();
    await db.schema.createIndex('scans_account').on('scans').columns(['account_id', 'created_at']).execute();

    await db.schema
      .createTable('host_coverage')
      .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
      .addColumn('resource_id', 'text', (c) => c.notNull())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('started_at', t.timestamp, (c) => c.notNull())
      .addColumn('last_seen_at', t.timestamp, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('host_coverage_resource').on('host_coverage').columns(['resource_id', 'last_seen_at']).execute();
    await db.schema.createIndex('host_coverage_account').on('host_coverage').columns(['account_id', 'last_seen_at']).execute();
  },
};
