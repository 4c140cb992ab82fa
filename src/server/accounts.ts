/**
 * The organization: accounts (one of them the delegated administrator) and API keys, the
 * principals. A key reads `vgl_<id>_<secret>`; only the SHA-256 of the secret is stored
 * (the secret is 32 random bytes, so a slow password hash adds nothing).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Db } from '../db/connect.js';
import type { AccountsTable, ApiKeysTable } from '../db/schema.js';
import { iso } from '../findings/model.js';
import type { AccountScope } from '../findings/scope.js';

/** Roles a key can carry. */
export const ROLES = ['admin', 'viewer', 'scanner'] as const;
/** A key's role: admin (configuration, rules, keys), viewer (read), scanner (submit scans only). */
export type Role = (typeof ROLES)[number];

/** Who is calling. */
export interface Principal {
  keyId: string;
  accountId: string;
  role: Role;
  /** True for keys of the delegated administrator account: they act across the organization. */
  delegatedAdmin: boolean;
}

/** The accounts a principal may read and manage. */
export function scopeOf(p: Principal): AccountScope {
  return p.delegatedAdmin ? 'ALL' : [p.accountId];
}

/** An account as the API shows it. */
export interface Account {
  id: string;
  name: string;
  delegatedAdmin: boolean;
  createdAt: string;
}

/** An API key as the API shows it (never its secret). */
export interface ApiKeyInfo {
  id: string;
  accountId: string;
  role: Role;
  name: string;
  createdAt: string;
  lastUsedAt?: string;
  revokedAt?: string;
}

/** Account ids: short, URL-safe. */
export const ACCOUNT_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** Converts a stored account to the API form. */
export function toAccount(row: AccountsTable): Account {
  return { id: row.id, name: row.name, delegatedAdmin: row.delegated_admin === 1, createdAt: iso(row.created_at)! };
}

/** Converts a stored key to the API form. */
export function toKeyInfo(row: ApiKeysTable): ApiKeyInfo {
  return { id: row.id, accountId: row.account_id, role: row.role as Role, name: row.name, createdAt: iso(row.created_at)!, lastUsedAt: iso(row.last_used_at), revokedAt: iso(row.revoked_at) };
}

/** Creates an account; throws if the id is taken or malformed. */
export async function createAccount(db: Db, id: string, name = id, delegatedAdmin = false): Promise<Account> {
  if (!ACCOUNT_ID.test(id)) throw new Error(`account id ${JSON.stringify(id)} must be 1-63 lowercase letters, digits, - or _, starting with a letter or digit`);
  const existing = await db.kysely.selectFrom('accounts').select('id').where('id', '=', id).executeTakeFirst();
  if (existing) throw new Error(`account ${id} already exists`);
  const row: AccountsTable = { id, name, delegated_admin: delegatedAdmin ? 1 : 0, created_at: Date.now() };
  await db.kysely.insertInto('accounts').values(row).execute();
  return toAccount(row);
}

/** Accounts in the scope. */
export async function listAccounts(db: Db, scope: AccountScope): Promise<Account[]> {
  let q = db.kysely.selectFrom('accounts').selectAll().orderBy('id');
  if (scope !== 'ALL') q = q.where('id', 'in', scope.length ? [...scope] : ['\u0000']);
  return (await q.execute()).map(toAccount);
}

/** One account, if it exists. */
export async function getAccount(db: Db, id: string): Promise<Account | undefined> {
  const row = await db.kysely.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toAccount(row) : undefined;
}

function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Creates a key for an existing account. The returned `key` is shown once and never stored. */
export async function createKey(db: Db, accountId: string, role: Role, name = `${role} key`): Promise<{ key: string; info: ApiKeyInfo }> {
  if (!(ROLES as readonly string[]).includes(role)) throw new Error(`role must be one of ${ROLES.join(', ')}; got ${role}`);
  if (!(await getAccount(db, accountId))) throw new Error(`account ${accountId} does not exist`);
  const id = randomBytes(9).toString('base64url').replace(/[-_]/g, 'x');
  const secret = randomBytes(32).toString('base64url');
  const row: ApiKeysTable = { id, account_id: accountId, role, name, secret_hash: hashSecret(secret), created_at: Date.now(), last_used_at: null, revoked_at: null };
  await db.kysely.insertInto('api_keys').values(row).execute();
  return { key: `vgl_${id}_${secret}`, info: toKeyInfo(row) };
}

/** Keys of accounts in the scope. */
export async function listKeys(db: Db, scope: AccountScope, accountId?: string): Promise<ApiKeyInfo[]> {
  let q = db.kysely.selectFrom('api_keys').selectAll().orderBy('created_at').orderBy('id');
  if (scope !== 'ALL') q = q.where('account_id', 'in', scope.length ? [...scope] : ['\u0000']);
  if (accountId) q = q.where('account_id', '=', accountId);
  return (await q.execute()).map(toKeyInfo);
}

/** Revokes a key in the scope; false when there is none. */
export async function revokeKey(db: Db, scope: AccountScope, id: string): Promise<boolean> {
  let q = db.kysely.updateTable('api_keys').set({ revoked_at: Date.now() }).where('id', '=', id).where('revoked_at', 'is', null);
  if (scope !== 'ALL') q = q.where('account_id', 'in', scope.length ? [...scope] : ['\u0000']);
  const result = await q.executeTakeFirst();
  const revoked = Number(result.numUpdatedRows) > 0;
  if (revoked) revocations.emit(id);
  return revoked;
}

/** Keys revoked in this process, by key id: open event streams of a key end at once. */
const revocations = new EventEmitter().setMaxListeners(0);

/** Calls `listener` when this process revokes the key; returns the unsubscribe function. */
export function onKeyRevoked(keyId: string, listener: () => void): () => void {
  revocations.on(keyId, listener);
  return () => revocations.off(keyId, listener);
}

/** True while the key exists and is not revoked (long-lived streams re-check their key with it). */
export async function keyIsActive(db: Db, keyId: string): Promise<boolean> {
  const row = await db.kysely.selectFrom('api_keys').select('revoked_at').where('id', '=', keyId).executeTakeFirst();
  return row !== undefined && row.revoked_at === null;
}

/** Resolves a presented key to its principal; undefined for unknown, malformed or revoked keys. */
export async function authenticate(db: Db, presented: string): Promise<Principal | undefined> {
  const m = /^vgl_([A-Za-z0-9]{12})_([A-Za-z0-9_-]{43})$/.exec(presented.trim());
  if (!m) return undefined;
  const row = await db.kysely
    .selectFrom('api_keys')
    .innerJoin('accounts', 'accounts.id', 'api_keys.account_id')
    .select(['api_keys.id', 'api_keys.account_id', 'api_keys.role', 'api_keys.secret_hash', 'api_keys.revoked_at', 'api_keys.last_used_at', 'accounts.delegated_admin'])
    .where('api_keys.id', '=', m[1])
    .executeTakeFirst();
  if (!row || row.revoked_at !== null) return undefined;
  const a = Buffer.from(row.secret_hash, 'hex');
  const b = Buffer.from(hashSecret(m[2]), 'hex');
  if (a.length !== b.length || !timingSafeEqual(a, b)) return undefined;
  const now = Date.now();
  // Record use at most once a minute: a write per request would serialize SQLite readers.
  if (row.last_used_at === null || now - row.last_used_at > 60_000) {
    await db.kysely.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', row.id).execute();
  }
  return { keyId: row.id, accountId: row.account_id, role: row.role as Role, delegatedAdmin: row.delegated_admin === 1 };
}

/**
 * First start: creates the organization (its delegated administrator account) and one
 * admin key, returned once. Later starts return `undefined`.
 */
export async function bootstrapOrganization(db: Db, opts: { adminAccount?: string; organization?: string } = {}): Promise<{ account: Account; key: string } | undefined> {
  return db.kysely.transaction().execute(async (trx) => {
    const tdb: Db = { ...db, kysely: trx };
    const marker = await trx.selectFrom('settings').select('value').where('key', '=', 'bootstrapped_at').executeTakeFirst();
    if (marker) return undefined;
    await trx.insertInto('settings').values({ key: 'bootstrapped_at', value: JSON.stringify(new Date().toISOString()) }).execute();
    await trx.insertInto('settings').values({ key: 'organization_name', value: JSON.stringify(opts.organization ?? 'Vigil') }).execute();
    const account = await createAccount(tdb, opts.adminAccount ?? 'admin', 'Delegated administrator', true);
    const { key } = await createKey(tdb, account.id, 'admin', 'bootstrap admin key');
    return { account, key };
  });
}
