/**
 * The SLA policy, compliance and report endpoints on both dialects: the policy's rules and
 * who may change it, slaStatus through search, aggregation and rules, the figures of a
 * period, bad periods, and the printable report as HTML and as a PDF printed by Chromium,
 * checked by reading its text (pdftotext) and rasterising its first page (pdftoppm).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordScan } from '../../src/findings/lifecycle.js';
import { requireComponent } from '../helpers/components.js';
import { dialectCases } from '../helpers/postgres.js';
import { finding, inventory, pkg, result } from '../findings/fixtures.js';
import { startTestApp, type TestApp } from './harness.js';

const DAY = 86_400_000;
const openssl = pkg('Debian:12', 'openssl', '3.0.1');
const zlib = pkg('Debian:12', 'zlib1g', '1.2.13');
const crit = finding('CVE-2026-1001', openssl, { severity: 'CRITICAL', score: 9.8 });
const high = finding('CVE-2026-1002', zlib, { severity: 'HIGH', score: 7.5 });

describe.each(dialectCases())('compliance API on $name', (dialect) => {
  let t: TestApp;
  let work: string;
  // Whole days, so the period's edges fall between the scans.
  const today = Math.floor(Date.now() / DAY) * DAY;
  const day = (n: number) => new Date(today + n * DAY).toISOString().slice(0, 10);
  const scan = async (accountId: string, name: string, findings: ReturnType<typeof finding>[], at: number) => {
    const inv = inventory(name, [openssl, zlib]);
    await recordScan(t.db, { accountId, resource: { type: 'HOST', name }, inventory: inv, result: result(inv, findings), trigger: 'SUBMITTED', at });
  };
  const get = (key: string, url: string) => t.call(key, { method: 'GET', url });

  beforeAll(async () => {
    t = await startTestApp(dialect);
    work = mkdtempSync(join(tmpdir(), 'vigil-compliance-'));
    // acme: a critical and a high open 40 days ago on db-1; the critical fixed 20 days ago.
    await scan('acme', 'db-1', [crit, high], today - 40 * DAY + 3600_000);
    await scan('acme', 'db-1', [high], today - 20 * DAY + 3600_000);
    // acme: cache-1 last scanned 200 days ago. globex: one fresh critical.
    await scan('acme', 'cache-1', [], today - 200 * DAY);
    await scan('globex', 'edge-1', [crit], today - 2 * DAY);
  });
  afterAll(async () => {
    await t?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('serves the default policy and lets only the delegated administrator replace it', async () => {
    expect((await get(t.keys.acme.viewer, '/api/v1/sla-policy')).json()).toEqual({ days: { CRITICAL: 15, HIGH: 30, MEDIUM: 90, LOW: 180 }, dueSoonDays: 7, accounts: {} });
    const member = await t.call(t.keys.acme.admin, { method: 'PUT', url: '/api/v1/sla-policy', payload: { days: { CRITICAL: 1, HIGH: 2, MEDIUM: 3, LOW: 4 } } });
    expect(member.statusCode).toBe(403);
    const unknown = await t.call(t.keys.admin.admin, { method: 'PUT', url: '/api/v1/sla-policy', payload: { accounts: { nope: { HIGH: 3 } } } });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(unknown.json().detail).toMatch(/accounts\.nope: no such account/);
    const zero = await t.call(t.keys.admin.admin, { method: 'PUT', url: '/api/v1/sla-policy', payload: { days: { CRITICAL: 0, HIGH: 30, MEDIUM: 90, LOW: 180 } } });
    expect(zero.statusCode).toBe(400);
    expect(JSON.stringify(zero.json())).toContain('/days/CRITICAL');
    const put = await t.call(t.keys.admin.admin, { method: 'PUT', url: '/api/v1/sla-policy', payload: { days: { CRITICAL: 15, HIGH: 30, MEDIUM: 90, LOW: 180 }, accounts: { acme: { CRITICAL: 10 } } } });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toEqual({ days: { CRITICAL: 15, HIGH: 30, MEDIUM: 90, LOW: 180 }, dueSoonDays: 7, accounts: { acme: { CRITICAL: 10 } } });
  });

  it('filters, shows and aggregates SLA status; keeps it out of suppression rules', async () => {
    const search = await t.call(t.keys.admin.viewer, { method: 'POST', url: '/api/v1/findings/search', payload: { filterCriteria: { slaStatus: [{ comparison: 'EQUALS', value: 'BREACHED' }] } } });
    expect(search.statusCode).toBe(200);
    // acme's critical closed on day 20 of a 10-day allowance; acme's high is 40 days into 30.
    expect(search.json().findings.map((f: { resource: { name: string }; severity: string; slaStatus: string }) => [f.resource.name, f.severity, f.slaStatus]).sort()).toEqual([
      ['db-1', 'CRITICAL', 'BREACHED'],
      ['db-1', 'HIGH', 'BREACHED'],
    ]);
    const agg = await t.call(t.keys.admin.viewer, { method: 'POST', url: '/api/v1/findings/aggregate', payload: { aggregationType: 'SLA_STATUS' } });
    expect(Object.fromEntries(agg.json().rows.map((r: { key: { slaStatus: string }; counts: { total: number } }) => [r.key.slaStatus, r.counts.total]))).toEqual({ BREACHED: 1, WITHIN: 1 });
    const bad = await t.call(t.keys.acme.viewer, { method: 'POST', url: '/api/v1/findings/search', payload: { filterCriteria: { slaStatus: [{ comparison: 'EQUALS', value: 'OVERDUE' }] } } });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('slaStatus must be one of WITHIN, DUE_SOON, BREACHED');
    const rule = await t.call(t.keys.acme.admin, { method: 'POST', url: '/api/v1/suppression-rules', payload: { name: 'n', reason: 'r', filterCriteria: { slaStatus: [{ comparison: 'EQUALS', value: 'BREACHED' }] } } });
    expect(rule.statusCode).toBe(400);
    expect(rule.body).toContain('slaStatus cannot be part of a suppression rule');
  });

  it('reports a period per account and severity, scoped to the caller', async () => {
    const res = await get(t.keys.acme.viewer, `/api/v1/compliance?from=${day(-30)}&to=${day(1)}`);
    expect(res.statusCode).toBe(200);
    const r = res.json();
    expect(r.accounts.map((a: { accountId: string }) => a.accountId)).toEqual(['acme']);
    const crit = r.accounts[0].severities.find((f: { severity: string }) => f.severity === 'CRITICAL');
    // Opened before the period, closed in it after 20 days, 10 past its due date.
    expect(crit).toMatchObject({ opened: 0, closed: 1, closedPastSla: 1, mttrDays: 20 });
    const highFig = r.accounts[0].severities.find((f: { severity: string }) => f.severity === 'HIGH');
    expect(highFig.openPastSla).toMatchObject({ '1-30': 1, total: 1 });
    expect(r.scanCoverage.notScannedInPeriod.map((c: { name: string }) => c.name)).toEqual(['cache-1']);
    expect(JSON.stringify(r)).not.toContain('edge-1');
    expect(r.controls.find((c: { id: string }) => c.id === 'DE.CM-08').note).toMatch(/CSF 2.0 has no DE.CM-08/);
  });

  it.each([
    ['a bad date', '?from=yesterday', /from/],
    ['from after to', `?from=2026-05-01&to=2026-04-01`, /must be before to/],
    ['a period over three years', `?from=2020-01-01&to=2026-01-01`, /longer than/],
    ['a bad format', '?format=docx', /format/],
  ])('answers 400 problem+json to %s', async (_name, q, message) => {
    const res = await get(t.keys.acme.viewer, `/api/v1/reports/compliance${q}`);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatch(message);
  });

  it('serves the report as script-free HTML', async () => {
    const res = await get(t.keys.admin.viewer, `/api/v1/reports/compliance?from=${day(-30)}&to=${day(1)}&format=html`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.body).not.toMatch(/<script/i);
    expect(res.body).toContain('Account acme');
    expect(res.body).toContain('Account globex');
  });

  it('prints the report to a PDF whose text and first page carry the figures', async () => {
    requireComponent('chromium', 'pdftoppm', 'pdftotext');
    const res = await get(t.keys.acme.viewer, `/api/v1/reports/compliance?from=${day(-30)}&to=${day(1)}&format=pdf`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    expect(res.headers['content-disposition']).toMatch(/attachment; filename="vigil-compliance-.*\.pdf"/);
    const pdf = join(work, `report-${dialect.name}.pdf`);
    writeFileSync(pdf, res.rawPayload);
    const text = execFileSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8' });
    for (const s of ['Vulnerability remediation compliance report', 'Account acme', 'cache-1', '6.3.3', '11.3.1', 'ID.RA-01', 'ID.RA-08', 'DE.CM-08', 'critical 10']) expect(text).toContain(s);
    expect(text).not.toContain('globex');
    // The CRITICAL row: SLA 10 days, 0 opened, 1 closed, 1 closed past SLA, MTTR 20.
    expect(text).toMatch(/CRITICAL\s+10\s+0\s+1\s+1\s+20\b/);
    // First page as a greyscale image: A4 at 40 dpi, with ink on it.
    execFileSync('pdftoppm', ['-f', '1', '-l', '1', '-r', '40', '-gray', pdf, join(work, 'page')]);
    const pgm = readFileSync(join(work, `page-1.pgm`));
    const header = /^P5\s+(\d+)\s+(\d+)\s+255\s/.exec(pgm.subarray(0, 30).toString('latin1'))!;
    const [w, h] = [Number(header[1]), Number(header[2])];
    expect([w, h]).toEqual([331, 468]);
    const pixels = pgm.subarray(header[0].length);
    const dark = pixels.filter((p) => p < 128).length;
    expect(dark / (w * h)).toBeGreaterThan(0.01);
  });

  it('lists the new routes in the OpenAPI document', async () => {
    const doc = (await t.call(undefined, { method: 'GET', url: '/api/openapi.json' })).json();
    for (const p of ['/api/v1/sla-policy', '/api/v1/compliance', '/api/v1/reports/compliance']) expect(Object.keys(doc.paths)).toContain(p);
    expect(Object.keys(doc.paths['/api/v1/sla-policy'])).toEqual(expect.arrayContaining(['get', 'put']));
    const criteria = doc.paths['/api/v1/findings/search'].post.requestBody.content['application/json'].schema.properties.filterCriteria;
    expect(Object.keys(criteria.properties)).toContain('slaStatus');
  });
});
