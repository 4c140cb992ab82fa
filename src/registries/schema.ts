import type { Kysely } from 'kysely';
import type { Dialect } from '../events/schema.js';

/** A registry Vigil watches. */
export interface RegistriesTable {
  id: string;
  account_id: string;
  name: string;
  /** Base URL, e.g. `https://registry.example.com` or `http://127.0.0.1:5000`. */
  url: string;
  username: string | null;
  /** Password or token, sealed with the server key. */
  password_sealed: string | null;
  /** JSON array: ON_PUSH, SCHEDULED_SYNC. */
  modes: string;
  /** JSON arrays of repository globs. */
  include_patterns: string;
  exclude_patterns: string;
  /** LIFETIME, DAYS_SINCE_PUSH or DAYS_SINCE_PULL. */
  rescan_window: string;
  rescan_days: number | null;
  sync_every_minutes: number;
  /** SHA-256 (hex) of the token the registry sends with notifications. */
  hook_token_hash: string;
  /** JSON object of resource tags given to this registry's images. */
  resource_tags: string;
  /** 1: loopback and private addresses may be reached (set by the delegated administrator). */
  allow_private_network: number;
  /** JSON array of hosts redirects and token realms may name besides the registry's own. */
  trusted_hosts: string;
  created_at: number;
  last_sync_at: number | null;
  last_sync_error: string | null;
}

/** One image (repository + manifest digest) seen in a registry. */
export interface RegistryImagesTable {
  registry_id: string;
  repository: string;
  digest: string;
  media_type: string;
  /** JSON array of tags pointing at it (as last seen). */
  tags: string;
  pushed_at: number;
  last_pulled_at: number | null;
  /** The scan job queued for it, if any. */
  scan_job_id: string | null;
  /** Set once the image left its rescan window. */
  expired_at: number | null;
}

/** The tables this module owns. */
export interface RegistriesDatabase {
  registries: RegistriesTable;
  registry_images: RegistryImagesTable;
}

/** Creates the registry tables. */
export const registriesMigration = {
  name: '0101-registries',
  async up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
    const ts = dialect === 'postgres' ? 'bigint' : 'integer';
    await db.schema
      .createTable('registries')
      .ifNotExists()
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('username', 'text')
      .addColumn('password_sealed', 'text')
      .addColumn('modes', 'text', (c) => c.notNull())
      .addColumn('include_patterns', 'text', (c) => c.notNull())
      .addColumn('exclude_patterns', 'text', (c) => c.notNull())
      .addColumn('rescan_window', 'text', (c) => c.notNull())
      .addColumn('rescan_days', 'integer')
      .addColumn('sync_every_minutes', 'integer', (c) => c.notNull())
      .addColumn('hook_token_hash', 'text', (c) => c.notNull())
      .addColumn('resource_tags', 'text', (c) => c.notNull().defaultTo('{}'))
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('last_sync_at', ts)
      .addColumn('last_sync_error', 'text')
      .execute();
    await db.schema
      .createTable('registry_images')
      .ifNotExists()
      .addColumn('registry_id', 'text', (c) => c.notNull().references('registries.id').onDelete('cascade'))
      .addColumn('repository', 'text', (c) => c.notNull())
      .addColumn('digest', 'text', (c) => c.notNull())
      .addColumn('media_type', 'text', (c) => c.notNull())
      .addColumn('tags', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('pushed_at', ts, (c) => c.notNull())
      .addColumn('last_pulled_at', ts)
      .addColumn('scan_job_id', 'text')
      .addColumn('expired_at', ts)
      .addPrimaryKeyConstraint('registry_images_pk', ['registry_id', 'repository', 'digest'])
      .execute();
  },
};
