import type { Kysely } from 'kysely';
import type { DialectName, VigilMigration } from '../db/migrations/types.js';
import { eventsMigration } from '../events/schema.js';
import { registriesMigration } from '../registries/schema.js';
import { jobsMigration } from './schema.js';

/**
 * Tables of continuous scanning: the SQLite job queue, the event log with webhook
 * subscriptions and deliveries, and watched registries with the images seen in them.
 */
export const continuousMigration: VigilMigration = {
  name: '0100-continuous',
  async up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
    await jobsMigration.up(db);
    await eventsMigration.up(db, dialect);
    await registriesMigration.up(db, dialect);
  },
};
