/**
 * Findings search and aggregation at scale: seeds 1,000,000 findings over 10,000
 * resources and 100 accounts (scripts/seed-findings.ts) into SQLite and into a throwaway
 * PostgreSQL on loopback, then times filtered, sorted, cursor-paged searches and
 * aggregations as the API runs them (store calls, without HTTP), and what the first
 * aggregation after a change pays to refresh the findings summary. Goal: p99 under 50 ms
 * for search on SQLite.
 *
 * The SQLite database is kept in `$VIGIL_BENCH_DIR` (default /tmp/vigil-bench) and reused
 * by later runs; `VIGIL_BENCH_FINDINGS` shrinks the seed for a quick run and
 * `VIGIL_BENCH_DIALECTS=sqlite` skips PostgreSQL.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase, type Db } from '../src/db/connect.js';
import { aggregateFindings, type AggregateRequest } from '../src/findings/aggregate.js';
import type { FilterCriteria } from '../src/findings/criteria.js';
import type { AccountScope } from '../src/findings/scope.js';
import { searchFindings, type SortCriteria } from '../src/findings/search.js';
import { markSummary } from '../src/findings/summary.js';
import { DEFAULT_SEED, SEED_NOW, seedFindings } from '../scripts/seed-findings.js';
import { createPostgresDatabase } from '../test/helpers/postgres.js';
import type { Bench } from './benches.js';
import { report } from './report.js';

const FINDINGS = Number(process.env.VIGIL_BENCH_FINDINGS ?? DEFAULT_SEED.findings);
const SEED = { ...DEFAULT_SEED, findings: FINDINGS };
const DAY = 86_400_000;

/** A tiny deterministic generator, so every run asks the same questions. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export interface SearchCase {
  label: string;
  make(r: () => number): { scope: AccountScope; criteria: FilterCriteria; sort: SortCriteria };
  /** Also fetch the next page through the cursor. */
  secondPage?: boolean;
}

const account = (r: () => number) => `acct-${String(Math.floor(r() * SEED.accounts)).padStart(3, '0')}`;
const eq = (value: string) => [{ comparison: 'EQUALS' as const, value }];

export const SEARCHES: SearchCase[] = [
  { label: 'account, ACTIVE, by score', make: (r) => ({ scope: [account(r)], criteria: { status: eq('ACTIVE') }, sort: { field: 'SCORE', sortOrder: 'DESC' } }), secondPage: true },
  {
    label: 'account, ACTIVE CRITICAL|HIGH, by last observed',
    make: (r) => ({ scope: [account(r)], criteria: { status: eq('ACTIVE'), severity: [...eq('CRITICAL'), ...eq('HIGH')] }, sort: { field: 'LAST_OBSERVED_AT', sortOrder: 'DESC' } }),
    secondPage: true,
  },
  {
    label: 'account, ACTIVE, fix YES, EPSS >= 0.5, by EPSS',
    make: (r) => ({ scope: [account(r)], criteria: { status: eq('ACTIVE'), fixAvailable: eq('YES'), epss: [{ lowerInclusive: 0.5 }] }, sort: { field: 'EPSS', sortOrder: 'DESC' } }),
  },
  {
    label: 'account, image repository, by severity',
    make: (r) => {
      // The seed gives account a the repositories team-a and team-(a+100).
      const a = Math.floor(r() * SEED.accounts);
      const repo = `team-${a + (r() < 0.5 ? 0 : 100)}/app`;
      return { scope: [`acct-${String(a).padStart(3, '0')}`], criteria: { imageRepository: eq(repo) }, sort: { field: 'SEVERITY', sortOrder: 'DESC' } };
    },
  },
  {
    label: 'account, vulnerability id prefix, first observed in 30 days',
    make: (r) => ({
      scope: [account(r)],
      criteria: { vulnerabilityId: [{ comparison: 'PREFIX', value: `CVE-2024-1${Math.floor(r() * 10)}` }], firstObservedAt: [{ startInclusive: SEED_NOW - 30 * DAY }] },
      sort: { field: 'FIRST_OBSERVED_AT', sortOrder: 'DESC' },
    }),
  },
  { label: 'organization, ACTIVE exploited, by EPSS', make: () => ({ scope: 'ALL', criteria: { status: eq('ACTIVE'), exploited: eq('YES') }, sort: { field: 'EPSS', sortOrder: 'DESC' } }), secondPage: true },
  { label: 'organization, one vulnerability, by score', make: (r) => ({ scope: 'ALL', criteria: { vulnerabilityId: eq(`CVE-2024-${String(Math.floor(r() * 20000)).padStart(5, '0')}`) }, sort: { field: 'SCORE', sortOrder: 'DESC' } }) },
  // SLA status is judged against the stored policy and the clock (src/findings/sla.ts).
  { label: 'account, ACTIVE past SLA, by score', make: (r) => ({ scope: [account(r)], criteria: { status: eq('ACTIVE'), slaStatus: eq('BREACHED') }, sort: { field: 'SCORE', sortOrder: 'DESC' } }), secondPage: true },
  { label: 'organization, ACTIVE due soon, by first observed', make: () => ({ scope: 'ALL', criteria: { status: eq('ACTIVE'), slaStatus: eq('DUE_SOON') }, sort: { field: 'FIRST_OBSERVED_AT', sortOrder: 'DESC' } }) },
];

export const AGGREGATIONS: { label: string; make(r: () => number): { scope: AccountScope; req: AggregateRequest } }[] = [
  { label: 'account, by VULNERABILITY, sorted CRITICAL', make: (r) => ({ scope: [account(r)], req: { type: 'VULNERABILITY', criteria: {}, sortBy: 'CRITICAL', limit: 20 } }) },
  { label: 'account, by CONTAINER_IMAGE, sorted MAX_SCORE', make: (r) => ({ scope: [account(r)], req: { type: 'CONTAINER_IMAGE', criteria: {}, sortBy: 'MAX_SCORE', limit: 20 } }) },
  { label: 'organization, by VULNERABILITY, sorted CRITICAL', make: () => ({ scope: 'ALL', req: { type: 'VULNERABILITY', criteria: { status: eq('ACTIVE') }, sortBy: 'CRITICAL', limit: 100 } }) },
  { label: 'organization, by VULNERABILITY, CRITICAL only (no summary)', make: () => ({ scope: 'ALL', req: { type: 'VULNERABILITY', criteria: { severity: eq('CRITICAL') }, sortBy: 'AFFECTED_RESOURCES', limit: 20 } }) },
  { label: 'organization, by SEVERITY', make: () => ({ scope: 'ALL', req: { type: 'SEVERITY', criteria: {}, limit: 10 } }) },
  { label: 'organization, by REPOSITORY, sorted TOTAL', make: () => ({ scope: 'ALL', req: { type: 'REPOSITORY', criteria: {}, sortBy: 'TOTAL', limit: 20 } }) },
  { label: 'organization, by PACKAGE (covering index)', make: () => ({ scope: 'ALL', req: { type: 'PACKAGE', criteria: {}, limit: 20 } }) },
  { label: 'organization, by IMAGE_LAYER (covering index)', make: () => ({ scope: 'ALL', req: { type: 'IMAGE_LAYER', criteria: {}, limit: 20 } }) },
  { label: 'account, by SLA_STATUS', make: (r) => ({ scope: [account(r)], req: { type: 'SLA_STATUS', criteria: {}, limit: 10 } }) },
  { label: 'organization, by SLA_STATUS', make: () => ({ scope: 'ALL', req: { type: 'SLA_STATUS', criteria: {}, limit: 10 } }) },
];

async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

async function measure(db: Db, name: string, iterations: { search: number; aggregate: number }): Promise<void> {
  for (const c of SEARCHES) {
    const r = rng(42);
    const samples: number[] = [];
    for (let i = 0; i < iterations.search + 5; i++) {
      const q = c.make(r);
      let cursor: string | undefined;
      const ms = await time(async () => {
        const page = await searchFindings(db, q.scope, { criteria: q.criteria, sort: q.sort, limit: 50 });
        cursor = page.nextCursor;
      });
      if (i >= 5) samples.push(ms);
      if (c.secondPage && cursor) {
        const ms2 = await time(() => searchFindings(db, q.scope, { criteria: q.criteria, sort: q.sort, limit: 50, cursor }));
        if (i >= 5) samples.push(ms2);
      }
    }
    samples.sort((a, b) => a - b);
    const goal = name === 'sqlite' ? { atMost: 50 } : undefined;
    report(`${name} search [${c.label}] p50`, percentile(samples, 50), 'ms');
    report(`${name} search [${c.label}] p99`, percentile(samples, 99), 'ms', goal);
  }
  for (const c of AGGREGATIONS) {
    const r = rng(7);
    const samples: number[] = [];
    for (let i = 0; i < iterations.aggregate + 1; i++) {
      const q = c.make(r);
      const ms = await time(() => aggregateFindings(db, q.scope, q.req));
      if (i >= 1) samples.push(ms);
    }
    samples.sort((a, b) => a - b);
    report(`${name} aggregate [${c.label}] p50`, percentile(samples, 50), 'ms');
    report(`${name} aggregate [${c.label}] p99`, percentile(samples, 99), 'ms');
  }
  await measureRefresh(db, name);
}

/**
 * What a change costs the next summary read: one resource's active findings are
 * suppressed and restored (as a rule would), then the organization's top vulnerabilities
 * are read, which first recomputes the groups those findings belong to.
 */
async function measureRefresh(db: Db, name: string): Promise<void> {
  const r = rng(11);
  const samples: number[] = [];
  let touched = 0;
  for (let i = 0; i < 11; i++) {
    const resource = `res-${String(Math.floor(r() * SEED.resources)).padStart(5, '0')}`;
    const rows = await db.kysely.selectFrom('findings').select(['id', 'vulnerability_id']).where('resource_id', '=', resource).where('status', '=', 'ACTIVE').execute();
    const ids = rows.map((f) => f.id);
    if (ids.length === 0) continue;
    await db.kysely.transaction().execute(async (trx) => {
      await trx.updateTable('findings').set({ status: 'SUPPRESSED' }).where('id', 'in', ids).execute();
      await trx.updateTable('findings').set({ status: 'ACTIVE' }).where('id', 'in', ids).execute();
      await markSummary(trx, { resourceIds: [resource], vulnerabilityIds: rows.map((f) => f.vulnerability_id) });
    });
    const ms = await time(() => aggregateFindings(db, 'ALL', { type: 'VULNERABILITY', criteria: {}, sortBy: 'AFFECTED_RESOURCES', limit: 20 }));
    if (i >= 1) {
      samples.push(ms);
      touched += ids.length;
    }
  }
  samples.sort((a, b) => a - b);
  const per = samples.length ? Math.round(touched / samples.length) : 0;
  report(`${name} aggregate after ${per} findings of one resource changed status, p50`, percentile(samples, 50), 'ms');
  report(`${name} aggregate after ${per} findings of one resource changed status, p99`, percentile(samples, 99), 'ms');
}

async function seeded(db: Db): Promise<boolean> {
  const row = await db.kysely.selectFrom('findings').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
  return Number(row?.n ?? 0) === SEED.findings;
}

async function seed(db: Db, name: string): Promise<void> {
  const started = performance.now();
  await seedFindings(db, SEED);
  report(`${name} seed of ${SEED.findings.toLocaleString('en-US')} findings`, (performance.now() - started) / 1000, 's');
}

/** The server benchmark. */
export const serverBench: Bench = {
  name: 'server',
  async run() {
    const dir = process.env.VIGIL_BENCH_DIR ?? '/tmp/vigil-bench';
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `findings-${SEED.findings}.db`);
    let sqlite = existsSync(file) ? await openDatabase(`sqlite:${file}`) : undefined;
    if (sqlite && !(await seeded(sqlite))) {
      await sqlite.close();
      rmSync(file, { force: true });
      sqlite = undefined;
    }
    if (!sqlite) {
      sqlite = await openDatabase(`sqlite:${file}`);
      await seed(sqlite, 'sqlite');
    }
    try {
      await measure(sqlite, 'sqlite', { search: 200, aggregate: 10 });
    } finally {
      await sqlite.close();
    }
    if (process.env.VIGIL_BENCH_DIALECTS === 'sqlite') return;
    const pgdb = await createPostgresDatabase();
    const pgsql = await openDatabase(pgdb.url);
    try {
      await seed(pgsql, 'postgres');
      await measure(pgsql, 'postgres', { search: 200, aggregate: 10 });
    } finally {
      await pgsql.close();
      await pgdb.drop();
    }
  },
};
