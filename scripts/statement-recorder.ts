/**
 * Records every statement a store function sends, compiled as it was sent (SQL and
 * parameters), so a tool or test can ask the planner about each: what
 * `scripts/finding-index-plans.ts` and `test/db/partial-indexes.test.ts` plan.
 */
import type { CompiledQuery, KyselyPlugin } from 'kysely';
import type { Db } from '../src/db/connect.js';

export interface StatementRecorder {
  /** The database to hand to the store functions: the same connection, recording. */
  traced: Db;
  /** Runs `fn` and returns the statements it sent. */
  record(fn: () => Promise<unknown>): Promise<CompiledQuery[]>;
}

export function statementRecorder(db: Db): StatementRecorder {
  let captured: CompiledQuery[] = [];
  const executor = db.kysely.getExecutor();
  const capture: KyselyPlugin = {
    transformQuery: ({ node, queryId }) => {
      captured.push(executor.compileQuery(node, queryId));
      return node;
    },
    transformResult: async ({ result }) => result,
  };
  return {
    traced: { ...db, kysely: db.kysely.withPlugin(capture) },
    async record(fn) {
      captured = [];
      await fn();
      return captured;
    },
  };
}
