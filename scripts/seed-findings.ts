/**
 * Seeds a service database with synthetic findings for benchmarks: by default 1,000,000
 * findings over 10,000 resources (60% images, 30% hosts, 10% repositories) in 100
 * accounts, with realistic spreads of severity, score, EPSS, status and dates. Rows are
 * generated inside the database (one INSERT … SELECT per chunk), so seeding a million
 * takes about a minute on SQLite.
 *
 * Usage: tsx scripts/seed-findings.ts --database sqlite:/tmp/vigil-bench.db [--findings N]
 */
import { sql } from 'kysely';
import { openDatabase, type Db } from '../src/db/connect.js';
import { rebuildSummary } from '../src/findings/summary.js';

/** Sizes of a seed. */
export interface SeedOptions {
  findings: number;
  resources: number;
  accounts: number;
  /** Called after each chunk with findings inserted so far. */
  onProgress?(done: number): void;
}

/** The seed's default sizes. */
export const DEFAULT_SEED: SeedOptions = { findings: 1_000_000, resources: 10_000, accounts: 100 };

/** Fixed "now" of the seed, so benchmarks can use stable date ranges. */
export const SEED_NOW = Date.UTC(2026, 10, 1);

/** SQL text differing by dialect. */
function dialectSql(db: Db) {
  const pg = db.dialect === 'postgres';
  return {
    /** Zero-padded decimal of an integer expression. */
    pad: (expr: string, n: number) => (pg ? `lpad((${expr})::text, ${n}, '0')` : `printf('%0${n}d', ${expr})`),
    /** A series 1..n named g(i). */
    series: (from: number, to: number) =>
      pg ? `generate_series(${from}::bigint, ${to}::bigint) AS g(i)` : `(WITH RECURSIVE s(i) AS (SELECT ${from} UNION ALL SELECT i + 1 FROM s WHERE i < ${to}) SELECT i FROM s) AS g`,
    real: (expr: string) => (pg ? `(${expr})::double precision` : `(${expr}) * 1.0`),
    text: (expr: string) => (pg ? `(${expr})::text` : `(${expr})`),
  };
}

/** Seeds accounts, resources (with tags) and findings. Expects an empty, migrated database. */
export async function seedFindings(db: Db, opts: SeedOptions = DEFAULT_SEED): Promise<void> {
  const d = dialectSql(db);
  const day = 86_400_000;
  const exec = (text: string) => sql.raw(text).execute(db.kysely);
  await exec(`INSERT INTO accounts (id, name, delegated_admin, created_at)
    SELECT 'acct-' || ${d.pad('i', 3)}, 'Account ' || ${d.text('i')}, 0, ${SEED_NOW} FROM ${d.series(0, opts.accounts - 1)}`);
  // Resource r belongs to account r % accounts; type by r % 10.
  const type = `CASE WHEN i % 10 < 6 THEN 'CONTAINER_IMAGE' WHEN i % 10 < 9 THEN 'HOST' ELSE 'REPOSITORY' END`;
  await exec(`INSERT INTO resources (id, account_id, type, name, image_registry, image_repository, image_digest, image_tags, tags, os, created_at, updated_at, last_scan_at, last_scan_status, last_scan_error, inventory_version)
    SELECT 'res-' || ${d.pad('i', 5)}, 'acct-' || ${d.pad(`i % ${opts.accounts}`, 3)}, ${type},
      CASE WHEN i % 10 < 6 THEN 'reg.example/team-' || ${d.text('i % 200')} || '/app@sha256:' || ${d.pad('i', 8)} ELSE 'host-' || ${d.text('i')} END,
      CASE WHEN i % 10 < 6 THEN 'reg.example' END,
      CASE WHEN i % 10 < 6 THEN 'team-' || ${d.text('i % 200')} || '/app' END,
      CASE WHEN i % 10 < 6 THEN 'sha256:' || ${d.pad('i', 8)} END,
      CASE WHEN i % 10 < 6 THEN '["v' || ${d.text('i % 7')} || '"]' ELSE '[]' END,
      '{"team":"t' || ${d.text('i % 10')} || '"}', 'Debian:12', ${SEED_NOW - 90 * day}, ${SEED_NOW}, ${SEED_NOW - day}, 'SUCCESSFUL', NULL, 1
    FROM ${d.series(0, opts.resources - 1)}`);
  await exec(`INSERT INTO resource_tags (resource_id, key, value) SELECT id, 'team', 't' || substr(id, 9, 1) FROM resources`);
  await exec(`INSERT INTO resource_image_tags (resource_id, tag) SELECT id, substr(image_tags, 3, length(image_tags) - 4) FROM resources WHERE type = 'CONTAINER_IMAGE'`);

  // Building indexes once after loading is several times faster than maintaining them.
  const indexes = await findingIndexes(db);
  for (const ix of indexes) await exec(`DROP INDEX ${ix.name}`);
  const chunk = 100_000;
  for (let from = 0; from < opts.findings; from += chunk) {
    const to = Math.min(opts.findings, from + chunk) - 1;
    // r: the resource, scattered; v: the vulnerability; sev: a skewed severity draw. Each
    // attribute draws from its own hash (modulo a prime) so none is a function of the
    // resource or account: every account gets every severity, status, fix state and date.
    const hash = (mult: number, prime: number) => `((i * ${mult} + ${prime % 977}) % ${prime})`;
    const r = `((i * 7919) % ${opts.resources})`;
    const v = `(${hash(40503, 1000003)} % 20000)`;
    const sev = `(${hash(2654435761, 999983)} % 100)`;
    const h3 = hash(2246822519, 999979);
    const h4 = hash(3266489917, 999961);
    const h5 = hash(668265263, 999959);
    const rank = `CASE WHEN ${sev} < 2 THEN 5 WHEN ${sev} < 15 THEN 4 WHEN ${sev} < 50 THEN 3 WHEN ${sev} < 85 THEN 2 WHEN ${sev} < 95 THEN 1 ELSE 0 END`;
    const severity = `CASE WHEN ${sev} < 2 THEN 'CRITICAL' WHEN ${sev} < 15 THEN 'HIGH' WHEN ${sev} < 50 THEN 'MEDIUM' WHEN ${sev} < 85 THEN 'LOW' WHEN ${sev} < 95 THEN 'INFORMATIONAL' ELSE 'UNTRIAGED' END`;
    const score = `CASE WHEN ${sev} < 2 THEN 9.0 WHEN ${sev} < 15 THEN 7.0 WHEN ${sev} < 50 THEN 4.0 WHEN ${sev} < 85 THEN 0.1 ELSE 0.0 END + ${d.real(`(i * 17) % 9`)} / 10`;
    const eco = `CASE WHEN ${v} % 3 = 0 THEN 'npm' WHEN ${v} % 3 = 1 THEN 'PyPI' ELSE 'Debian:12' END`;
    const isImage = `${r} % 10 < 6`;
    const first = `${SEED_NOW} - (${h3} % 90) * ${day}`;
    await exec(`INSERT INTO findings (id, account_id, resource_id, resource_type, resource_name, finding_key, type, status, suppressed_by,
        vulnerability_id, title, package_name, package_ecosystem, package_version, fixed_version, fix_available, layer,
        image_registry, image_repository, image_digest, severity, severity_rank, score, epss, epss_rank, exploited,
        first_observed_at, last_observed_at, updated_at, closed_at, detail)
      SELECT 'f-' || ${d.pad('i', 8)}, 'acct-' || ${d.pad(`${r} % ${opts.accounts}`, 3)}, 'res-' || ${d.pad(r, 5)},
        CASE WHEN ${r} % 10 < 6 THEN 'CONTAINER_IMAGE' WHEN ${r} % 10 < 9 THEN 'HOST' ELSE 'REPOSITORY' END,
        CASE WHEN ${isImage} THEN 'reg.example/team-' || ${d.text(`${r} % 200`)} || '/app@sha256:' || ${d.pad(r, 8)} ELSE 'host-' || ${d.text(r)} END,
        'k' || ${d.text('i')}, 'PACKAGE_VULNERABILITY',
        CASE WHEN ${h3} % 20 = 0 THEN 'CLOSED' WHEN ${h3} % 20 = 1 THEN 'SUPPRESSED' ELSE 'ACTIVE' END, NULL,
        'CVE-2024-' || ${d.pad(v, 5)}, 'CVE-2024-' || ${d.pad(v, 5)} || ' in pkg-' || ${d.text(`${v} % 2000`)},
        'pkg-' || ${d.text(`${v} % 2000`)}, ${eco}, '1.' || ${d.text('i % 40')} || '.0', '1.' || ${d.text('i % 40 + 1')} || '.0',
        CASE WHEN ${h4} % 3 = 0 THEN 'YES' WHEN ${h4} % 3 = 1 THEN 'NO' ELSE 'PARTIAL' END,
        CASE WHEN ${isImage} THEN 'sha256:layer-' || ${d.text(`${r} % 500`)} END,
        CASE WHEN ${isImage} THEN 'reg.example' END,
        CASE WHEN ${isImage} THEN 'team-' || ${d.text(`${r} % 200`)} || '/app' END,
        CASE WHEN ${isImage} THEN 'sha256:' || ${d.pad(r, 8)} END,
        ${severity}, ${rank}, ${score},
        CASE WHEN ${h5} % 5 = 0 THEN NULL ELSE ${d.real(`${h5} % 1000`)} / 1000 END,
        CASE WHEN ${h5} % 5 = 0 THEN -1 ELSE ${d.real(`${h5} % 1000`)} / 1000 END,
        CASE WHEN ${h4} % 50 = 7 THEN 1 ELSE 0 END,
        ${first}, ${first} + (${h5} % 30) * ${day}, ${first} + (${h5} % 30) * ${day},
        CASE WHEN ${h3} % 20 = 0 THEN ${first} + (${h5} % 30) * ${day} END,
        '{"id":"CVE-2024-' || ${d.pad(v, 5)} || '","aliases":["GHSA-' || ${d.text(v)} || '"],"title":"seeded","package":{"name":"pkg-' || ${d.text(`${v} % 2000`)} || '","version":"1.0","ecosystem":"npm","purl":"pkg:npm/x@1.0","locations":["/app/package-lock.json"]},"fixAvailable":"YES","severity":"HIGH","score":7.5,"scoreSource":"nvd:3.1","adjustments":[],"references":["https://nvd.nist.gov/vuln/detail/CVE-2024-' || ${d.pad(v, 5)} || '"],"advisories":["GHSA-' || ${d.text(v)} || '"]}'
      FROM ${d.series(from, to)}`);
    opts.onProgress?.(to + 1);
  }
  for (const ix of indexes) await exec(ix.definition);
  // Rows loaded directly mark no summary: it is filled once from them.
  await rebuildSummary(db);
  await exec('ANALYZE');
}

/** The findings table's secondary indexes, with the SQL that recreates each. */
async function findingIndexes(db: Db): Promise<{ name: string; definition: string }[]> {
  if (db.dialect === 'postgres') {
    const r = await sql<{ name: string; definition: string }>`SELECT indexname AS name, indexdef AS definition FROM pg_indexes WHERE tablename = 'findings' AND indexname <> 'findings_pkey'`.execute(db.kysely);
    return r.rows;
  }
  const r = await sql<{ name: string; definition: string }>`SELECT name, sql AS definition FROM sqlite_master WHERE type = 'index' AND tbl_name = 'findings' AND sql IS NOT NULL`.execute(db.kysely);
  return r.rows;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const get = (flag: string) => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const url = get('--database');
  if (!url) {
    process.stderr.write('usage: tsx scripts/seed-findings.ts --database URL [--findings N] [--resources N] [--accounts N]\n');
    process.exitCode = 2;
    return;
  }
  const opts: SeedOptions = {
    findings: Number(get('--findings') ?? DEFAULT_SEED.findings),
    resources: Number(get('--resources') ?? DEFAULT_SEED.resources),
    accounts: Number(get('--accounts') ?? DEFAULT_SEED.accounts),
    onProgress: (n) => process.stderr.write(`\r${n.toLocaleString('en-US')} findings`),
  };
  const db = await openDatabase(url);
  try {
    const started = performance.now();
    await seedFindings(db, opts);
    process.stderr.write(`\nseeded in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  } finally {
    await db.close();
  }
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) await main();
