import type { Kysely } from 'kysely';

/**
 * Any Kysely instance, whatever its table map: continuous-scanning modules own their own
 * tables (typed locally) inside the service database, whose `Database` type does not list
 * them.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyKysely = Kysely<any>;
