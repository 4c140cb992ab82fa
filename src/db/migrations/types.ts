import type { Kysely } from 'kysely';

/** The SQL dialects the service runs on. */
export type DialectName = 'sqlite' | 'postgres';

/**
 * One schema migration. Migrations run in registry order, once each, inside the migrator's
 * lock; `name` is recorded in the database and must never change once released.
 */
export interface VigilMigration {
  /** Sortable, unique, e.g. `0001-core`. */
  readonly name: string;
  /** Applies the change; `dialect` picks column types where the two dialects differ. */
  up(db: Kysely<unknown>, dialect: DialectName): Promise<void>;
}

/** Column types that differ between the dialects. */
export interface DialectTypes {
  /** Epoch milliseconds. */
  readonly timestamp: 'integer' | 'bigint';
  readonly real: 'real' | 'double precision';
}

/** The column types for a dialect. */
export function dialectTypes(dialect: DialectName): DialectTypes {
  return dialect === 'postgres' ? { timestamp: 'bigint', real: 'double precision' } : { timestamp: 'integer', real: 'real' };
}
