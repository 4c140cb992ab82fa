import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../../src/db/connect.js';
import type { FindingsTable } from '../../../src/db/schema.js';
import { mttrFigures, overviewFigures, trendFigures } from '../../../src/server/routes/dashboard.js';
import { findingRow, insertFindingRows } from '../../helpers/finding-rows.js';
import { dialectCases } from '../../helpers/postgres.js';

const DAY = 86_400_000;
// A fixed "now": Friday 2026-11-27 12:00 UTC.
const now = Date.UTC(2026, 10, 27, 12);

function finding(over: Partial<FindingsTable> & Pick<FindingsTable, 'account_id' | 'resource_id' | 'severity'>): FindingsTable {
  return findingRow(now, { resource_type: 'CONTAINER_IMAGE', first_observed_at: now - 10 * DAY, ...over });
}

// The estate: two accounts. Account a1 has an image in repository team/app (two digests)
// and a host; a2 has one image. Comments say what each row is there to prove.
const rows: FindingsTable[] = [
  // img1 is the riskiest image: two criticals, one of them exploited and fixable.
  finding({ account_id: 'a1', resource_id: 'img1', resource_name: 'team/app@sha256:1', image_repository: 'team/app', severity: 'CRITICAL', score: 9.8, exploited: 1, fix_available: 'YES', vulnerability_id: 'CVE-A' }),
  finding({ account_id: 'a1', resource_id: 'img1', resource_name: 'team/app@sha256:1', image_repository: 'team/app', severity: 'CRITICAL', score: 9.1, vulnerability_id: 'CVE-B' }),
  // img2, same repository: the repository row adds both digests up.
  finding({ account_id: 'a1', resource_id: 'img2', resource_name: 'team/app@sha256:2', image_repository: 'team/app', severity: 'HIGH', score: 7.5, vulnerability_id: 'CVE-A' }),
  // A host finding: counted, listed among hosts, not among images.
  finding({ account_id: 'a1', resource_id: 'host1', resource_type: 'HOST', resource_name: 'web-1', severity: 'MEDIUM', score: 5, vulnerability_id: 'CVE-A' }),
  // Suppressed and closed findings are not active: left out of counts.
  finding({ account_id: 'a1', resource_id: 'img1', severity: 'CRITICAL', status: 'SUPPRESSED', vulnerability_id: 'CVE-S' }),
  // Closed 2 days ago after 4 days open (critical): MTTR 4 days; open in the trend until then.
  finding({ account_id: 'a1', resource_id: 'img1', severity: 'CRITICAL', status: 'CLOSED', first_observed_at: now - 6 * DAY, closed_at: now - 2 * DAY, vulnerability_id: 'CVE-C' }),
  // Another account's image: invisible to a1's scope.
  finding({ account_id: 'a2', resource_id: 'img3', resource_name: 'other/app@sha256:3', image_repository: 'other/app', severity: 'HIGH', score: 8, vulnerability_id: 'CVE-A' }),
];

describe.each(dialectCases())('dashboard figures on $name', (dialect) => {
  let db: Db;
  beforeAll(async () => {
    db = await dialect.open();
    const k = db.kysely;
    await k.insertInto('accounts').values([
      { id: 'a1', name: 'One', delegated_admin: 1, created_at: now },
      { id: 'a2', name: 'Two', delegated_admin: 0, created_at: now },
    ]).execute();
    const res = (id: string, account: string, type: string, status: string | null) => ({
      id, account_id: account, type, name: id, image_registry: null, image_repository: null, image_digest: null,
      image_tags: '[]', tags: '{}', os: null, created_at: now, updated_at: now, last_scan_at: status ? now : null,
      last_scan_status: status, last_scan_error: null, inventory_version: 1,
    });
    await k.insertInto('resources').values([
      res('img1', 'a1', 'CONTAINER_IMAGE', 'SUCCESSFUL'),
      res('img2', 'a1', 'CONTAINER_IMAGE', 'SUCCESSFUL'),
      res('host1', 'a1', 'HOST', 'SUCCESSFUL'),
      // Never scanned: PENDING_INITIAL_SCAN.
      res('host2', 'a1', 'HOST', null),
      res('img3', 'a2', 'CONTAINER_IMAGE', 'UNSUPPORTED_OS'),
    ]).execute();
    await insertFindingRows(db, rows);
  });
  afterAll(async () => {
    await db?.close();
  });

  it('overview for one account counts only its active findings', async () => {
    const o = await overviewFigures(db, ['a1'], { now });
    expect(o.severityCounts).toEqual({ CRITICAL: 2, HIGH: 1, MEDIUM: 1, LOW: 0, INFORMATIONAL: 0, UNTRIAGED: 0, total: 4 });
    expect(o.exploited).toBe(1);
    expect(o.fixable).toBe(1);
    expect(o.riskiest.images.map((r) => r.key)).toEqual(['img1', 'img2']);
    expect(o.riskiest.hosts.map((r) => r.label)).toEqual(['web-1']);
    expect(o.riskiest.repositories).toHaveLength(1);
    expect(o.riskiest.repositories[0]).toMatchObject({ key: 'team/app', affectedResources: 2, maxScore: 9.8, exploited: 1 });
    expect(o.riskiest.repositories[0].severityCounts).toMatchObject({ CRITICAL: 2, HIGH: 1, total: 3 });
    expect(o.topVulnerabilities[0]).toMatchObject({ key: 'CVE-A', affectedResources: 3 });
    expect(o.coverage.byType).toEqual([
      { type: 'CONTAINER_IMAGE', active: 2, inactive: 0 },
      { type: 'HOST', active: 1, inactive: 1 },
    ]);
    expect(o.coverage.inactiveReasons).toEqual([{ reason: 'PENDING_INITIAL_SCAN', count: 1 }]);
  });

  it('overview across the organization includes every account', async () => {
    const o = await overviewFigures(db, 'ALL', { now });
    expect(o.severityCounts.total).toBe(5);
    expect(o.topVulnerabilities[0]).toMatchObject({ key: 'CVE-A', affectedResources: 4 });
    expect(o.coverage.inactiveReasons).toContainEqual({ reason: 'UNSUPPORTED_OS', count: 1 });
  });

  it('an empty scope sees nothing', async () => {
    const o = await overviewFigures(db, [], { now });
    expect(o.severityCounts.total).toBe(0);
    expect(o.coverage.byType).toEqual([]);
  });

  it('trend counts open critical and high findings per day', async () => {
    const t = await trendFigures(db, ['a1'], { days: 8, now });
    expect(t).toHaveLength(8);
    expect(t.at(-1)).toEqual({ date: '2026-11-27', CRITICAL: 2, HIGH: 1 });
    // 3 days ago the closed critical was still open.
    expect(t.find((p) => p.date === '2026-11-24')).toEqual({ date: '2026-11-24', CRITICAL: 3, HIGH: 1 });
  });

  it('MTTR is first observed to closed, per severity and week', async () => {
    const m = await mttrFigures(db, ['a1'], { weeks: 4, now });
    expect(m.bySeverity.find((s) => s.severity === 'CRITICAL')).toEqual({ severity: 'CRITICAL', closed: 1, meanDays: 4 });
    expect(m.bySeverity.find((s) => s.severity === 'HIGH')).toEqual({ severity: 'HIGH', closed: 0, meanDays: null });
    expect(m.trend.map((w) => w.week)).toEqual(['2026-11-02', '2026-11-09', '2026-11-16', '2026-11-23']);
    expect(m.trend[3].CRITICAL).toBe(4);
    expect(m.trend[2].CRITICAL).toBeNull();
  });
});
