/**
 * Remediation SLAs: the organization's days-to-remediate per severity (with per-account
 * overrides), each finding's due date and SLA status, and the SQL that filters and groups
 * by that status. Nothing is stored per finding: the due date is `firstObservedAt` plus the
 * policy's days, so a policy change applies at once to every finding, and the status is
 * computed against the clock at query time.
 *
 * Status: BREACHED once the due date has passed (for a closed finding: it closed after its
 * due date); DUE_SOON while open and due within `dueSoonDays` (default 7); WITHIN otherwise.
 * INFORMATIONAL and UNTRIAGED findings have no SLA: no due date, no status.
 */
import { sql, type RawBuilder, type SqlBool } from 'kysely';
import { z } from 'zod';
import type { Db } from '../db/connect.js';
import type { StringFilter } from './criteria.js';
import { severityRank } from './model.js';

/** SLA statuses. */
export const SLA_STATUSES = ['WITHIN', 'DUE_SOON', 'BREACHED'] as const;
/** A finding's SLA status. */
export type SlaStatus = (typeof SLA_STATUSES)[number];

/** Severities an SLA applies to. */
export const SLA_SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'] as const;
/** A severity with an SLA. */
export type SlaSeverity = (typeof SLA_SEVERITIES)[number];

const DAY = 86_400_000;
const days = z.number().int().min(1).max(3650);

/** Days to remediate per severity; every severity given. */
const daysSchema = z.object({ CRITICAL: days, HIGH: days, MEDIUM: days, LOW: days }).strict();
/** An account's overrides: any subset of the severities. */
const overrideSchema = daysSchema.partial();

/** The stored and edited policy. */
export const slaPolicySchema = z
  .object({
    /** Organization default days to remediate, per severity. */
    days: daysSchema.default({ CRITICAL: 15, HIGH: 30, MEDIUM: 90, LOW: 180 }),
    /** An open finding due within this many days is DUE_SOON. */
    dueSoonDays: z.number().int().min(0).max(365).default(7),
    /** Per-account overrides of `days`, by account id. */
    accounts: z.record(z.string().min(1).max(128), overrideSchema).default({}),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (Object.keys(p.accounts).length > 1000) ctx.addIssue({ code: 'custom', path: ['accounts'], message: 'at most 1000 account overrides' });
  });
/** The SLA policy. */
export type SlaPolicy = z.output<typeof slaPolicySchema>;

const KEY = 'sla-policy';

/** Reads the policy, defaults filled in. */
export async function getSlaPolicy(db: Db): Promise<SlaPolicy> {
  const row = await db.kysely.selectFrom('settings').select('value').where('key', '=', KEY).executeTakeFirst();
  return slaPolicySchema.parse(row ? JSON.parse(row.value) : {});
}

/** Replaces the policy (already validated); returns it with defaults filled in. */
export async function putSlaPolicy(db: Db, policy: SlaPolicy): Promise<SlaPolicy> {
  const next = slaPolicySchema.parse(policy);
  const value = JSON.stringify(next);
  await db.kysely.insertInto('settings').values({ key: KEY, value }).onConflict((oc) => oc.column('key').doUpdateSet({ value })).execute();
  return next;
}

/** A policy and the instant statuses are judged at. */
export interface SlaClock {
  policy: SlaPolicy;
  /** Epoch milliseconds. */
  now: number;
}

/** The policy and the current time, for one request. */
export async function slaClock(db: Db, now = Date.now()): Promise<SlaClock> {
  return { policy: await getSlaPolicy(db), now };
}

/** Days to remediate a finding of this severity in this account; undefined when no SLA applies. */
export function slaDays(policy: SlaPolicy, accountId: string, severity: string): number | undefined {
  if (!(SLA_SEVERITIES as readonly string[]).includes(severity)) return undefined;
  const s = severity as SlaSeverity;
  return policy.accounts[accountId]?.[s] ?? policy.days[s];
}

/** A finding's due date and status. */
export interface FindingSla {
  /** Epoch milliseconds. */
  dueAt: number;
  slaStatus: SlaStatus;
}

/** The facts of a finding the SLA depends on. */
export interface SlaFacts {
  accountId: string;
  severity: string;
  firstObservedAt: number;
  closedAt: number | null;
}

/** A finding's due date and status at the clock's time; undefined for severities without an SLA. */
export function findingSla(f: SlaFacts, clock: SlaClock): FindingSla | undefined {
  const d = slaDays(clock.policy, f.accountId, f.severity);
  if (d === undefined) return undefined;
  const dueAt = f.firstObservedAt + d * DAY;
  if (f.closedAt !== null) return { dueAt, slaStatus: f.closedAt > dueAt ? 'BREACHED' : 'WITHIN' };
  if (clock.now > dueAt) return { dueAt, slaStatus: 'BREACHED' };
  return { dueAt, slaStatus: dueAt - clock.now <= clock.policy.dueSoonDays * DAY ? 'DUE_SOON' : 'WITHIN' };
}

/** One (accounts, severity, days) case of the policy: overridden accounts first, then the rest. */
interface PolicyCase {
  account: RawBuilder<SqlBool>;
  rank: number;
  dueMs: number;
}

function policyCases(policy: SlaPolicy, accountColumn: string): PolicyCase[] {
  const col = sql.ref(accountColumn);
  const overridden = Object.keys(policy.accounts);
  const cases: PolicyCase[] = [];
  for (const [accountId, o] of Object.entries(policy.accounts)) {
    for (const s of SLA_SEVERITIES) {
      if (o[s] !== undefined) cases.push({ account: sql<SqlBool>`${col} = ${accountId}`, rank: severityRank(s), dueMs: o[s] * DAY });
    }
  }
  for (const s of SLA_SEVERITIES) {
    // The default applies to accounts without an override for this severity.
    const excluded = overridden.filter((a) => policy.accounts[a][s] !== undefined);
    const account = excluded.length ? sql<SqlBool>`${col} NOT IN (${sql.join(excluded.map((a) => sql`${a}`))})` : sql<SqlBool>`1 = 1`;
    cases.push({ account, rank: severityRank(s), dueMs: policy.days[s] * DAY });
  }
  return cases;
}

/** The statuses a set of string filters on `slaStatus` admits. */
export function admittedStatuses(filters: StringFilter[]): SlaStatus[] {
  const positive = filters.filter((f) => f.comparison !== 'NOT_EQUALS');
  let set: SlaStatus[] = positive.length
    ? SLA_STATUSES.filter((s) => positive.some((f) => (f.comparison === 'EQUALS' ? f.value === s : s.startsWith(f.value))))
    : [...SLA_STATUSES];
  for (const f of filters) if (f.comparison === 'NOT_EQUALS') set = set.filter((s) => s !== f.value);
  return set;
}

/**
 * A predicate over the `findings` table (unaliased) true for findings in one of these SLA
 * statuses. Open findings compare `first_observed_at` with a bound per severity (and per
 * account override), which the indexes on (status, closed_at, severity_rank,
 * first_observed_at, …) and (account_id, severity_rank, first_observed_at) serve; closed
 * findings compare their time to close with the allowance.
 */
export function slaStatusSql(statuses: readonly SlaStatus[], clock: SlaClock): RawBuilder<SqlBool> {
  const branches = slaStatusBranches(statuses, clock);
  if (branches.length === 0) return sql<SqlBool>`1 = 0`;
  return sql<SqlBool>`(${sql.join(branches, sql` OR `)})`;
}

/**
 * The disjoint parts of {@link slaStatusSql}, one per severity and allowance (each names one
 * `severity_rank` and its accounts): a sorted search can read each through an index on
 * (…, severity_rank, first_observed_at) and merge them.
 */
export function slaStatusBranches(statuses: readonly SlaStatus[], clock: SlaClock): RawBuilder<SqlBool>[] {
  if (statuses.length === 0) return [];
  const first = sql.ref('findings.first_observed_at');
  const closed = sql.ref('findings.closed_at');
  const soon = clock.policy.dueSoonDays * DAY;
  const branches: RawBuilder<SqlBool>[] = [];
  for (const c of policyCases(clock.policy, 'findings.account_id')) {
    // Open: BREACHED when first < now - due; DUE_SOON when now - due <= first <= now - due + soon.
    const breachBound = clock.now - c.dueMs;
    const open: RawBuilder<SqlBool>[] = [];
    const done: RawBuilder<SqlBool>[] = [];
    if (statuses.includes('BREACHED')) {
      open.push(sql<SqlBool>`${first} < ${breachBound}`);
      done.push(sql<SqlBool>`${closed} - ${first} > ${c.dueMs}`);
    }
    if (statuses.includes('DUE_SOON')) open.push(sql<SqlBool>`(${first} >= ${breachBound} AND ${first} <= ${breachBound + soon})`);
    if (statuses.includes('WITHIN')) {
      open.push(sql<SqlBool>`${first} > ${breachBound + soon}`);
      done.push(sql<SqlBool>`${closed} - ${first} <= ${c.dueMs}`);
    }
    const parts: RawBuilder<SqlBool>[] = [];
    if (open.length) parts.push(sql<SqlBool>`(${closed} IS NULL AND (${sql.join(open, sql` OR `)}))`);
    if (done.length) parts.push(sql<SqlBool>`(${closed} IS NOT NULL AND (${sql.join(done, sql` OR `)}))`);
    branches.push(sql<SqlBool>`(findings.severity_rank = ${c.rank} AND ${c.account} AND (${sql.join(parts, sql` OR `)}))`);
  }
  return branches;
}

/** SQL for a finding's allowance in milliseconds (NULL when no SLA applies), over `findings`. */
export function dueMsSql(policy: SlaPolicy): RawBuilder<number | null> {
  const whens = policyCases(policy, 'findings.account_id').map((c) => sql`WHEN findings.severity_rank = ${c.rank} AND ${c.account} THEN CAST(${c.dueMs} AS BIGINT)`);
  return sql<number | null>`(CASE ${sql.join(whens, sql` `)} ELSE NULL END)`;
}

/**
 * SQL for a finding's SLA status ('NONE' when no SLA applies), over `findings`: what
 * aggregation groups by. `open`: the rows are open findings and have no `closed_at` column
 * (the SLA summary of ACTIVE findings).
 */
export function slaStatusCaseSql(clock: SlaClock, opts: { open?: boolean } = {}): RawBuilder<string> {
  const due = dueMsSql(clock.policy);
  const soon = clock.policy.dueSoonDays * DAY;
  const closed = opts.open
    ? sql``
    : sql`WHEN findings.closed_at IS NOT NULL THEN (CASE WHEN findings.closed_at - findings.first_observed_at > ${due} THEN 'BREACHED' ELSE 'WITHIN' END)`;
  return sql<string>`(CASE WHEN ${due} IS NULL THEN 'NONE'
    ${closed}
    WHEN findings.first_observed_at + ${due} < ${clock.now} THEN 'BREACHED'
    WHEN findings.first_observed_at + ${due} - ${clock.now} <= ${soon} THEN 'DUE_SOON'
    ELSE 'WITHIN' END)`;
}
