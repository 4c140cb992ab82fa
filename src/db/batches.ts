/**
 * Splitting work into statements of bounded size: multi-row inserts and `IN (…)` lists must
 * stay under the dialects' bound-parameter limits (SQLite 32,766, PostgreSQL 65,535).
 */
import type BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, type Insertable } from 'kysely';
import type { Db } from './connect.js';
import type { Database } from './schema.js';

/**
 * Bound parameters one multi-row statement carries: well under the dialects' limits, since
 * PostgreSQL takes longer per row to parse and plan a longer VALUES list: 32,000 finding rows
 * took 4.3–4.9 s in statements of 882 rows (30,000 parameters) against 2.9–3.6 s in
 * statements of 200–400 (and 3.3–4.1 s of 50–100, more round trips).
 */
const PARAMETER_BUDGET = 8_000;

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

/**
 * The text of a PostgreSQL INSERT of `rows` rows. Full-size statements are remembered by table
 * and columns (a batch is mostly those): Kysely took ≈ 12 ms to build each statement of
 * thousands of parameters, ≈ 6 s of a 10,000-inventory evaluation's 370. Each also gets a
 * prepared-statement name (see {@link preparedStatementName}).
 */
const fullInsertTexts = new Map<string, string>();
const statementNames = new Map<string, string>();

function multiRowInsert(table: string, columns: readonly string[], rows: number): string {
  const full = rows === rowsPerStatement(columns.length);
  const key = `${table}\u0000${columns.join(',')}`;
  let text = full ? fullInsertTexts.get(key) : undefined;
  if (!text) {
    const tuples: string[] = [];
    for (let r = 0; r < rows; r++) tuples.push(`(${columns.map((_, c) => `$${r * columns.length + c + 1}`).join(', ')})`);
    text = `INSERT INTO "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) VALUES ${tuples.join(', ')}`;
    if (full) {
      fullInsertTexts.set(key, text);
      statementNames.set(text, `vigil_insert_${statementNames.size + 1}`);
    }
  }
  return text;
}

/**
 * The name under which PostgreSQL should keep `text` prepared on a connection, for the few
 * statements sent over and over (full-size multi-row INSERTs); undefined for any other. A
 * named statement is parsed once per connection and, after a few runs, planned once: a
 * multi-row INSERT sent unnamed is parsed and planned again each time, which cost PostgreSQL
 * more than inserting its rows. db/prepared-pool.ts sends it under this name.
 */
export function preparedStatementName(text: string): string | undefined {
  return statementNames.get(text);
}

/** The rows' values in column order, one after another (absent values as NULL). */
function valuesOf(rows: readonly object[], columns: readonly string[]): unknown[] {
  const out = new Array<unknown>(rows.length * columns.length);
  let i = 0;
  for (const row of rows) {
    const r = row as Record<string, unknown>;
    for (const c of columns) out[i++] = r[c] ?? null;
  }
  return out;
}

/** Prepared INSERTs per SQLite connection, by table and column list. */
const prepared = new WeakMap<BetterSqlite3.Database, Map<string, BetterSqlite3.Statement>>();

/**
 * Inserts rows that all have the same columns (those of the first row). On SQLite one cached
 * prepared single-row INSERT runs per row: better-sqlite3 binds a row in microseconds, where
 * building, compiling and parsing a multi-row statement per batch cost more than SQLite's own
 * work (≈ 1.5 s of a 2,000-inventory first evaluation). PostgreSQL, where each statement is a
 * round trip, takes multi-row statements ({@link multiRowInsert}). On SQLite it must run inside
 * a transaction (it throws otherwise).
 */
export async function insertRows<T extends keyof Database & string>(db: Db, table: T, rows: readonly Insertable<Database[T]>[]): Promise<void> {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!);
  if (db.dialect === 'postgres') {
    for (const slice of chunks(rows, rowsPerStatement(columns.length))) await db.kysely.executeQuery(CompiledQuery.raw(multiRowInsert(table, columns, slice.length), valuesOf(slice, columns)));
    return;
  }
  if (!db.sqlite) {
    for (const slice of chunks(rows, rowsPerStatement(columns.length))) await db.kysely.insertInto(table).values(slice as never).execute();
    return;
  }
  // The raw connection bypasses Kysely's connection lock: outside a transaction of its own
  // caller, a row could land in another caller's open transaction.
  if (!db.kysely.isTransaction) throw new Error(`insertRows into ${table} on SQLite runs inside a transaction`);
  let statements = prepared.get(db.sqlite);
  if (!statements) prepared.set(db.sqlite, (statements = new Map()));
  const key = `${table}\u0000${columns.join(',')}`;
  let statement = statements.get(key);
  if (!statement) {
    statement = db.sqlite.prepare(`INSERT INTO "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`);
    statements.set(key, statement);
  }
  const values: unknown[] = new Array(columns.length);
  for (const row of rows) {
    const r = row as Record<string, unknown>;
    for (let i = 0; i < columns.length; i++) values[i] = r[columns[i]!] ?? null;
    statement.run(values);
  }
}
