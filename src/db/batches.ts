/**
 * Splitting work into statements of bounded size: multi-row inserts and `IN (…)` lists must
 * stay under the dialects' bound-parameter limits (SQLite 32,766, PostgreSQL 65,535).
 */

/** Bound parameters one statement may carry on either dialect. */
const PARAMETER_BUDGET = 30_000;

/** Rows per multi-row statement for a table row of `columns` values. */
export function rowsPerStatement(columns: number): number {
  return Math.max(1, Math.floor(PARAMETER_BUDGET / columns));
}

/** Splits a list into slices of at most `size`. */
export function chunks<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}
