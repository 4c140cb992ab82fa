import { sql, type RawBuilder, type SqlBool } from 'kysely';

/**
 * Which accounts a request may see: every account (the delegated administrator) or a list
 * (usually one). Every store query takes one, so no read or write can cross accounts.
 */
export type AccountScope = 'ALL' | readonly string[];

/** SQL predicate restricting `column` (e.g. `findings.account_id`) to the scope. */
export function scopeSql(scope: AccountScope, column: string): RawBuilder<SqlBool> {
  if (scope === 'ALL') return sql<SqlBool>`1 = 1`;
  if (scope.length === 0) return sql<SqlBool>`1 = 0`;
  return sql<SqlBool>`${sql.ref(column)} IN (${sql.join(scope.map((a) => sql`${a}`))})`;
}

/** True when the scope includes the account. */
export function inScope(scope: AccountScope, accountId: string | null): boolean {
  if (scope === 'ALL') return true;
  return accountId !== null && scope.includes(accountId);
}
