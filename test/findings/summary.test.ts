/**
 * The findings summary on both dialects: after scans (new, rescanned, fixed, reopened,
 * changed severity), suppression and its removal, retention and resource deletion, every
 * aggregation the summary answers equals the full grouped query over the findings, and the
 * incrementally refreshed tables equal a rebuild from scratch.
 */
import { sql, type SqlBool } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/connect.js';
import { AGGREGATION_SORTS, AGGREGATION_TYPES, aggregateFindings, type AggregateRequest } from '../../src/findings/aggregate.js';
import { criteriaSql, type FilterCriteria } from '../../src/findings/criteria.js';
import { recordScan, sweepClosedFindings } from '../../src/findings/lifecycle.js';
import { deleteResource } from '../../src/findings/resources.js';
import { scopeSql, type AccountScope } from '../../src/findings/scope.js';
import { countFindings } from '../../src/findings/search.js';
import { createRule, deleteRule, getRule } from '../../src/findings/suppression.js';
import { rebuildSummary, refreshSummary } from '../../src/findings/summary.js';
import type { Finding } from '../../src/matching/types.js';
import { createAccount } from '../../src/server/accounts.js';
import { dialectCases } from '../helpers/postgres.js';
import { finding, inventory, pkg, result } from './fixtures.js';

const T0 = Date.UTC(2026, 10, 1);
const HOUR = 3600_000;
const DAY = 24 * HOUR;

const openssl = pkg('Debian:12', 'openssl', '3.0.1', { layer: 'sha256:layer-base' });
const zlib = pkg('Debian:12', 'zlib1g', '1.2.13', { layer: 'sha256:layer-base' });
const lodash = pkg('npm', 'lodash', '4.17.15', { layer: 'sha256:layer-app' });
const lodashOld = pkg('npm', 'lodash', '4.17.10', { layer: 'sha256:layer-app' });
const requests = pkg('PyPI', 'requests', '2.19.0');

const eq = (value: string) => [{ comparison: 'EQUALS' as const, value }];

/** Criteria the summary answers (ACTIVE only, resource-level or none) and some it does not. */
const CRITERIA: [string, FilterCriteria][] = [
  ['none', {}],
  ['ACTIVE', { status: eq('ACTIVE') }],
  ['account', { accountId: eq('globex') }],
  ['resource type', { resourceType: eq('CONTAINER_IMAGE') }],
  ['image repository prefix', { imageRepository: [{ comparison: 'PREFIX', value: 'shop/' }] }],
  ['severity', { severity: [...eq('CRITICAL'), ...eq('HIGH')] }],
  ['resource tag', { resourceTags: [{ comparison: 'EQUALS', key: 'team', value: 'shop' }] }],
  ['image tag', { imageTag: eq('v2') }],
  ['package (full scan)', { packageName: eq('lodash') }],
  ['SUPPRESSED (full scan)', { status: eq('SUPPRESSED') }],
];

const SCOPES: [string, AccountScope][] = [
  ['organization', 'ALL'],
  ['one account', ['globex']],
];

/** Every grouping × criteria × scope, through the summary and through the findings. */
async function expectSummaryMatchesFullAggregation(db: Db): Promise<void> {
  for (const type of AGGREGATION_TYPES) {
    for (const [, criteria] of CRITERIA) {
      for (const [, scope] of SCOPES) {
        const sortBy = AGGREGATION_SORTS[(type.length + Object.keys(criteria).length) % AGGREGATION_SORTS.length];
        const req: AggregateRequest = { type, criteria, sortBy, limit: 50 };
        const viaSummary = await aggregateFindings(db, scope, req);
        const full = await aggregateFindings(db, scope, req, { useSummary: false });
        expect({ type, criteria, scope, rows: viaSummary.rows }).toEqual({ type, criteria, scope, rows: full.rows });
      }
    }
  }
  // Counts of ACTIVE findings filtered by resource properties come from the summary too.
  for (const [, c] of CRITERIA) {
    const criteria: FilterCriteria = c.status ? c : { ...c, status: eq('ACTIVE') };
    for (const [, scope] of SCOPES) {
      const direct = await db.kysely
        .selectFrom('findings')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where(sql<SqlBool>`${scopeSql(scope, 'findings.account_id')} AND ${criteriaSql(criteria, db.dialect)}`)
        .executeTakeFirstOrThrow();
      expect({ criteria, scope, n: await countFindings(db, scope, criteria) }).toEqual({ criteria, scope, n: Number(direct.n) });
    }
  }
}

/** The summary tables, in a stable order. */
async function snapshot(db: Db): Promise<unknown> {
  const resources = await sql`SELECT * FROM finding_resource_summary ORDER BY resource_id, severity`.execute(db.kysely);
  const groups = await sql`SELECT * FROM finding_group_summary ORDER BY kind, k1, k2`.execute(db.kysely);
  const sla = await sql`SELECT * FROM finding_sla_summary ORDER BY resource_id, severity_rank, first_observed_at`.execute(db.kysely);
  return { resources: resources.rows, groups: groups.rows, sla: sla.rows };
}

/** The refreshed summary equals one rebuilt from the findings. */
async function expectRefreshEqualsRebuild(db: Db): Promise<void> {
  await refreshSummary(db);
  const refreshed = await snapshot(db);
  const dirty = await sql<{ n: number }>`SELECT count(*) AS n FROM finding_summary_marks`.execute(db.kysely);
  expect(Number(dirty.rows[0].n)).toBe(0);
  await rebuildSummary(db);
  expect(refreshed).toEqual(await snapshot(db));
}

describe.each(dialectCases())('findings summary on $name', (dialect) => {
  let db: Db;
  const scan = (accountId: string, resource: Parameters<typeof recordScan>[1]['resource'], invName: string, findings: Finding[], at: number, type: 'host' | 'registry' = 'host') => {
    const inv = inventory(invName, [openssl, zlib, lodash, lodashOld, requests], type);
    return recordScan(db, { accountId, resource, inventory: inv, result: result(inv, findings), trigger: 'SUBMITTED', at });
  };
  const image = (repository: string, digest: string, tags: string[]) => ({
    type: 'CONTAINER_IMAGE' as const,
    name: `reg.example/${repository}@${digest}`,
    image: { registry: 'reg.example', repository, digest, tags },
    tags: { team: repository.split('/')[0] },
  });

  beforeAll(async () => {
    db = await dialect.open();
    await createAccount(db, 'acme');
    await createAccount(db, 'globex');
  });
  afterAll(async () => {
    await db?.close();
  });

  it('starts empty and stays equal to the findings through scans, rescans, fixes and reopens', async () => {
    await expectSummaryMatchesFullAggregation(db);
    await scan('globex', image('shop/api', 'sha256:aaa', ['v1', 'v2']), 'api', [
      finding('CVE-2024-0001', openssl, { severity: 'CRITICAL', score: 9.8, kev: true }),
      finding('CVE-2024-0002', zlib, { severity: 'MEDIUM', score: 5.0, fix: 'NO' }),
      finding('CVE-2020-8203', lodash, { severity: 'HIGH', score: 7.4, kev: true }),
      // The same vulnerability in two versions of one package: one resource, two findings.
      finding('CVE-2020-8203', lodashOld, { severity: 'HIGH', score: 7.2 }),
    ], T0, 'registry');
    await scan('globex', image('shop/web', 'sha256:bbb', ['v2']), 'web', [
      finding('CVE-2020-8203', lodash, { severity: 'HIGH', score: 7.4 }),
      finding('CVE-2018-18074', requests, { severity: 'LOW', score: 3.1 }),
    ], T0, 'registry');
    await scan('globex', { type: 'HOST', name: 'db-1' }, 'db-1', [finding('CVE-2024-0001', openssl, { severity: 'CRITICAL', score: 9.1 })], T0);
    await scan('acme', { type: 'HOST', name: 'web-1' }, 'web-1', [
      finding('CVE-2024-0001', openssl, { severity: 'HIGH', score: 8.0 }),
      finding('CVE-2018-18074', requests, { severity: 'MEDIUM', score: 5.3, fix: 'PARTIAL' }),
    ], T0);
    await scan('acme', { type: 'REPOSITORY', name: 'github.com/acme/site' }, 'site', [finding('CVE-2020-8203', lodash, { severity: 'HIGH', score: 7.4 })], T0);
    await expectSummaryMatchesFullAggregation(db);
    await expectRefreshEqualsRebuild(db);

    // Rescan: one fixed (closes), one rescored (severity and score change), one unchanged.
    await scan('globex', image('shop/api', 'sha256:aaa', ['v1', 'v2']), 'api', [
      finding('CVE-2024-0001', openssl, { severity: 'CRITICAL', score: 9.8, kev: true }),
      finding('CVE-2024-0002', zlib, { severity: 'HIGH', score: 7.0, fix: 'YES' }),
      finding('CVE-2020-8203', lodash, { severity: 'HIGH', score: 7.4, kev: true }),
    ], T0 + HOUR, 'registry');
    await expectSummaryMatchesFullAggregation(db);
    // The fixed one comes back (reopens); the host's only finding is fixed (resource leaves the summary).
    await scan('globex', image('shop/api', 'sha256:aaa', ['v1', 'v2']), 'api', [
      finding('CVE-2024-0001', openssl, { severity: 'CRITICAL', score: 9.8, kev: true }),
      finding('CVE-2024-0002', zlib, { severity: 'HIGH', score: 7.0, fix: 'YES' }),
      finding('CVE-2020-8203', lodash, { severity: 'HIGH', score: 7.4, kev: true }),
      finding('CVE-2020-8203', lodashOld, { severity: 'HIGH', score: 7.2 }),
    ], T0 + 2 * HOUR, 'registry');
    await scan('globex', { type: 'HOST', name: 'db-1' }, 'db-1', [], T0 + 2 * HOUR);
    await expectSummaryMatchesFullAggregation(db);
    await expectRefreshEqualsRebuild(db);
  });

  it('follows suppression, its removal, retention and resource deletion', async () => {
    const { rule, suppressed } = await createRule(db, { accountId: null, name: 'lodash', reason: 'not reachable', justification: 'vulnerable_code_not_in_execute_path', criteria: { packageName: eq('lodash') }, createdBy: 'k1' }, T0 + 3 * HOUR);
    expect(suppressed).toBeGreaterThan(0);
    await expectSummaryMatchesFullAggregation(db);
    const stored = await getRule(db, 'ALL', rule.id);
    expect(await deleteRule(db, stored!)).toBe(suppressed);
    await expectSummaryMatchesFullAggregation(db);
    await expectRefreshEqualsRebuild(db);

    // Closed findings past retention are deleted: nothing active changes, the summary neither.
    const before = await snapshot(db);
    expect(await sweepClosedFindings(db, { retentionDays: 30, now: T0 + 40 * DAY })).toBeGreaterThan(0);
    await expectSummaryMatchesFullAggregation(db);
    expect(await snapshot(db)).toEqual(before);

    // A backlog of marks above the threshold is settled by a full rebuild instead.
    await createRule(db, { accountId: 'globex', name: 'zlib', reason: 'x', criteria: { packageName: eq('zlib1g') }, createdBy: 'k1' }, T0 + 4 * HOUR);
    await refreshSummary(db, { fullAbove: 0 });
    const marks = await sql<{ n: number }>`SELECT count(*) AS n FROM finding_summary_marks`.execute(db.kysely);
    expect(Number(marks.rows[0].n)).toBe(0);
    await expectSummaryMatchesFullAggregation(db);
    await expectRefreshEqualsRebuild(db);

    const web = await aggregateFindings(db, 'ALL', { type: 'CONTAINER_IMAGE', criteria: { imageRepository: eq('shop/web') }, limit: 5 });
    expect(web.rows).toHaveLength(1);
    expect(await deleteResource(db, 'ALL', web.rows[0].key.resourceId)).toBe(true);
    await expectSummaryMatchesFullAggregation(db);
    await expectRefreshEqualsRebuild(db);
    const vulns = await aggregateFindings(db, 'ALL', { type: 'VULNERABILITY', criteria: {}, sortBy: 'AFFECTED_RESOURCES', limit: 10 });
    expect(vulns.rows.find((r) => r.key.vulnerabilityId === 'CVE-2020-8203')).toMatchObject({ affectedResources: 2, counts: { HIGH: 3, total: 3 }, exploited: 1 });
  });
});
