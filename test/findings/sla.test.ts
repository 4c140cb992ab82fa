/**
 * Remediation SLAs on both dialects: due dates and statuses, the slaStatus filter (checked
 * against the status computed row by row, at several instants), aggregation by SLA status,
 * the CSV columns, the breach sweep, and the compliance figures of a period.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/connect.js';
import type { EventInput } from '../../src/events/types.js';
import { aggregateFindings } from '../../src/findings/aggregate.js';
import { complianceReport } from '../../src/findings/compliance.js';
import { parseCriteria, type FilterCriteria } from '../../src/findings/criteria.js';
import { exportFindings } from '../../src/findings/export.js';
import { recordScan } from '../../src/findings/lifecycle.js';
import type { AccountScope } from '../../src/findings/scope.js';
import { countFindings, searchFindings, type ApiFinding } from '../../src/findings/search.js';
import { findingSla, getSlaPolicy, putSlaPolicy, slaPolicySchema, SLA_STATUSES, type SlaClock, type SlaPolicy } from '../../src/findings/sla.js';
import { sweepSlaBreaches } from '../../src/findings/sla-breaches.js';
import { createAccount } from '../../src/server/accounts.js';
import { dialectCases } from '../helpers/postgres.js';
import { finding, inventory, pkg, result } from './fixtures.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 9, 1);

const openssl = pkg('Debian:12', 'openssl', '3.0.1');
const zlib = pkg('Debian:12', 'zlib1g', '1.2.13');
const curl = pkg('Debian:12', 'curl', '7.88.1');
const tar = pkg('Debian:12', 'tar', '1.34');
const inv = (name: string) => inventory(name, [openssl, zlib, curl, tar]);
// One finding per severity with an SLA, and one without (INFORMATIONAL).
const crit = finding('CVE-2026-0001', openssl, { severity: 'CRITICAL', score: 9.8 });
const high = finding('CVE-2026-0002', zlib, { severity: 'HIGH', score: 7.5 });
const low = finding('CVE-2026-0003', curl, { severity: 'LOW', score: 2.0 });
const info = finding('CVE-2026-0004', tar, { severity: 'INFORMATIONAL', score: 0 });

async function scan(db: Db, accountId: string, name: string, findings: ReturnType<typeof finding>[], at: number) {
  const i = inv(name);
  return recordScan(db, { accountId, resource: { type: 'HOST', name }, inventory: i, result: result(i, findings), trigger: 'SUBMITTED', at });
}

async function all(db: Db, sla: SlaClock, criteria = {}): Promise<ApiFinding[]> {
  return (await searchFindings(db, 'ALL', { criteria: parseCriteria(criteria), limit: 1000, sla })).findings;
}

describe.each(dialectCases())('remediation SLAs on $name', (dialect) => {
  let db: Db;
  let policy: SlaPolicy;
  beforeAll(async () => {
    db = await dialect.open();
    await createAccount(db, 'acme');
    await createAccount(db, 'globex');
    // acme: critical in 5 days. globex: the defaults (critical 15, high 30, low 180).
    policy = await putSlaPolicy(db, slaPolicySchema.parse({ accounts: { acme: { CRITICAL: 5 } } }));
    // web-1 (acme) and app-1 (globex) open all four at T0; at T0 + 10 days the critical one is fixed on both.
    await scan(db, 'acme', 'web-1', [crit, high, low, info], T0);
    await scan(db, 'globex', 'app-1', [crit, high, low, info], T0);
    await scan(db, 'acme', 'web-1', [high, low, info], T0 + 10 * DAY);
    await scan(db, 'globex', 'app-1', [high, low, info], T0 + 10 * DAY);
    // web-2 (acme) opens a critical at T0 + 20 days and is never fixed; idle-1 is never scanned after T0 - 30 days.
    await scan(db, 'acme', 'web-2', [crit], T0 + 20 * DAY);
    await scan(db, 'acme', 'idle-1', [], T0 - 30 * DAY);
  });
  afterAll(async () => {
    await db?.close();
  });

  it('stores the policy with defaults filled in and rejects bad days', async () => {
    expect(await getSlaPolicy(db)).toEqual({ days: { CRITICAL: 15, HIGH: 30, MEDIUM: 90, LOW: 180 }, dueSoonDays: 7, accounts: { acme: { CRITICAL: 5 } } });
    expect(slaPolicySchema.safeParse({ days: { CRITICAL: 0, HIGH: 30, MEDIUM: 90, LOW: 180 } }).success).toBe(false);
    expect(slaPolicySchema.safeParse({ accounts: { acme: { URGENT: 3 } } }).success).toBe(false);
  });

  it('gives each finding its due date and status at the clock, none for severities without an SLA', async () => {
    const at = { policy, now: T0 + 25 * DAY };
    const got = (await all(db, at)).map((f) => [f.resource.name, f.severity, f.status, f.dueAt, f.slaStatus]).sort((a, b) => String(a).localeCompare(String(b)));
    const d = (days: number) => new Date(T0 + days * DAY).toISOString();
    expect(got).toEqual(
      [
        // Closed at day 10: after acme's 5-day allowance, within globex's 15.
        ['web-1', 'CRITICAL', 'CLOSED', d(5), 'BREACHED'],
        ['app-1', 'CRITICAL', 'CLOSED', d(15), 'WITHIN'],
        // Open; due at day 30: 5 days left at day 25, inside the 7-day window.
        ['web-1', 'HIGH', 'ACTIVE', d(30), 'DUE_SOON'],
        ['app-1', 'HIGH', 'ACTIVE', d(30), 'DUE_SOON'],
        ['web-1', 'LOW', 'ACTIVE', d(180), 'WITHIN'],
        ['app-1', 'LOW', 'ACTIVE', d(180), 'WITHIN'],
        ['web-1', 'INFORMATIONAL', 'ACTIVE', undefined, undefined],
        ['app-1', 'INFORMATIONAL', 'ACTIVE', undefined, undefined],
        // Opened day 20 with 5 days: due day 25, exactly now: not yet past, due soon.
        ['web-2', 'CRITICAL', 'ACTIVE', d(25), 'DUE_SOON'],
      ].sort((a, b) => String(a).localeCompare(String(b))),
    );
  });

  it.each([0, 4, 5, 20, 25, 25.001, 31, 200])('filters by SLA status exactly as each finding computes it, at day %s', async (days) => {
    const clock = { policy, now: T0 + days * DAY };
    const every = await all(db, clock);
    const expected = (keep: (s: string | undefined) => boolean) => every.filter((f) => keep(f.slaStatus)).map((f) => f.findingId).sort();
    for (const status of SLA_STATUSES) {
      const eq = (await all(db, clock, { slaStatus: [{ comparison: 'EQUALS', value: status }] })).map((f) => f.findingId).sort();
      expect(eq, `${status} at day ${days}`).toEqual(expected((s) => s === status));
      const ne = (await all(db, clock, { slaStatus: [{ comparison: 'NOT_EQUALS', value: status }] })).map((f) => f.findingId).sort();
      // Findings without an SLA match no slaStatus filter at all.
      expect(ne, `not ${status} at day ${days}`).toEqual(expected((s) => s !== undefined && s !== status));
    }
    const either = (await all(db, clock, { slaStatus: [{ comparison: 'EQUALS', value: 'BREACHED' }, { comparison: 'EQUALS', value: 'DUE_SOON' }], status: [{ comparison: 'EQUALS', value: 'ACTIVE' }] })).map((f) => f.findingId).sort();
    expect(either).toEqual(every.filter((f) => f.status === 'ACTIVE' && (f.slaStatus === 'BREACHED' || f.slaStatus === 'DUE_SOON')).map((f) => f.findingId).sort());
  });

  it.each(['DESC', 'ASC'] as const)('pages an SLA filter sorted by first observed (%s) in order (read per severity window and merged)', async (sortOrder) => {
    const clock = { policy, now: T0 + 25 * DAY };
    const sort = { field: 'FIRST_OBSERVED_AT', sortOrder } as const;
    const criteria = parseCriteria({ slaStatus: [{ comparison: 'NOT_EQUALS', value: 'WITHIN' }] });
    const sign = sortOrder === 'DESC' ? -1 : 1;
    const expected = (await all(db, clock))
      .filter((f) => f.slaStatus !== undefined && f.slaStatus !== 'WITHIN')
      .sort((a, b) => sign * (a.firstObservedAt.localeCompare(b.firstObservedAt) || a.findingId.localeCompare(b.findingId)))
      .map((f) => f.findingId);
    // Both dialects order ids as text, so ties on first observation page the same way.
    expect(expected.length).toBeGreaterThan(3);
    const paged: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await searchFindings(db, 'ALL', { criteria, sort, limit: 2, sla: clock, ...(cursor ? { cursor } : {}) });
      paged.push(...page.findings.map((f) => f.findingId));
      cursor = page.nextCursor;
    } while (cursor);
    expect(paged).toEqual(expected);
  });

  it('rejects unknown SLA statuses naming the field', () => {
    expect(() => parseCriteria({ slaStatus: [{ comparison: 'EQUALS', value: 'LATE' }] })).toThrow(/slaStatus must be one of WITHIN, DUE_SOON, BREACHED; got LATE/);
  });

  it('counts with the stored policy and the current time', async () => {
    const expected = (await all(db, { policy, now: Date.now() })).filter((f) => f.slaStatus === 'BREACHED').length;
    // Now is past day 30: at least both highs, web-2's critical and web-1's late-closed critical.
    expect(expected).toBeGreaterThanOrEqual(4);
    expect(await countFindings(db, 'ALL', parseCriteria({ slaStatus: [{ comparison: 'EQUALS', value: 'BREACHED' }] }))).toBe(expected);
  });

  it('aggregates by SLA status', async () => {
    const clock = { policy, now: T0 + 31 * DAY };
    const page = await aggregateFindings(db, 'ALL', { type: 'SLA_STATUS', criteria: {}, limit: 10, sla: clock });
    const counts = Object.fromEntries(page.rows.map((r) => [r.key.slaStatus, r.counts.total]));
    // ACTIVE only (the aggregation default): highs breached (due day 30), web-2's critical breached (day 25), lows within.
    expect(counts).toEqual({ BREACHED: 3, WITHIN: 2 });
    const closed = await aggregateFindings(db, ['acme', 'globex'], { type: 'SLA_STATUS', criteria: parseCriteria({ status: [{ comparison: 'EQUALS', value: 'CLOSED' }] }), limit: 10, sla: clock });
    expect(Object.fromEntries(closed.rows.map((r) => [r.key.slaStatus, r.counts.total]))).toEqual({ BREACHED: 1, WITHIN: 1 });
  });

  it.each([0, 4, 5, 20, 25, 25.001, 31, 200])('aggregates by SLA status from the SLA summary exactly as from the findings, at day %s', async (days) => {
    const clock = { policy, now: T0 + days * DAY };
    // Organization, one account (with its override), and the criteria the summary answers.
    const requests: [AccountScope, FilterCriteria][] = [
      ['ALL', {}],
      [['acme'], {}],
      ['ALL', parseCriteria({ accountId: [{ comparison: 'EQUALS', value: 'globex' }], status: [{ comparison: 'EQUALS', value: 'ACTIVE' }] })],
      ['ALL', parseCriteria({ severity: [{ comparison: 'EQUALS', value: 'CRITICAL' }] })],
    ];
    for (const [scope, criteria] of requests) {
      for (const sortBy of ['CRITICAL', 'AFFECTED_RESOURCES'] as const) {
        const req = { type: 'SLA_STATUS' as const, criteria, sortBy, limit: 10, sla: clock };
        const viaSummary = await aggregateFindings(db, scope, req);
        expect({ scope, criteria, rows: viaSummary.rows }).toEqual({ scope, criteria, rows: (await aggregateFindings(db, scope, req, { useSummary: false })).rows });
      }
    }
  });

  it('exports dueAt and slaStatus columns', async () => {
    let csv = '';
    for await (const chunk of exportFindings(db, ['acme'], parseCriteria({ severity: [{ comparison: 'EQUALS', value: 'CRITICAL' }] }), 'csv')) csv += String(chunk);
    const [header, ...rows] = csv.trim().split('\r\n');
    const cols = header.split(',');
    expect(cols.slice(-2)).toEqual(['dueAt', 'slaStatus']);
    const due = rows.map((r) => r.split(',').slice(-2)).sort();
    expect(due).toEqual([[new Date(T0 + 25 * DAY).toISOString(), 'BREACHED'], [new Date(T0 + 5 * DAY).toISOString(), 'BREACHED']].sort());
  });

  it('announces each breach once, and again when its due date moves', async () => {
    const events: EventInput[] = [];
    const publisher = { publish: async (e: readonly EventInput[]) => void events.push(...e) };
    expect(await sweepSlaBreaches(db, publisher, { policy, now: T0 + 26 * DAY })).toBe(1);
    expect(events[0]).toMatchObject({ type: 'vigil.finding.sla-breached', accountId: 'acme', severity: 'CRITICAL', resource: { name: 'web-2' }, data: { dueAt: new Date(T0 + 25 * DAY).toISOString(), vulnerabilityId: 'CVE-2026-0001' } });
    expect(await sweepSlaBreaches(db, publisher, { policy, now: T0 + 27 * DAY })).toBe(0);
    // Day 31: the four highs' due dates (day 30) pass; closed criticals are never announced.
    expect(await sweepSlaBreaches(db, publisher, { policy, now: T0 + 31 * DAY })).toBe(2);
    expect(events.slice(1).map((e) => e.data.severity)).toEqual(['HIGH', 'HIGH']);
    // A shorter allowance for acme's highs moves their due date: announced again for the new one.
    const tighter = slaPolicySchema.parse({ accounts: { acme: { CRITICAL: 5, HIGH: 20 } } });
    expect(await sweepSlaBreaches(db, publisher, { policy: tighter, now: T0 + 31 * DAY })).toBe(1);
    expect(events[3]).toMatchObject({ accountId: 'acme', data: { dueAt: new Date(T0 + 20 * DAY).toISOString() } });
  });

  it('reports the figures of a period per account and severity, with scan cadence', async () => {
    const r = await complianceReport(db, 'ALL', { from: T0, to: T0 + 30 * DAY, policy, now: T0 + 60 * DAY });
    expect(r.asOf).toBe(new Date(T0 + 30 * DAY).toISOString());
    const acme = r.accounts.find((a) => a.accountId === 'acme')!;
    expect(acme.slaDays).toEqual({ CRITICAL: 5, HIGH: 30, MEDIUM: 90, LOW: 180 });
    const sev = (a: typeof acme, s: string) => a.severities.find((f) => f.severity === s)!;
    // Two criticals opened (web-1, web-2), one closed after 10 days, past its 5.
    // web-2's is open at day 30, 5 days past its day-25 due date.
    expect(sev(acme, 'CRITICAL')).toEqual({ severity: 'CRITICAL', opened: 2, closed: 1, closedPastSla: 1, mttrDays: 10, openPastSla: { '1-30': 1, '31-60': 0, '61-90': 0, '>90': 0, total: 1 }, openWithinSla: 0 });
    // The high is due exactly at day 30: not past due.
    expect(sev(acme, 'HIGH')).toMatchObject({ opened: 1, closed: 0, mttrDays: null, openPastSla: { total: 0 }, openWithinSla: 1 });
    expect(sev(acme, 'INFORMATIONAL')).toMatchObject({ opened: 1, openWithinSla: 0, openPastSla: { total: 0 } });
    const globex = r.accounts.find((a) => a.accountId === 'globex')!;
    expect(sev(globex, 'CRITICAL')).toMatchObject({ opened: 1, closed: 1, closedPastSla: 0, mttrDays: 10 });
    expect(r.accounts.map((a) => a.accountId)).toEqual(['acme', 'globex']);
    // Cadence: idle-1 was scanned only before the period.
    expect(r.scanCoverage.notScannedInPeriod.map((c) => [c.name, c.lastScannedAt, c.scansInPeriod])).toEqual([['idle-1', new Date(T0 - 30 * DAY).toISOString(), 0]]);
    expect(r.scanCoverage.cadence.find((c) => c.name === 'web-1')).toMatchObject({ scansInPeriod: 2, lastScannedAt: new Date(T0 + 10 * DAY).toISOString() });
    expect(r.controls.map((c) => c.id)).toEqual(['6.3.3', '11.3.1', 'ID.RA-01', 'ID.RA-08', 'DE.CM-08']);
    expect(r.controls[1].evidence[0]).toBe('3 of 4 resources scanned in the period; 1 not scanned');
    // Scoped to one account, nothing of the other shows.
    const only = await complianceReport(db, ['globex'], { from: T0, to: T0 + 30 * DAY, policy, now: T0 + 60 * DAY });
    expect(only.accounts.map((a) => a.accountId)).toEqual(['globex']);
    expect(JSON.stringify(only)).not.toContain('web-1');
  });

  it('judges a finding in a period that ends before it was fixed as open then', async () => {
    // Period ends day 8: both criticals still open, acme's 3 days past its day-5 due date.
    const r = await complianceReport(db, ['acme'], { from: T0, to: T0 + 8 * DAY, policy, now: T0 + 60 * DAY });
    expect(r.accounts[0].severities.find((f) => f.severity === 'CRITICAL')).toMatchObject({ opened: 1, closed: 0, openPastSla: { '1-30': 1, total: 1 } });
  });

  it('computes the same status in SQL as in code for a closed finding on its due date', () => {
    const c = { policy, now: T0 };
    expect(findingSla({ accountId: 'acme', severity: 'CRITICAL', firstObservedAt: T0, closedAt: T0 + 5 * DAY }, c)?.slaStatus).toBe('WITHIN');
  });
});
