/**
 * Suppression rules: filter criteria plus a reason, an optional expiry and an optional
 * VEX-style justification. A rule suppresses the ACTIVE findings it matches now and every
 * matching finding that appears later; deleting or expiring it restores them to ACTIVE
 * (unless another rule still matches). Organization-wide rules (no account) match every
 * account's findings.
 */
import { randomUUID } from 'node:crypto';
import { sql, type SqlBool } from 'kysely';
import type { Db } from '../db/connect.js';
import type { FindingsTable, SuppressionRulesTable } from '../db/schema.js';
import { criteriaSql, isEmptyCriteria, type FilterCriteria } from './criteria.js';
import { iso } from './model.js';
import { scopeSql, type AccountScope } from './scope.js';
import { markSummary } from './summary.js';

import type { Justification } from './justifications.js';
export { JUSTIFICATIONS, type Justification } from './justifications.js';

/** Where a rule came from, when a document made it: which document, whose, which statement. */
export interface RuleProvenance {
  source: 'openvex' | 'cyclonedx-vex';
  /** The document's id (`@id`, `serialNumber`) or, lacking one, the name it was sent under. */
  document: string;
  author?: string;
  timestamp?: string;
  /** The statement the rule applies, as the document wrote it (trimmed to what identifies it). */
  statement: Record<string, unknown>;
}

/** A rule as the API shows it. */
export interface SuppressionRule {
  id: string;
  /** Absent for an organization-wide rule. */
  accountId?: string;
  name: string;
  reason: string;
  justification?: Justification;
  criteria: FilterCriteria;
  expiresAt?: string;
  state: 'ACTIVE' | 'EXPIRED';
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  provenance?: RuleProvenance;
}

/** What creating a rule needs. */
export interface RuleInput {
  accountId: string | null;
  name: string;
  reason: string;
  justification?: Justification;
  criteria: FilterCriteria;
  expiresAt?: number;
  createdBy: string;
  provenance?: RuleProvenance;
}

/** Converts a stored rule to the API form. */
export function toRule(row: SuppressionRulesTable, now = Date.now()): SuppressionRule {
  return {
    id: row.id,
    accountId: row.account_id ?? undefined,
    name: row.name,
    reason: row.reason,
    justification: (row.justification as Justification | null) ?? undefined,
    criteria: JSON.parse(row.criteria) as FilterCriteria,
    expiresAt: iso(row.expires_at),
    state: row.expires_at !== null && row.expires_at <= now ? 'EXPIRED' : 'ACTIVE',
    createdBy: row.created_by,
    createdAt: iso(row.created_at)!,
    updatedAt: iso(row.updated_at)!,
    ...(row.provenance ? { provenance: JSON.parse(row.provenance) as RuleProvenance } : {}),
  };
}

/** Rejects criteria a rule cannot hold. */
export function checkRuleCriteria(criteria: FilterCriteria): void {
  if (isEmptyCriteria(criteria)) throw new Error('a suppression rule needs at least one filter (an empty rule would suppress everything)');
  if (criteria.status?.length) throw new Error('a suppression rule cannot filter on status: it sets the status');
}

/** SQL for the findings a rule may touch: its criteria within its account (or all, org-wide). */
function ruleMatch(db: Db, rule: Pick<SuppressionRulesTable, 'account_id' | 'criteria'>) {
  const criteria = JSON.parse(rule.criteria) as FilterCriteria;
  const where = criteriaSql(criteria, db.dialect);
  return rule.account_id === null ? where : sql<SqlBool>`(findings.account_id = ${rule.account_id} AND ${where})`;
}

/** What a status change needs of a finding: its timeline's keys and the summaries' keys. */
const FINDING_REF = ['id', 'account_id', 'resource_id', 'vulnerability_id'] as const;
type FindingRef = Pick<FindingsTable, (typeof FINDING_REF)[number]>;

async function setStatus(db: Db, ids: FindingRef[], to: 'ACTIVE' | 'SUPPRESSED', ruleId: string | null, at: number, event: string): Promise<void> {
  for (let i = 0; i < ids.length; i += 500) {
    const batch = ids.slice(i, i + 500);
    await db.kysely
      .updateTable('findings')
      .set({ status: to, suppressed_by: ruleId, updated_at: at })
      .where('id', 'in', batch.map((b) => b.id))
      .execute();
    // Each one enters or leaves the ACTIVE findings the summaries count.
    await markSummary(db.kysely, { resourceIds: batch.map((b) => b.resource_id), vulnerabilityIds: batch.map((b) => b.vulnerability_id) });
    await db.kysely
      .insertInto('finding_events')
      .values(batch.map((b) => ({ finding_id: b.id, account_id: b.account_id, at, event, detail: JSON.stringify({ ruleId: ruleId ?? undefined }) })))
      .execute();
  }
}

/** Suppresses the ACTIVE findings a rule matches (optionally only one resource's). */
async function applyRule(db: Db, rule: SuppressionRulesTable, at: number, resourceId?: string): Promise<number> {
  let q = db.kysely.selectFrom('findings').select(FINDING_REF).where('status', '=', 'ACTIVE').where(ruleMatch(db, rule));
  if (resourceId) q = q.where('resource_id', '=', resourceId);
  const ids = await q.execute();
  await setStatus(db, ids, 'SUPPRESSED', rule.id, at, 'SUPPRESSED');
  return ids.length;
}

/** Rules in force now that may match an account's findings (its own and org-wide). */
async function rulesInForce(db: Db, accountId: string | null, at: number): Promise<SuppressionRulesTable[]> {
  let q = db.kysely
    .selectFrom('suppression_rules')
    .selectAll()
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', at)]));
  if (accountId !== null) q = q.where((eb) => eb.or([eb('account_id', 'is', null), eb('account_id', '=', accountId)]));
  return q.orderBy('created_at').orderBy('id').execute();
}

/** Creates a rule and suppresses what it matches now, in one transaction. */
export async function createRule(db: Db, input: RuleInput, at = Date.now()): Promise<{ rule: SuppressionRule; suppressed: number }> {
  return db.kysely.transaction().execute((trx) => insertRule({ ...db, kysely: trx }, input, at));
}

/**
 * Creates a rule and suppresses what it matches now, in the caller's transaction (`db` opened
 * on one): what applies several rules all-or-nothing, such as a VEX document, calls.
 */
export async function insertRule(db: Db, input: RuleInput, at = Date.now()): Promise<{ rule: SuppressionRule; suppressed: number }> {
  checkRuleCriteria(input.criteria);
  if (input.expiresAt !== undefined && input.expiresAt <= at) throw new Error('expiresAt must be in the future');
  const row: SuppressionRulesTable = {
    id: randomUUID(),
    account_id: input.accountId,
    name: input.name,
    reason: input.reason,
    justification: input.justification ?? null,
    criteria: JSON.stringify(input.criteria),
    expires_at: input.expiresAt ?? null,
    created_by: input.createdBy,
    created_at: at,
    updated_at: at,
    provenance: input.provenance ? JSON.stringify(input.provenance) : null,
  };
  await db.kysely.insertInto('suppression_rules').values(row).execute();
  const suppressed = await applyRule(db, row, at);
  return { rule: toRule(row, at), suppressed };
}

/** Rules visible in the scope: the scope's own and the organization-wide ones. */
export async function listRules(db: Db, scope: AccountScope): Promise<SuppressionRule[]> {
  const now = Date.now();
  const rows = await db.kysely
    .selectFrom('suppression_rules')
    .selectAll()
    .where((eb) => eb.or([eb('account_id', 'is', null), scopeSql(scope, 'suppression_rules.account_id')]))
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map((r) => toRule(r, now));
}

/** One rule, if visible in the scope. */
export async function getRule(db: Db, scope: AccountScope, id: string): Promise<SuppressionRulesTable | undefined> {
  return db.kysely
    .selectFrom('suppression_rules')
    .selectAll()
    .where('id', '=', id)
    .where((eb) => eb.or([eb('account_id', 'is', null), scopeSql(scope, 'suppression_rules.account_id')]))
    .executeTakeFirst();
}

/** Restores a rule's findings to ACTIVE, then lets the remaining rules in force claim them. */
async function release(db: Db, rule: SuppressionRulesTable, at: number): Promise<number> {
  const ids = await db.kysely.selectFrom('findings').select(FINDING_REF).where('suppressed_by', '=', rule.id).where('status', '=', 'SUPPRESSED').execute();
  await setStatus(db, ids, 'ACTIVE', null, at, 'UNSUPPRESSED');
  const accounts = [...new Set(ids.map((i) => i.account_id))];
  const others = (await rulesInForce(db, null, at)).filter((r) => r.id !== rule.id && (r.account_id === null || accounts.includes(r.account_id)));
  for (const other of others) await applyRule(db, other, at);
  return ids.length;
}

/** Deletes a rule (already checked as allowed) and restores its findings. */
export async function deleteRule(db: Db, rule: SuppressionRulesTable, at = Date.now()): Promise<number> {
  return db.kysely.transaction().execute(async (trx) => {
    const tdb: Db = { ...db, kysely: trx };
    await trx.deleteFrom('suppression_rules').where('id', '=', rule.id).execute();
    return release(tdb, rule, at);
  });
}

/** What editing a rule may change: its scope and account stay (delete and recreate to move it). */
export interface RuleChanges {
  name?: string;
  reason?: string;
  /** `null` removes the justification. */
  justification?: Justification | null;
  criteria?: FilterCriteria;
  /** `null` removes the expiry. */
  expiresAt?: number | null;
}

/**
 * Edits a rule (already checked as allowed). When what it matches may change (criteria or
 * expiry), its findings are released and the edited rule applied again, in one
 * transaction, so a finding is never left ACTIVE while a rule in force matches it.
 */
export async function updateRule(db: Db, rule: SuppressionRulesTable, changes: RuleChanges, at = Date.now()): Promise<{ rule: SuppressionRule; restored: number; suppressed: number }> {
  if (changes.criteria) checkRuleCriteria(changes.criteria);
  if (changes.expiresAt !== undefined && changes.expiresAt !== null && changes.expiresAt <= at) throw new Error('expiresAt must be in the future');
  const next: SuppressionRulesTable = {
    ...rule,
    name: changes.name ?? rule.name,
    reason: changes.reason ?? rule.reason,
    justification: changes.justification === undefined ? rule.justification : changes.justification,
    criteria: changes.criteria ? JSON.stringify(changes.criteria) : rule.criteria,
    expires_at: changes.expiresAt === undefined ? rule.expires_at : changes.expiresAt,
    updated_at: at,
  };
  const rematch = next.criteria !== rule.criteria || next.expires_at !== rule.expires_at;
  const { restored, suppressed } = await db.kysely.transaction().execute(async (trx) => {
    const tdb: Db = { ...db, kysely: trx };
    await trx
      .updateTable('suppression_rules')
      .set({ name: next.name, reason: next.reason, justification: next.justification, criteria: next.criteria, expires_at: next.expires_at, updated_at: at })
      .where('id', '=', rule.id)
      .execute();
    if (!rematch) return { restored: 0, suppressed: 0 };
    const released = await release(tdb, rule, at);
    const inForce = next.expires_at === null || next.expires_at > at;
    return { restored: released, suppressed: inForce ? await applyRule(tdb, next, at) : 0 };
  });
  return { rule: toRule(next, at), restored, suppressed };
}

/**
 * Restores the findings of rules whose expiry has passed. The rules stay (state EXPIRED)
 * for the record. Safe to run often; the jobs queue schedules it.
 */
export async function expireRules(db: Db, at = Date.now()): Promise<{ rules: number; restored: number }> {
  const expired = await db.kysely.selectFrom('suppression_rules').selectAll().where('expires_at', 'is not', null).where('expires_at', '<=', at).execute();
  let rules = 0;
  let restored = 0;
  for (const rule of expired) {
    const n = await db.kysely.transaction().execute((trx) => release({ ...db, kysely: trx }, rule, at));
    if (n > 0) rules++;
    restored += n;
  }
  return { rules, restored };
}

/** Applies every rule in force to one resource's ACTIVE findings (after a scan). */
export async function applyRulesToResource(db: Db, resource: { id: string; account_id: string }, at: number): Promise<number> {
  let n = 0;
  for (const rule of await rulesInForce(db, resource.account_id, at)) n += await applyRule(db, rule, at, resource.id);
  return n;
}

/**
 * What a draft rule would suppress: the count of ACTIVE findings it matches in its
 * account (or in the scope, org-wide) and the ids of the first few.
 */
export async function previewRule(db: Db, scope: AccountScope, accountId: string | null, criteria: FilterCriteria, limit = 20): Promise<{ count: number; findingIds: string[] }> {
  checkRuleCriteria(criteria);
  const where = criteriaSql(criteria, db.dialect);
  const base = () => {
    let q = db.kysely.selectFrom('findings').where('status', '=', 'ACTIVE').where(where).where(scopeSql(scope, 'findings.account_id'));
    if (accountId !== null) q = q.where('account_id', '=', accountId);
    return q;
  };
  const count = await base().select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const ids = await base().select('id').orderBy('score', 'desc').orderBy('id', 'desc').limit(limit).execute();
  return { count: Number(count.n), findingIds: ids.map((r) => r.id) };
}

/**
 * Rules in force in the scope whose criteria match no open (ACTIVE or SUPPRESSED) finding
 * in the scope: an organization-wide rule counts as unused for a member account when none
 * of that account's findings match it, whatever other accounts hold (which the member must
 * not learn).
 */
export async function unusedRules(db: Db, scope: AccountScope): Promise<SuppressionRule[]> {
  const now = Date.now();
  const out: SuppressionRule[] = [];
  for (const rule of await listRules(db, scope)) {
    if (rule.state !== 'ACTIVE') continue;
    const row = await getRule(db, scope, rule.id);
    if (!row) continue;
    const hit = await db.kysely
      .selectFrom('findings')
      .select('id')
      .where('status', '<>', 'CLOSED')
      .where(ruleMatch(db, row))
      .where(scopeSql(scope, 'findings.account_id'))
      .limit(1)
      .executeTakeFirst();
    if (!hit) out.push(toRule(row, now));
  }
  return out;
}
