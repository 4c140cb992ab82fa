import type { Kysely } from 'kysely';
import type { DialectName, VigilMigration } from './types.js';

/**
 * The outbound policy of each watched registry: whether it may be reached on loopback and
 * private addresses (only the delegated administrator sets that), and the other hosts its
 * redirects and token realm may name. Existing registries get neither: a registry on a private
 * address stops syncing until the delegated administrator allows it (docs/continuous.md).
 * Numbered in the continuous-scanning range: it alters a table `0100-continuous` creates.
 */
export const registryOutbound: VigilMigration = {
  name: '0101-registry-outbound',
  async up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
    await db.schema
      .alterTable('registries')
      .addColumn('allow_private_network', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema
      .alterTable('registries')
      .addColumn('trusted_hosts', 'text', (c) => c.notNull().defaultTo('[]'))
      .execute();
  },
};
