/**
 * Which index each benchmarked findings query reads: runs the search and aggregation cases
 * of the server bench (bench/server.ts), a few status-less sorted searches it does not time,
 * and the dashboard's figures against a database, asks the planner for each statement's plan
 * (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL, with the statement's own parameters)
 * and prints the findings indexes each case reads, then the findings indexes no case reads.
 * What decided the indexes migration 0019 drops.
 *
 * Usage: tsx scripts/finding-index-plans.ts --database URL [--findings N]
 * An empty database is seeded first with N findings (default 100,000) and analysed.
 */
import { CompiledQuery, sql } from 'kysely';
import { AGGREGATIONS, SEARCHES, type SearchCase } from '../bench/server.js';
import { openDatabase, type Db } from '../src/db/connect.js';
import { aggregateFindings } from '../src/findings/aggregate.js';
import { searchFindings } from '../src/findings/search.js';
import { mttrFigures, overviewFigures, trendFigures } from '../src/server/routes/dashboard.js';
import { DEFAULT_SEED, SEED_NOW, seedFindings } from './seed-findings.js';
import { statementRecorder } from './statement-recorder.js';

/** Status-less sorted searches the bench does not time, which only status-less sort indexes serve. */
const STATUSLESS: SearchCase[] = [
  { label: 'account, any status, by score', make: () => ({ scope: ['acct-001'], criteria: {}, sort: { field: 'SCORE', sortOrder: 'DESC' } }) },
  { label: 'account, any status, by last observed', make: () => ({ scope: ['acct-001'], criteria: {}, sort: { field: 'LAST_OBSERVED_AT', sortOrder: 'DESC' } }) },
  { label: 'organization, any status, by score', make: () => ({ scope: 'ALL', criteria: {}, sort: { field: 'SCORE', sortOrder: 'DESC' } }) },
];

/** Index names a plan names, and whether it reads the whole findings table. */
function indexesOf(plan: string[], dialect: Db['dialect']): string[] {
  const out = new Set<string>();
  const re = dialect === 'sqlite' ? /USING (?:COVERING )?INDEX (\w+)/g : /(?:Index(?: Only)? Scan(?: Backward)? using|Bitmap Index Scan on) (\w+)/g;
  for (const line of plan) {
    for (const m of line.matchAll(re)) out.add(m[1]);
    if (dialect === 'sqlite' ? /^SCAN findings$/.test(line.trim()) : /Seq Scan on findings\b/.test(line)) out.add('(whole table)');
  }
  return [...out];
}

async function planOf(db: Db, q: CompiledQuery): Promise<string[]> {
  if (db.dialect === 'sqlite') {
    const r = await db.kysely.executeQuery<{ detail: string }>(CompiledQuery.raw(`EXPLAIN QUERY PLAN ${q.sql}`, [...q.parameters]));
    return r.rows.map((row) => row.detail);
  }
  const r = await db.kysely.executeQuery<{ 'QUERY PLAN': string }>(CompiledQuery.raw(`EXPLAIN ${q.sql}`, [...q.parameters]));
  return r.rows.map((row) => row['QUERY PLAN']);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const get = (flag: string) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
  const url = get('--database');
  if (!url) {
    process.stderr.write('usage: tsx scripts/finding-index-plans.ts --database URL [--findings N]\n');
    process.exitCode = 2;
    return;
  }
  const db = await openDatabase(url);
  try {
    const n = await db.kysely.selectFrom('findings').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    if (Number(n.n) === 0) {
      const findings = Number(get('--findings') ?? 100_000);
      await seedFindings(db, { ...DEFAULT_SEED, findings, resources: Math.max(100, Math.round(findings / 100)) });
    }
    const { traced, record } = statementRecorder(db);
    const used = new Map<string, string[]>();
    const run = async (label: string, fn: () => Promise<unknown>) => {
      const captured = await record(fn);
      const reads = new Set<string>();
      // Statements reading findings (the summaries are read under the alias "findings" too).
      for (const q of captured.filter((c) => /\bfindings\b/.test(c.sql) && /^\s*(select|with)/i.test(c.sql))) for (const ix of indexesOf(await planOf(db, q), db.dialect)) reads.add(ix);
      console.log(`${label}: ${[...reads].join(', ') || '(no findings statement)'}`);
      for (const ix of reads) used.set(ix, [...(used.get(ix) ?? []), label]);
    };
    const r = () => 0.37;
    for (const c of [...SEARCHES, ...STATUSLESS]) {
      const q = c.make(r);
      await run(`search [${c.label}]`, async () => {
        const page = await searchFindings(traced, q.scope, { criteria: q.criteria, sort: q.sort, limit: 50 });
        if (page.nextCursor) await searchFindings(traced, q.scope, { criteria: q.criteria, sort: q.sort, limit: 50, cursor: page.nextCursor });
      });
    }
    for (const c of AGGREGATIONS) {
      const q = c.make(r);
      await run(`aggregate [${c.label}]`, () => aggregateFindings(traced, q.scope, q.req));
    }
    for (const scope of ['ALL', ['acct-001']] as const) {
      const s = scope === 'ALL' ? 'organization' : 'account';
      await run(`dashboard overview, ${s}`, () => overviewFigures(traced, scope === 'ALL' ? 'ALL' : [...scope], { now: SEED_NOW }));
      await run(`dashboard trend, ${s}`, () => trendFigures(traced, scope === 'ALL' ? 'ALL' : [...scope], { now: SEED_NOW }));
      await run(`dashboard MTTR, ${s}`, () => mttrFigures(traced, scope === 'ALL' ? 'ALL' : [...scope], { now: SEED_NOW }));
    }
    const all =
      db.dialect === 'sqlite'
        ? await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'findings' ORDER BY name`.execute(db.kysely)
        : await sql<{ name: string }>`SELECT indexname AS name FROM pg_indexes WHERE tablename = 'findings' ORDER BY indexname`.execute(db.kysely);
    console.log(`\n${all.rows.length} findings indexes; read by no case above:`);
    for (const { name } of all.rows) if (!used.has(name)) console.log(`  ${name}`);
  } finally {
    await db.close();
  }
}

await main();
