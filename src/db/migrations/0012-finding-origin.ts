import type { Kysely } from 'kysely';
import type { VigilMigration } from './types.js';

/**
 * `findings.origin`: for a container image whose base image is known, whether the finding's
 * package came with the base (`BASE_IMAGE`) or was added on it (`APPLICATION`); null when
 * the base is unknown or the resource is not an image. Indexed per account for the filter and
 * the aggregation by origin.
 *
 * `image_layers`: each stored image's layer list (diff ids, bottom to top) and its base-image
 * annotations, kept small beside the inventory so that finding an image's base (a stored image
 * whose layers are a prefix of its own) reads rows of a few hundred bytes, not inventories.
 */
export const findingOrigin: VigilMigration = {
  name: '0012-finding-origin',
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('findings').addColumn('origin', 'text').execute();
    await db.schema.createIndex('findings_account_origin').on('findings').columns(['account_id', 'origin', 'status']).execute();
    await db.schema
      .createTable('image_layers')
      .addColumn('resource_id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('inventory_version', 'integer', (c) => c.notNull())
      .addColumn('first_layer', 'text', (c) => c.notNull())
      .addColumn('layer_count', 'integer', (c) => c.notNull())
      .addColumn('layers', 'text', (c) => c.notNull())
      .addColumn('layer_digests', 'text', (c) => c.notNull())
      .addColumn('base_name', 'text')
      .addColumn('base_digest', 'text')
      .addColumn('created', 'text')
      .execute();
    await db.schema.createIndex('image_layers_account_first').on('image_layers').columns(['account_id', 'first_layer']).execute();
  },
};
