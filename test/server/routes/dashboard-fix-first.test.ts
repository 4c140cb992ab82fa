/**
 * "What to fix first" (the overview's top vulnerabilities) ranks by risk, not by spread:
 * exploited first, then score, then EPSS, then affected resources; every exploited
 * vulnerability is listed; the riskiest lists leave out resources with nothing rated.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../../src/db/connect.js';
import type { FindingsTable } from '../../../src/db/schema.js';
import { overviewFigures } from '../../../src/server/routes/dashboard.js';
import { findingRow, insertFindingRows } from '../../helpers/finding-rows.js';
import { dialectCases } from '../../helpers/postgres.js';

const now = Date.UTC(2026, 10, 27, 12);
function finding(over: Partial<FindingsTable> & Pick<FindingsTable, 'resource_id' | 'severity' | 'vulnerability_id'>): FindingsTable {
  return findingRow(now, over);
}

const hosts = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'];
const rows: FindingsTable[] = [
  // Untriaged, score 0, on every host: the widest spread, but the least risk.
  ...hosts.map((h) => finding({ resource_id: h, severity: 'UNTRIAGED', score: 0, vulnerability_id: 'CVE-WIDE' })),
  // Exploited (KEV) on one host with a modest score: first all the same.
  finding({ resource_id: 'h1', severity: 'MEDIUM', score: 6.1, exploited: 1, epss: 0.97, vulnerability_id: 'CVE-KEV' }),
  // Two with the same score: the higher EPSS ranks first.
  finding({ resource_id: 'h2', severity: 'CRITICAL', score: 9.8, epss: 0.02, vulnerability_id: 'CVE-LOW-EPSS' }),
  finding({ resource_id: 'h3', severity: 'CRITICAL', score: 9.8, epss: 0.6, vulnerability_id: 'CVE-HIGH-EPSS' }),
  // Lower score, wider spread: below both criticals.
  finding({ resource_id: 'h2', severity: 'HIGH', score: 7.5, vulnerability_id: 'CVE-HIGH' }),
  finding({ resource_id: 'h3', severity: 'HIGH', score: 7.5, vulnerability_id: 'CVE-HIGH' }),
  // A host with only an informational finding: no row among the riskiest hosts.
  finding({ resource_id: 'quiet', severity: 'INFORMATIONAL', score: 0, vulnerability_id: 'CVE-INFO' }),
];

describe.each(dialectCases())('what to fix first on $name', (dialect) => {
  let db: Db;
  beforeAll(async () => {
    db = await dialect.open();
    await db.kysely.insertInto('accounts').values([{ id: 'a1', name: 'One', delegated_admin: 1, created_at: now }]).execute();
    await insertFindingRows(db, rows);
  });
  afterAll(async () => {
    await db?.close();
  });

  const expected = ['CVE-KEV', 'CVE-HIGH-EPSS', 'CVE-LOW-EPSS', 'CVE-HIGH', 'CVE-WIDE'];

  it.each([
    ['one account', ['a1']],
    ['the organization (group summary)', 'ALL'],
  ] as const)('ranks by KEV, score, EPSS, spread for %s', async (_name, scope) => {
    const o = await overviewFigures(db, scope === 'ALL' ? 'ALL' : [...scope], { now, top: 5 });
    expect(o.topVulnerabilities.map((r) => r.key)).toEqual(expected);
    expect(o.topVulnerabilities[0]).toMatchObject({ exploited: 1, maxEpss: 0.97, maxScore: 6.1 });
    expect(o.topVulnerabilities[1].maxEpss).toBeCloseTo(0.6);
  });

  it.each([['one account'], ['the organization']])('keeps the exploited vulnerability when top is 1 (%s)', async (name) => {
    const o = await overviewFigures(db, name === 'one account' ? ['a1'] : 'ALL', { now, top: 1 });
    expect(o.topVulnerabilities.map((r) => r.key)).toEqual(['CVE-KEV']);
  });

  it('leaves resources with only informational or untriaged findings off the riskiest hosts', async () => {
    const o = await overviewFigures(db, ['a1'], { now, top: 10 });
    const listed = o.riskiest.hosts.map((r) => r.key);
    expect(listed).not.toContain('quiet');
    // h4–h6 hold only the untriaged finding.
    expect(listed.sort()).toEqual(['h1', 'h2', 'h3']);
  });
});
