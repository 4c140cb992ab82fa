/**
 * The storage rewrite of migration 0019 (summary marked per batch by the writers instead of
 * per row by triggers; ten findings indexes dropped) keeps results identical: one
 * representative set of scans, rescans, re-evaluations, suppression, network findings and
 * a deletion gives the same findings and the same summaries on a database migrated to just
 * before 0019 (triggers, 37 indexes) as on one migrated to the end, on both dialects. And a
 * search without a status filter, which reads one page per status since the status-less
 * sort indexes went, pages through every finding in its sort's order.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Migrator, sql, type Migration } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/db/connect.js';
import { migrations } from '../../src/db/migrations/index.js';
import { inventoryFacts, recordReevaluations, recordScan } from '../../src/findings/lifecycle.js';
import { deleteResource } from '../../src/findings/resources.js';
import { SORT_FIELDS, searchFindings, type SortCriteria } from '../../src/findings/search.js';
import { createRule, deleteRule, getRule } from '../../src/findings/suppression.js';
import { rebuildSummary, refreshSummary } from '../../src/findings/summary.js';
import type { Finding } from '../../src/matching/types.js';
import { applyNetworkFindings, type NetworkFindingDetail } from '../../src/network/server/findings.js';
import { createAccount } from '../../src/server/accounts.js';
import { createPostgresDatabase } from '../helpers/postgres.js';
import { finding, inventory, pkg, result } from './fixtures.js';

const T0 = Date.UTC(2026, 10, 1);
const HOUR = 3600_000;

const openssl = pkg('Debian:12', 'openssl', '3.0.1', { layer: 'sha256:base' });
const zlib = pkg('Debian:12', 'zlib1g', '1.2.13', { layer: 'sha256:base' });
const lodash = pkg('npm', 'lodash', '4.17.15', { layer: 'sha256:app' });
const requests = pkg('PyPI', 'requests', '2.19.0');
const PACKAGES = [openssl, zlib, lodash, requests];

/** Opens an empty database of a dialect, migrated up to `upTo` (exclusive) or to the end. */
async function openAt(dialect: 'sqlite' | 'postgres', upTo?: string): Promise<Db> {
  let url: string;
  let drop: () => Promise<void>;
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-storage-'));
    url = `sqlite:${join(dir, 'vigil.db')}`;
    drop = async () => rmSync(dir, { recursive: true, force: true });
  } else {
    const pgdb = await createPostgresDatabase();
    url = pgdb.url;
    drop = () => pgdb.drop();
  }
  const db = await openDatabase(url, { migrate: false, poolSize: 2 });
  const wanted = upTo ? migrations.filter((m) => m.name < upTo) : migrations;
  const migrator = new Migrator({
    db: db.kysely,
    provider: { getMigrations: async () => Object.fromEntries(wanted.map((m) => [m.name, { up: (k) => m.up(k, db.dialect) } satisfies Migration])) },
    migrationTableName: 'vigil_migrations',
    migrationLockTableName: 'vigil_migrations_lock',
    allowUnorderedMigrations: true,
  });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error;
  return { ...db, close: async () => { await db.close(); await drop(); } };
}

/** Findings indexes and summary triggers of a database. */
async function schemaOf(db: Db): Promise<{ indexes: number; triggers: number }> {
  if (db.dialect === 'sqlite') {
    const r = await sql<{ type: string; n: number }>`SELECT type, count(*) AS n FROM sqlite_master WHERE tbl_name = 'findings' AND type IN ('index', 'trigger') GROUP BY type`.execute(db.kysely);
    const n = (t: string) => Number(r.rows.find((x) => x.type === t)?.n ?? 0);
    return { indexes: n('index'), triggers: n('trigger') };
  }
  const ix = await sql<{ n: number }>`SELECT count(*) AS n FROM pg_indexes WHERE tablename = 'findings'`.execute(db.kysely);
  const tg = await sql<{ n: number }>`SELECT count(*) AS n FROM pg_trigger WHERE tgrelid = 'findings'::regclass AND NOT tgisinternal`.execute(db.kysely);
  return { indexes: Number(ix.rows[0].n), triggers: Number(tg.rows[0].n) };
}

/** A network exposure of a host (port `port`/tcp) as the reachability analysis reports it. */
function exposure(port: number, severity: NetworkFindingDetail['severity']): NetworkFindingDetail {
  return {
    title: `Port ${port}/tcp is reachable from the internet`,
    description: 'sshd listens',
    severity,
    networkReachabilityDetails: { protocol: 'tcp', openPortRange: { begin: port, end: port }, networkPath: { steps: [{ componentId: 'igw-1', componentType: 'AWS::EC2::InternetGateway' }] } },
    publicAddresses: ['198.51.100.7'],
    publicPortRange: { begin: port, end: port },
    interfaceId: 'eni-1',
    instanceId: 'i-1',
    listeners: [{ protocol: 'tcp', port, address: '0.0.0.0', process: 'sshd' }],
    services: [],
    snapshotId: 'snap-1',
  };
}

/** The representative set: what scans, re-evaluations, rules, network reports and deletion do to findings. */
async function representativeSet(db: Db): Promise<void> {
  await createAccount(db, 'acme');
  await createAccount(db, 'globex');
  const scan = (accountId: string, resource: Parameters<typeof recordScan>[1]['resource'], name: string, findings: Finding[], at: number) => {
    const inv = inventory(name, PACKAGES, 'type' in resource && resource.type === 'CONTAINER_IMAGE' ? 'registry' : 'host');
    return recordScan(db, { accountId, resource, inventory: inv, result: result(inv, findings), trigger: 'SUBMITTED', at });
  };
  const api = { type: 'CONTAINER_IMAGE' as const, name: 'reg.example/shop/api@sha256:aaa', image: { registry: 'reg.example', repository: 'shop/api', digest: 'sha256:aaa', tags: ['v1'] } };
  const first = [
    finding('CVE-2024-0001', openssl, { severity: 'CRITICAL', score: 9.8, kev: true, epss: 0.9 }),
    finding('CVE-2024-0002', zlib, { severity: 'MEDIUM', score: 5.0, fix: 'NO' }),
    finding('CVE-2020-8203', lodash, { severity: 'HIGH', score: 7.4, epss: 0.2 }),
    finding('CVE-2018-18074', requests, { severity: 'LOW', score: 3.1 }),
  ];
  const image = await scan('globex', api, 'api', first, T0);
  const host = await scan('globex', { type: 'HOST', name: 'db-1' }, 'db-1', first.slice(0, 2), T0);
  await scan('acme', { type: 'HOST', name: 'web-1' }, 'web-1', first.slice(1), T0);
  // Rescan: one fixed (closed), one rescored, the rest unchanged.
  await scan('globex', api, 'api', [first[0], finding('CVE-2024-0002', zlib, { severity: 'HIGH', score: 7.1, fix: 'YES' }), first[2]], T0 + HOUR);
  // Re-evaluations: the host whole (a new vulnerability, one gone), the image scoped to lodash (rescored, reopened requests untouched).
  const hostInv = inventory('db-1', PACKAGES);
  const imageInv = inventory('api', PACKAGES, 'registry');
  await recordReevaluations(
    db,
    [
      { resourceId: host.resource.id, inventoryVersion: host.inventoryVersion, inventory: inventoryFacts(hostInv), result: result(hostInv, [first[0], finding('CVE-2024-0003', zlib, { severity: 'HIGH', score: 8.1 })]) },
      {
        resourceId: image.resource.id,
        inventoryVersion: image.inventoryVersion + 1,
        inventory: inventoryFacts(imageInv),
        result: result(imageInv, [finding('CVE-2020-8203', lodash, { severity: 'CRITICAL', score: 9.1, kev: true })]),
        scope: new Set(['npm\u0000lodash']),
      },
    ],
    T0 + 2 * HOUR,
  );
  // The fixed one comes back.
  await scan('globex', api, 'api', first, T0 + 3 * HOUR);
  const { rule } = await createRule(db, { accountId: null, name: 'zlib', reason: 'not reachable', criteria: { packageName: [{ comparison: 'EQUALS', value: 'zlib1g' }] }, createdBy: 'k1' }, T0 + 4 * HOUR);
  await createRule(db, { accountId: null, name: 'requests', reason: 'test only', criteria: { packageName: [{ comparison: 'EQUALS', value: 'requests' }] }, createdBy: 'k1' }, T0 + 4 * HOUR);
  await deleteRule(db, (await getRule(db, 'ALL', rule.id))!, T0 + 5 * HOUR);
  // Network findings of the host: two open ports, then one closed and the other rerated.
  const hostRow = { ...host.resource };
  await db.kysely.transaction().execute((trx) => applyNetworkFindings({ ...db, kysely: trx }, [{ resource: hostRow, findings: [exposure(22, 'HIGH'), exposure(8080, 'MEDIUM')], cause: { snapshotId: 'snap-1' } }], T0 + 5 * HOUR));
  await db.kysely.transaction().execute((trx) => applyNetworkFindings({ ...db, kysely: trx }, [{ resource: hostRow, findings: [exposure(22, 'CRITICAL')], cause: { snapshotId: 'snap-2' } }], T0 + 6 * HOUR));
  const web = await db.kysely.selectFrom('resources').select('id').where('name', '=', 'web-1').executeTakeFirstOrThrow();
  expect(await deleteResource(db, 'ALL', web.id)).toBe(true);
}

/** Findings and summaries with random ids left out or replaced by names, in a stable order. */
async function outcome(db: Db): Promise<unknown> {
  await refreshSummary(db);
  const findings = await db.kysely.selectFrom('findings').selectAll().orderBy('resource_name').orderBy('finding_key').execute();
  const resources = await sql`SELECT r.name, s.severity, s.severity_rank, s.account_id, s.resource_type, s.resource_name, s.image_registry, s.image_repository, s.image_digest,
      s.finding_count, s.exploited, s.fixable, s.max_score
    FROM finding_resource_summary s JOIN resources r ON r.id = s.resource_id ORDER BY r.name, s.severity`.execute(db.kysely);
  const groups = await sql`SELECT * FROM finding_group_summary ORDER BY kind, k1, k2`.execute(db.kysely);
  const summary = { resources: resources.rows, groups: groups.rows };
  // The refreshed summary is also what a full rebuild gives.
  await rebuildSummary(db);
  const rebuilt = await sql`SELECT count(*) AS n FROM finding_resource_summary`.execute(db.kysely);
  expect(Number((rebuilt.rows[0] as { n: number }).n)).toBe(resources.rows.length);
  const rules = new Map((await db.kysely.selectFrom('suppression_rules').select(['id', 'name']).execute()).map((r) => [r.id, r.name]));
  return { findings: findings.map(({ id: _id, resource_id: _r, suppressed_by, ...rest }) => ({ ...rest, suppressedBy: suppressed_by && rules.get(suppressed_by) })), summary };
}

describe.each(['sqlite', 'postgres'] as const)('findings storage on %s', (dialect) => {
  let before: Db;
  let after: Db;
  beforeAll(async () => {
    before = await openAt(dialect, '0019-findings-storage');
    after = await openAt(dialect);
  });
  afterAll(async () => {
    await before?.close();
    await after?.close();
  });

  it('0019 drops the summary triggers and ten of 37 findings indexes, adding one', async () => {
    // PostgreSQL counts its primary key index, as SQLite its autoindex; triggers: SQLite 3, PostgreSQL 3.
    expect(await schemaOf(before)).toEqual({ indexes: 37, triggers: 3 });
    expect(await schemaOf(after)).toEqual({ indexes: 28, triggers: 0 });
  });

  it('gives the same findings and summaries as before it', async () => {
    await representativeSet(before);
    await representativeSet(after);
    const was = await outcome(before);
    const is = await outcome(after);
    expect((is as { findings: unknown[] }).findings.length).toBeGreaterThanOrEqual(8);
    expect(is).toEqual(was);
  });

  it('pages a status-less sorted search through every finding in order', async () => {
    const all = await after.kysely.selectFrom('findings').selectAll().execute();
    const statuses = new Set(all.map((f) => f.status));
    expect(statuses).toEqual(new Set(['ACTIVE', 'SUPPRESSED', 'CLOSED']));
    for (const field of SORT_FIELDS) {
      for (const sortOrder of ['ASC', 'DESC'] as const) {
        const sort: SortCriteria = { field, sortOrder };
        const seen: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await searchFindings(after, 'ALL', { criteria: {}, sort, limit: 3, cursor });
          seen.push(...page.findings.map((f) => f.findingId));
          cursor = page.nextCursor;
        } while (cursor);
        const ordered = await after.kysely.selectFrom('findings').select('id').orderBy(sortColumns(field).map((c) => `${c} ${sortOrder.toLowerCase()}`) as never).execute();
        expect({ sort, seen }).toEqual({ sort, seen: ordered.map((r) => r.id) });
      }
    }
  });
});

/** The columns a sort orders by (as src/findings/search.ts). */
function sortColumns(field: SortCriteria['field']): string[] {
  const key = { SCORE: ['score'], SEVERITY: ['severity_rank', 'score'], EPSS: ['epss_rank'], FIRST_OBSERVED_AT: ['first_observed_at'], LAST_OBSERVED_AT: ['last_observed_at'], UPDATED_AT: ['updated_at'] }[field];
  return [...key, 'id'];
}
