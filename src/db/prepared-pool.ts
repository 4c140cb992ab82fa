/**
 * pg's pool as Kysely's PostgreSQL dialect takes it, with clients that send the statements
 * db/batches.ts names ({@link preparedStatementName}) as named prepared statements. Kysely
 * sends every statement unnamed, so PostgreSQL parses and plans each again; pg parses a named
 * one once per connection and PostgreSQL switches it to one cached plan after a few runs. A
 * statement of 8,000 parameters holds ≈ 2.7 MiB of the server's memory per connection that ran
 * it, until pg's pool closes the idle connection (docs/continuous.md, "Running").
 */
import type { PostgresPool, PostgresPoolClient } from 'kysely';
import type pg from 'pg';
import { preparedStatementName } from './batches.js';

/** `pool`, handing out clients that name the statements batches.ts names. */
export function preparingPool(pool: pg.Pool): PostgresPool {
  // One wrapper per pg client: Kysely keeps its connection objects by client identity.
  const wrappers = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  const wrap = (client: pg.PoolClient): PostgresPoolClient => ({
    query: ((sqlOrCursor: unknown, parameters?: unknown[]): unknown => {
      const name = typeof sqlOrCursor === 'string' ? preparedStatementName(sqlOrCursor) : undefined;
      if (name) return client.query({ name, text: sqlOrCursor as string, values: parameters });
      return client.query(sqlOrCursor as never, parameters);
    }) as PostgresPoolClient['query'],
    release: (destroy?: boolean) => client.release(destroy),
  });
  return {
    async connect() {
      const client = await pool.connect();
      let wrapper = wrappers.get(client);
      if (!wrapper) wrappers.set(client, (wrapper = wrap(client)));
      return wrapper;
    },
    end: () => pool.end(),
  };
}
