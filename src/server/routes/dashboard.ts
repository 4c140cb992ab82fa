/**
 * The dashboard's own figures, which no other endpoint gives in one call: the overview
 * (coverage, findings by severity, exploited and fixable counts, riskiest images, hosts and
 * repositories, top vulnerabilities), the daily trend of open critical and high findings,
 * and the mean time to remediate by severity with its weekly trend.
 *
 * Every query takes the caller's account scope; the figures are computed with a handful of
 * grouped scans (one pass over the active findings per resource, one per vulnerability) so
 * they stay fast at a million findings.
 */
import { sql } from 'kysely';
import { z } from 'zod';
import type { Db } from '../../db/connect.js';
import { coverageStatistics } from '../../findings/coverage.js';
import { filterCriteriaInputSchema } from '../../findings/criteria.js';
import { countFindings } from '../../findings/search.js';
import { scopeSql, type AccountScope } from '../../findings/scope.js';
import { SEVERITIES as MODEL_SEVERITIES, severityRank } from '../../findings/model.js';
import { getSettings } from '../../findings/settings.js';
import { GROUP_SEVERITY_COLUMNS, refreshSummary } from '../../findings/summary.js';
import type { Severity } from '../../matching/types.js';
import { getAccount, scopeOf } from '../accounts.js';
import type { RouteModule, ServerContext } from '../router.js';
import { readScope } from './common.js';

const SEVERITIES: readonly Severity[] = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNTRIAGED'];
const DAY = 86_400_000;
const WEEK = 7 * DAY;

/** Finding counts per severity plus their total. */
export type SeverityCounts = Record<Severity, number> & { total: number };

/** One row of a "riskiest" or "top" list. */
export interface RankedRow {
  key: string;
  /** Readable name of the key (an image's or host's name), when it differs. */
  label?: string;
  /** A vulnerability's title. */
  title?: string;
  accountId?: string;
  severityCounts: SeverityCounts;
  affectedResources: number;
  maxScore: number;
  exploited: number;
  /** Highest EPSS probability among the row's findings (top vulnerabilities only; null when none has one). */
  maxEpss?: number | null;
}

/** Coverage of one resource type. */
export interface CoverageByType {
  type: string;
  active: number;
  inactive: number;
}

/** The overview's figures. */
export interface OverviewFigures {
  coverage: { byType: CoverageByType[]; inactiveReasons: { reason: string; count: number }[] };
  severityCounts: SeverityCounts;
  exploited: number;
  fixable: number;
  riskiest: { images: RankedRow[]; hosts: RankedRow[]; repositories: RankedRow[] };
  topVulnerabilities: RankedRow[];
  generatedAt: string;
}

/** One day of the trend: open critical and high findings at the end of `date` (UTC). */
export interface TrendPoint {
  date: string;
  CRITICAL: number;
  HIGH: number;
}

/** Mean time to remediate, overall per severity and per week. */
export interface MttrFigures {
  /** Over the whole window. `meanDays` is null when nothing of that severity closed. */
  bySeverity: { severity: Severity; closed: number; meanDays: number | null }[];
  /** One entry per week (Monday, UTC) of the window, oldest first. */
  trend: ({ week: string } & Partial<Record<Severity, number | null>>)[];
}

function emptyCounts(): SeverityCounts {
  return { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, INFORMATIONAL: 0, UNTRIAGED: 0, total: 0 };
}

/** Rows of `findings` readable in this scope. */
function scopedFindings(db: Db, scope: AccountScope) {
  return db.kysely.selectFrom('findings').where(scopeSql(scope, 'findings.account_id'));
}

// SUM(CASE …) counts per severity in one pass; both dialects accept it unchanged.
const sevSum = (s: Severity) => sql<number>`sum(case when severity = ${s} then 1 else 0 end)`;

function countsFrom(row: Record<string, unknown>): SeverityCounts {
  const c = emptyCounts();
  for (const s of SEVERITIES) {
    c[s] = Number(row[`n_${s}`] ?? 0);
    c.total += c[s];
  }
  return c;
}

/** A row with no critical, high, medium or low finding (only informational or untriaged) ranks nowhere. */
function hasRatedFindings(r: RankedRow): boolean {
  const c = r.severityCounts;
  return c.CRITICAL + c.HIGH + c.MEDIUM + c.LOW > 0;
}

/** Worst first: more critical, then more high, then higher score, then name. */
function riskOrder(a: RankedRow, b: RankedRow): number {
  return (
    b.severityCounts.CRITICAL - a.severityCounts.CRITICAL ||
    b.severityCounts.HIGH - a.severityCounts.HIGH ||
    b.maxScore - a.maxScore ||
    b.severityCounts.total - a.severityCounts.total ||
    a.key.localeCompare(b.key)
  );
}

function addCounts(into: SeverityCounts, from: SeverityCounts): void {
  for (const s of SEVERITIES) into[s] += from[s];
  into.total += from.total;
}

/** The overview: coverage, severity counts, exploited, fixable, riskiest and top lists. */
export async function overviewFigures(db: Db, scope: AccountScope, opts: { top?: number; now?: number } = {}): Promise<OverviewFigures> {
  const top = opts.top ?? 5;
  const now = opts.now ?? Date.now();

  // Totals, exploited, fixable and the riskiest images, hosts and repositories all come from
  // the resource summary (one row per resource and severity holding active findings).
  await refreshSummary(db);
  const perResource = (
    await sql<{
      resource_id: string;
      resource_type: string | null;
      resource_name: string | null;
      image_repository: string | null;
      account_id: string | null;
      exploited: number | null;
      fixable: number | null;
      max_score: number | null;
    }>`SELECT resource_id, max(resource_type) AS resource_type, max(resource_name) AS resource_name,
        max(image_repository) AS image_repository, max(account_id) AS account_id,
        ${sql.join(SEVERITIES.map((s) => sql`sum(CASE WHEN severity = ${s} THEN finding_count ELSE 0 END) AS ${sql.ref(`n_${s}`)}`))},
        sum(exploited) AS exploited, sum(fixable) AS fixable, max(max_score) AS max_score
      FROM finding_resource_summary
      WHERE ${scopeSql(scope, 'finding_resource_summary.account_id')}
      GROUP BY resource_id`.execute(db.kysely)
  ).rows;

  const severityCounts = emptyCounts();
  let exploited = 0;
  let fixable = 0;
  const images: RankedRow[] = [];
  const hosts: RankedRow[] = [];
  const repos = new Map<string, RankedRow>();
  for (const r of perResource) {
    const counts = countsFrom(r as unknown as Record<string, unknown>);
    addCounts(severityCounts, counts);
    exploited += Number(r.exploited ?? 0);
    fixable += Number(r.fixable ?? 0);
    const row: RankedRow = {
      key: r.resource_id,
      label: String(r.resource_name ?? r.resource_id),
      accountId: r.account_id ?? undefined,
      severityCounts: counts,
      affectedResources: 1,
      maxScore: Number(r.max_score ?? 0),
      exploited: Number(r.exploited ?? 0),
    };
    if (r.resource_type === 'CONTAINER_IMAGE') images.push(row);
    else if (r.resource_type === 'HOST') hosts.push(row);
    // A "repository" is an image repository (all its digests together) or a REPOSITORY resource.
    const repoKey = r.image_repository ?? (r.resource_type === 'REPOSITORY' ? String(r.resource_name) : undefined);
    if (repoKey) {
      const cur = repos.get(repoKey);
      if (!cur) repos.set(repoKey, { ...row, key: repoKey, label: repoKey, severityCounts: { ...counts } });
      else {
        addCounts(cur.severityCounts, counts);
        cur.affectedResources += 1;
        cur.maxScore = Math.max(cur.maxScore, row.maxScore);
        cur.exploited += row.exploited;
        if (cur.accountId !== row.accountId) cur.accountId = undefined;
      }
    }
  }

  const topVulnerabilities = await topVulnerabilityRows(db, scope, top);
  const coverage = await coverageFigures(db, scope, now);
  return {
    coverage,
    severityCounts,
    exploited,
    fixable,
    riskiest: {
      images: images.filter(hasRatedFindings).sort(riskOrder).slice(0, top),
      hosts: hosts.filter(hasRatedFindings).sort(riskOrder).slice(0, top),
      repositories: [...repos.values()].filter(hasRatedFindings).sort(riskOrder).slice(0, top),
    },
    topVulnerabilities,
    generatedAt: new Date(now).toISOString(),
  };
}

/** At most this many exploited (KEV) vulnerabilities are listed beyond `top`. */
export const MAX_KEV_LISTED = 25;

/**
 * "What to fix first": worst first by risk, not by spread. Exploited (CISA KEV) first, then
 * the highest score, then the highest EPSS probability, then the most affected resources.
 * Every exploited vulnerability is on the list (up to {@link MAX_KEV_LISTED}), even when
 * there are more of them than `top`: a known-exploited vulnerability must never be hidden
 * below the fold by a wider-spread but unexploited one.
 */
export function fixFirstOrder(a: RankedRow, b: RankedRow): number {
  return (
    Number(b.exploited > 0) - Number(a.exploited > 0) ||
    b.maxScore - a.maxScore ||
    (b.maxEpss ?? -1) - (a.maxEpss ?? -1) ||
    b.affectedResources - a.affectedResources ||
    a.key.localeCompare(b.key)
  );
}

/** The first `top` rows of `ranked` (already in {@link fixFirstOrder}), plus every exploited one. */
function fixFirstSlice(ranked: RankedRow[], top: number): RankedRow[] {
  const kev = ranked.filter((r) => r.exploited > 0).length;
  return ranked.slice(0, Math.max(top, Math.min(kev, MAX_KEV_LISTED)));
}

/**
 * Vulnerabilities among active findings in the scope, ranked by {@link fixFirstOrder}. One
 * grouped pass over the scope's active findings (the account indexes bound it to the
 * account); the organization-wide list reads the group summary instead.
 */
async function topVulnerabilityRows(db: Db, scope: AccountScope, top: number): Promise<RankedRow[]> {
  if (scope === 'ALL') return topVulnerabilitiesFromSummary(db, top);
  const rows = await scopedFindings(db, scope)
    .where('status', '=', 'ACTIVE')
    .select((eb) => [
      'vulnerability_id',
      eb.fn.max('title').as('title'),
      sql<number>`count(distinct resource_id)`.as('affected'),
      ...SEVERITIES.map((s) => sevSum(s).as(`n_${s}`)),
      sql<number>`sum(exploited)`.as('exploited'),
      eb.fn.max('score').as('max_score'),
      eb.fn.max('epss').as('max_epss'),
    ])
    .groupBy('vulnerability_id')
    .orderBy(sql`max(exploited)`, 'desc')
    .orderBy(sql`max(score)`, 'desc')
    .orderBy(sql`coalesce(max(epss), -1)`, 'desc')
    .orderBy(sql`count(distinct resource_id)`, 'desc')
    .orderBy('vulnerability_id')
    .limit(top + MAX_KEV_LISTED)
    .execute();
  const ranked = rows
    .map((r) => ({
      key: r.vulnerability_id,
      title: r.title ? String(r.title) : undefined,
      severityCounts: countsFrom(r as unknown as Record<string, unknown>),
      affectedResources: Number(r.affected),
      maxScore: Number(r.max_score ?? 0),
      exploited: Number(r.exploited ?? 0),
      maxEpss: r.max_epss === null || r.max_epss === undefined ? null : Number(r.max_epss),
    }))
    .sort(fixFirstOrder);
  return fixFirstSlice(ranked, top);
}

/**
 * Across the organization the group summary holds every vulnerability's figures but not
 * EPSS: read the exploited ones and the best-scored others (with every tie of the last
 * score, so EPSS can break the tie), then read their EPSS from the findings by
 * vulnerability id (an index lookup per candidate) and rank.
 */
async function topVulnerabilitiesFromSummary(db: Db, top: number): Promise<RankedRow[]> {
  const columns = sql`k1, label, affected_resources, max_score, exploited,
        ${sql.join(SEVERITIES.map((s) => sql`${sql.ref(GROUP_SEVERITY_COLUMNS[s])} AS ${sql.ref(`n_${s}`)}`))}`;
  const kev = (
    await sql<Record<string, string | number | null>>`SELECT ${columns} FROM finding_group_summary
      WHERE kind = 'VULNERABILITY' AND exploited > 0
      ORDER BY max_score DESC, affected_resources DESC, k1 ASC LIMIT ${MAX_KEV_LISTED}`.execute(db.kysely)
  ).rows;
  const best = (
    await sql<Record<string, string | number | null>>`SELECT ${columns} FROM finding_group_summary
      WHERE kind = 'VULNERABILITY' AND exploited = 0
      ORDER BY max_score DESC, affected_resources DESC, k1 ASC LIMIT ${top}`.execute(db.kysely)
  ).rows;
  const last = best.length === top && top > 0 ? best[best.length - 1].max_score : undefined;
  const ties =
    last === undefined || last === null
      ? []
      : (
          await sql<Record<string, string | number | null>>`SELECT ${columns} FROM finding_group_summary
            WHERE kind = 'VULNERABILITY' AND exploited = 0 AND max_score = ${last}
            ORDER BY affected_resources DESC, k1 ASC LIMIT 200`.execute(db.kysely)
        ).rows;
  const byKey = new Map<string, RankedRow>();
  for (const r of [...kev, ...best, ...ties]) {
    byKey.set(String(r.k1), {
      key: String(r.k1),
      title: r.label ? String(r.label) : undefined,
      severityCounts: countsFrom(r),
      affectedResources: Number(r.affected_resources),
      maxScore: Number(r.max_score ?? 0),
      exploited: Number(r.exploited ?? 0),
      maxEpss: null,
    });
  }
  if (byKey.size === 0) return [];
  const epss = await db.kysely
    .selectFrom('findings')
    .where('status', '=', 'ACTIVE')
    .where('vulnerability_id', 'in', [...byKey.keys()])
    .select((eb) => ['vulnerability_id', eb.fn.max('epss').as('max_epss')])
    .groupBy('vulnerability_id')
    .execute();
  for (const e of epss) {
    const row = byKey.get(e.vulnerability_id);
    if (row && e.max_epss !== null && e.max_epss !== undefined) row.maxEpss = Number(e.max_epss);
  }
  return fixFirstSlice([...byKey.values()].sort(fixFirstOrder), top);
}

/**
 * Coverage by resource type and the reasons resources are not scanned, by the same rules
 * as the coverage endpoint (staleness and eligibility thresholds from the settings).
 */
async function coverageFigures(db: Db, scope: AccountScope, now: number): Promise<OverviewFigures['coverage']> {
  const stats = await coverageStatistics(db, scope, await getSettings(db), {}, now);
  const byType = new Map<string, CoverageByType>();
  const reasons = new Map<string, number>();
  for (const g of stats.groups) {
    const t = byType.get(g.resourceType) ?? { type: g.resourceType, active: 0, inactive: 0 };
    if (g.status === 'ACTIVE') t.active += g.count;
    else {
      t.inactive += g.count;
      reasons.set(g.reason, (reasons.get(g.reason) ?? 0) + g.count);
    }
    byType.set(g.resourceType, t);
  }
  return {
    byType: [...byType.values()].sort((a, b) => a.type.localeCompare(b.type)),
    inactiveReasons: [...reasons.entries()].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)),
  };
}

/** Active findings per severity of each listed resource (in scope); resources without any are left out. */
export async function resourceCounts(db: Db, scope: AccountScope, resourceIds: readonly string[]): Promise<Record<string, SeverityCounts>> {
  if (resourceIds.length === 0) return {};
  const rows = await scopedFindings(db, scope)
    .where('status', '=', 'ACTIVE')
    .where('resource_id', 'in', [...resourceIds])
    .select((eb) => ['resource_id', 'severity', eb.fn.countAll<number>().as('n')])
    .groupBy(['resource_id', 'severity'])
    .execute();
  const out: Record<string, SeverityCounts> = {};
  for (const r of rows) {
    const c = (out[r.resource_id] ??= emptyCounts());
    const n = Number(r.n);
    if ((SEVERITIES as readonly string[]).includes(r.severity)) c[r.severity as Severity] += n;
    c.total += n;
  }
  return out;
}

/**
 * The findings table, read through `index` on SQLite: after ANALYZE its planner picks the
 * (status, severity_rank, …) sort index for closed findings and looks up every row, ten
 * times slower than the covering (status, closed_at, severity_rank, first_observed_at) one.
 */
function findingsVia(db: Db, index: string) {
  return db.dialect === 'sqlite' ? sql`findings INDEXED BY ${sql.raw(index)}` : sql`findings`;
}

/** The severity of a stored rank (UNTRIAGED 0 … CRITICAL 5). */
function severityName(rank: number): Severity {
  return (MODEL_SEVERITIES[rank] ?? 'UNTRIAGED') as Severity;
}

function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * Open critical and high findings at the end of each of the last `days` days (UTC). A
 * finding counts as open from its first observation until it closed; findings suppressed
 * now are left out of every day (their suppression history is not replayed).
 */
export async function trendFigures(db: Db, scope: AccountScope, opts: { days?: number; now?: number } = {}): Promise<TrendPoint[]> {
  const days = Math.min(Math.max(opts.days ?? 30, 1), 366);
  const now = opts.now ?? Date.now();
  const lastDay = Math.floor(now / DAY);
  const firstDay = lastDay - days + 1;
  const start = firstDay * DAY;
  // By rank, not name: the (severity_rank, first_observed_at, status, closed_at) and
  // (status, closed_at, severity_rank, first_observed_at) indexes answer these without
  // reading the findings. Statuses are ACTIVE, SUPPRESSED or CLOSED: "not suppressed" is
  // spelled as the other two so the closed index can seek on it.
  const ranks = [severityRank('CRITICAL'), severityRank('HIGH')];
  const base = () => scopedFindings(db, scope).where('severity_rank', 'in', ranks);
  const notSuppressed = ['ACTIVE', 'CLOSED'];

  // Open at the start of the window.
  const before = await base()
    .where('status', 'in', notSuppressed)
    .where('first_observed_at', '<', start)
    .where((eb) => eb.or([eb('closed_at', 'is', null), eb('closed_at', '>=', start)]))
    .select((eb) => ['severity_rank', eb.fn.countAll<number>().as('n')])
    .groupBy('severity_rank')
    .execute();
  const opened = await base()
    .where('status', 'in', notSuppressed)
    .where('first_observed_at', '>=', start)
    .select((eb) => ['severity_rank', sql<number>`first_observed_at / ${sql.lit(DAY)}`.as('day'), eb.fn.countAll<number>().as('n')])
    .groupBy(['severity_rank', sql`first_observed_at / ${sql.lit(DAY)}`])
    .execute();
  const closed = (
    await sql<{ severity_rank: number; day: number; n: number }>`SELECT severity_rank, closed_at / ${sql.lit(DAY)} AS day, count(*) AS n
      FROM ${findingsVia(db, 'findings_closed_sev')}
      WHERE ${scopeSql(scope, 'findings.account_id')} AND status IN ('ACTIVE', 'CLOSED') AND closed_at >= ${start} AND severity_rank IN (${sql.join(ranks)})
      GROUP BY severity_rank, closed_at / ${sql.lit(DAY)}`.execute(db.kysely)
  ).rows;

  const name = (rank: number) => severityName(Number(rank));
  const delta = new Map<string, number>();
  const add = (key: string, n: number) => delta.set(key, (delta.get(key) ?? 0) + n);
  for (const r of opened) add(`${name(r.severity_rank)}:${Math.floor(Number(r.day))}`, Number(r.n));
  for (const r of closed) add(`${name(r.severity_rank)}:${Math.floor(Number(r.day))}`, -Number(r.n));
  const open: Record<'CRITICAL' | 'HIGH', number> = { CRITICAL: 0, HIGH: 0 };
  for (const r of before) {
    const sev = name(r.severity_rank);
    if (sev === 'CRITICAL' || sev === 'HIGH') open[sev] = Number(r.n);
  }

  const points: TrendPoint[] = [];
  for (let d = firstDay; d <= lastDay; d++) {
    open.CRITICAL += delta.get(`CRITICAL:${d}`) ?? 0;
    open.HIGH += delta.get(`HIGH:${d}`) ?? 0;
    points.push({ date: utcDay(d * DAY), CRITICAL: open.CRITICAL, HIGH: open.HIGH });
  }
  return points;
}

/** Monday 00:00 UTC of the week holding `ms`. */
function weekStart(ms: number): number {
  const day = Math.floor(ms / DAY);
  // 1970-01-01 was a Thursday: day 0 → weekday 4 (0 = Sunday).
  const weekday = (day + 4) % 7;
  return (day - ((weekday + 6) % 7)) * DAY;
}

/**
 * Mean time to remediate (first observed → closed) per severity for findings closed in the
 * last `weeks` weeks, and per week. Closed findings are kept for the retention period
 * (30 days by default), which bounds how far back this reaches.
 */
export async function mttrFigures(db: Db, scope: AccountScope, opts: { weeks?: number; now?: number } = {}): Promise<MttrFigures> {
  const weeks = Math.min(Math.max(opts.weeks ?? 12, 1), 104);
  const now = opts.now ?? Date.now();
  const firstWeek = weekStart(now) - (weeks - 1) * WEEK;
  // Group by the week offset from the window's first Monday; integer division on both dialects.
  // Literals, not parameters: PostgreSQL matches the GROUP BY expression to the selected one by text.
  const rows = (
    await sql<{ severity_rank: number; wk: number; n: number; total_ms: number }>`SELECT severity_rank,
        (closed_at - ${sql.lit(firstWeek)}) / ${sql.lit(WEEK)} AS wk, count(*) AS n, sum(closed_at - first_observed_at) AS total_ms
      FROM ${findingsVia(db, 'findings_closed_sev')}
      WHERE ${scopeSql(scope, 'findings.account_id')} AND status = 'CLOSED' AND closed_at >= ${firstWeek}
      GROUP BY severity_rank, (closed_at - ${sql.lit(firstWeek)}) / ${sql.lit(WEEK)}`.execute(db.kysely)
  ).rows;

  const overall = new Map<Severity, { n: number; ms: number }>();
  const perWeek = new Map<string, { n: number; ms: number }>();
  for (const r of rows) {
    const sev = severityName(Number(r.severity_rank));
    const n = Number(r.n);
    const ms = Number(r.total_ms);
    const o = overall.get(sev) ?? { n: 0, ms: 0 };
    o.n += n;
    o.ms += ms;
    overall.set(sev, o);
    const k = `${sev}:${Math.floor(Number(r.wk))}`;
    const w = perWeek.get(k) ?? { n: 0, ms: 0 };
    w.n += n;
    w.ms += ms;
    perWeek.set(k, w);
  }
  const bySeverity = SEVERITIES.map((severity) => {
    const o = overall.get(severity);
    return { severity, closed: o?.n ?? 0, meanDays: o && o.n ? round1(o.ms / o.n / DAY) : null };
  });
  const trend: MttrFigures['trend'] = [];
  for (let i = 0; i < weeks; i++) {
    const entry: MttrFigures['trend'][number] = { week: utcDay(firstWeek + i * WEEK) };
    for (const s of SEVERITIES) {
      const w = perWeek.get(`${s}:${i}`);
      entry[s] = w && w.n ? round1(w.ms / w.n / DAY) : null;
    }
    trend.push(entry);
  }
  return { bySeverity, trend };
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

const scopeQuery = z.object({ accountId: z.string().max(64).optional() });

/** Longest a cached figure is served without recomputing, even when the data looks unchanged. */
const CACHE_TTL_MS = 5 * 60_000;

interface CacheEntry {
  version: string;
  at: number;
  value: Promise<unknown>;
}

const caches = new WeakMap<Db, Map<string, CacheEntry>>();

/**
 * A cheap fingerprint of the findings and resources: every change of a finding's status,
 * score or observation sets its `updated_at` (and a new finding or resource has one), so
 * the maxima move whenever a figure could. Both read one end of an index.
 */
async function dataVersion(db: Db): Promise<string> {
  const f = await db.kysely.selectFrom('findings').select((eb) => eb.fn.max('updated_at').as('m')).executeTakeFirst();
  const r = await db.kysely.selectFrom('resources').select((eb) => eb.fn.max('updated_at').as('m')).executeTakeFirst();
  return `${f?.m ?? 0}:${r?.m ?? 0}`;
}

/**
 * The overview's figures take grouped scans over every active finding: computed once per
 * data version and scope, then served from memory (concurrent requests share one run).
 */
async function cached<T>(db: Db, key: string, compute: () => Promise<T>): Promise<T> {
  let cache = caches.get(db);
  if (!cache) caches.set(db, (cache = new Map()));
  const version = await dataVersion(db);
  const now = Date.now();
  const hit = cache.get(key);
  if (hit && hit.version === version && now - hit.at < CACHE_TTL_MS) return hit.value as Promise<T>;
  const value = compute();
  cache.set(key, { version, at: now, value });
  value.catch(() => cache.delete(key));
  return value;
}

function scopeKey(scope: AccountScope): string {
  return scope === 'ALL' ? 'ALL' : [...scope].sort().join(',');
}

/** The overview of a scope, computed once per data version. */
function cachedOverview(db: Db, scope: AccountScope, top: number): Promise<OverviewFigures> {
  return cached(db, `overview|${scopeKey(scope)}|${top}`, () => overviewFigures(db, scope, { top }));
}

/** The trend ends today: the day is part of the key so it rolls over at midnight UTC. */
function cachedTrend(db: Db, scope: AccountScope, days: number): Promise<TrendPoint[]> {
  const day = Math.floor(Date.now() / DAY);
  return cached(db, `trend|${scopeKey(scope)}|${days}|${day}`, () => trendFigures(db, scope, { days }));
}

function cachedMttr(db: Db, scope: AccountScope, weeks: number): Promise<MttrFigures> {
  return cached(db, `mttr|${scopeKey(scope)}|${weeks}|${weekStart(Date.now())}`, () => mttrFigures(db, scope, { weeks }));
}

/** How often the organization-wide figures are checked against the data, and recomputed if it changed. */
const WARM_INTERVAL_MS = 30_000;

/**
 * Keeps the delegated administrator's default view (every account; the dashboard's default
 * windows) computed ahead of requests, from start-up and again whenever the data changed:
 * at a million findings that view takes the better part of a second to compute, and the
 * first visit after a restart or a scan should not wait for it. An unchanged database
 * costs one look at two index ends per check.
 */
function keepOrganizationFiguresWarm(db: Db, log: ServerContext['log']): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const warm = () => {
    if (stopped) return;
    running = Promise.all([cachedOverview(db, 'ALL', DEFAULT_TOP), cachedTrend(db, 'ALL', DEFAULT_DAYS), cachedMttr(db, 'ALL', DEFAULT_WEEKS)]).catch((err: unknown) => {
      if (!stopped) log.warn({ err }, 'could not compute the dashboard figures ahead of requests');
    });
  };
  const timer = setInterval(warm, WARM_INTERVAL_MS).unref();
  setImmediate(warm);
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}

const DEFAULT_TOP = 5;
const DEFAULT_DAYS = 30;
const DEFAULT_WEEKS = 12;

/** The dashboard's routes: who am I, overview, trend and MTTR, each scoped like every read. */
export const dashboardRoutes: RouteModule = (r) => {
  const { db } = r.ctx;
  let warmer: ReturnType<typeof keepOrganizationFiguresWarm> | undefined;
  r.app.addHook('onReady', async () => {
    warmer = keepOrganizationFiguresWarm(db, r.ctx.log);
  });
  r.app.addHook('onClose', async () => warmer?.stop());
  r.route({
    method: 'GET',
    url: '/api/v1/dashboard/session',
    summary: 'The caller: account, role, and whether it is the delegated administrator',
    tag: 'dashboard',
    roles: ['viewer'],
    responses: { 200: z.object({ keyId: z.string(), accountId: z.string(), accountName: z.string().optional(), role: z.string(), delegatedAdmin: z.boolean() }) },
    async handler({ principal }) {
      const account = await getAccount(db, principal.accountId);
      return { ...principal, accountName: account?.name };
    },
  });
  r.route({
    method: 'POST',
    url: '/api/v1/dashboard/count',
    summary: 'How many findings match the criteria (the explorer shows it beside the page)',
    tag: 'dashboard',
    roles: ['viewer'],
    body: z.object({ filterCriteria: filterCriteriaInputSchema.optional().default({}) }).strict(),
    responses: { 200: z.object({ count: z.number().int() }) },
    async handler({ principal, body }) {
      return { count: await countFindings(db, scopeOf(principal), body.filterCriteria) };
    },
  });
  r.route({
    method: 'POST',
    url: '/api/v1/dashboard/resource-counts',
    summary: 'Active findings per severity for each of up to 1000 resources',
    tag: 'dashboard',
    roles: ['viewer'],
    body: z.object({ resourceIds: z.array(z.string().min(1).max(256)).max(1000) }).strict(),
    async handler({ principal, body }) {
      return { counts: await resourceCounts(db, scopeOf(principal), body.resourceIds) };
    },
  });
  r.route({
    method: 'GET',
    url: '/api/v1/dashboard/overview',
    summary: 'Overview figures: coverage, active findings by severity, exploited, fixable, riskiest resources, top vulnerabilities',
    tag: 'dashboard',
    roles: ['viewer'],
    query: scopeQuery.extend({ top: z.coerce.number().int().min(1).max(50).default(DEFAULT_TOP) }),
    async handler({ principal, query }) {
      return cachedOverview(db, readScope(principal, query.accountId), query.top);
    },
  });
  r.route({
    method: 'GET',
    url: '/api/v1/dashboard/trend',
    summary: 'Open critical and high findings at the end of each of the last N days',
    tag: 'dashboard',
    roles: ['viewer'],
    query: scopeQuery.extend({ days: z.coerce.number().int().min(1).max(366).default(DEFAULT_DAYS) }),
    async handler({ principal, query }) {
      return { points: await cachedTrend(db, readScope(principal, query.accountId), query.days) };
    },
  });
  r.route({
    method: 'GET',
    url: '/api/v1/dashboard/mttr',
    summary: 'Mean time to remediate (first observed to closed) by severity, overall and per week',
    tag: 'dashboard',
    roles: ['viewer'],
    query: scopeQuery.extend({ weeks: z.coerce.number().int().min(1).max(104).default(DEFAULT_WEEKS) }),
    async handler({ principal, query }) {
      return cachedMttr(db, readScope(principal, query.accountId), query.weeks);
    },
  });
};
