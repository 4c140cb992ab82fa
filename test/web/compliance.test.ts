/**
 * The compliance page and the SLA filter in a real browser against a real `vigil server`
 * seeded by a real scan (the npm demo project), at 1440 and 390 pixels wide: figures match
 * the API, the delegated administrator edits the SLA policy, the report downloads as a PDF
 * with the page's figures in it, and the explorer filters by SLA status.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanTarget } from '../../src/inventory/index.js';
import { sharedDir } from '../helpers/cli.js';
import { requireComponent } from '../helpers/components.js';
import { ensureWebBuilt, launchBrowser, screenshotDir, startVigil, vulndataDb, type VigilServer } from './harness.js';

const eq = (value: string) => [{ comparison: 'EQUALS', value }];
let server: VigilServer;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let admin: string;
let viewer: string;
let work: string;

async function count(criteria: Record<string, { comparison: string; value: string }[]>): Promise<number> {
  return (await server.api<{ count: number }>(admin, 'POST', '/api/v1/dashboard/count', { filterCriteria: criteria })).count;
}

async function open(path: string, width: number, key = admin): Promise<Page> {
  const ctx = await browser.newContext(key);
  const page = await ctx.newPage();
  await page.setViewportSize({ width, height: 900 });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(server.url + path);
  return page;
}

async function stat(page: Page, status: string): Promise<number> {
  await page.waitForSelector(`[data-testid="sla-stats"][data-loaded="yes"] [data-testid="sla-${status}"] .stat-value`);
  return Number(await page.getAttribute(`[data-testid="sla-${status}"] .stat-value`, 'data-value'));
}

beforeAll(async () => {
  mkdirSync(screenshotDir, { recursive: true });
  work = mkdtempSync(join(tmpdir(), 'vigil-compliance-web-'));
  const [vulndb] = await Promise.all([vulndataDb(), ensureWebBuilt()]);
  server = await startVigil(vulndb);
  admin = server.adminKey;
  viewer = (await server.api<{ key: string }>(admin, 'POST', '/api/v1/keys', { role: 'viewer' })).key;
  // Named explicitly: a checkout's path would make the name long enough to wrap in the PDF's table.
  await server.api(admin, 'POST', '/api/v1/scans', { resource: { type: 'REPOSITORY', name: 'npm-project' }, inventory: await scanTarget(`dir:${join(sharedDir, 'vulndata', 'demo', 'npm-project')}`) });
  // Fresh findings: a one-day allowance for criticals puts them inside the 7-day due-soon window.
  await server.api(admin, 'PUT', '/api/v1/sla-policy', { days: { CRITICAL: 1, HIGH: 30, MEDIUM: 90, LOW: 180 } });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('compliance page', () => {
  it.each([1440, 390])('shows the API’s figures at %i px', async (width) => {
    const page = await open('/compliance', width);
    const dueSoon = await count({ status: eq('ACTIVE'), slaStatus: eq('DUE_SOON') });
    const within = await count({ status: eq('ACTIVE'), slaStatus: eq('WITHIN') });
    expect(dueSoon).toBeGreaterThan(0);
    expect(dueSoon).toBe(await count({ status: eq('ACTIVE'), severity: eq('CRITICAL') }));
    expect(await stat(page, 'DUE_SOON')).toBe(dueSoon);
    expect(await stat(page, 'WITHIN')).toBe(within);
    expect(await stat(page, 'BREACHED')).toBe(0);
    const report = await server.api<{ accounts: { name: string; severities: { severity: string; opened: number }[] }[]; scanCoverage: { resources: number; scannedInPeriod: number } }>(admin, 'GET', '/api/v1/compliance');
    await page.waitForSelector('[data-testid="cadence-summary"]');
    expect(await page.textContent('[data-testid="cadence-summary"]')).toBe(`${report.scanCoverage.scannedInPeriod} of ${report.scanCoverage.resources} resources scanned in the period; 0 not scanned.`);
    // The critical row of the administrator's account: its SLA days and findings opened.
    const acct = report.accounts.find((a) => a.severities.some((s) => s.opened > 0))!;
    const row = page.getByRole('table', { name: `Findings by severity in ${acct.name}` }).getByRole('row').filter({ hasText: 'Critical' });
    const cells = await row.locator('td, th').allTextContents();
    expect(cells.slice(0, 3)).toEqual(['Critical', '1', String(acct.severities.find((s) => s.severity === 'CRITICAL')!.opened)]);
    expect(await page.locator('ul.controls > li').count()).toBe(5);
    expect(await page.textContent('[data-testid="control-DE.CM-08"]')).toContain('CSF 2.0 has no DE.CM-08');
    await page.screenshot({ path: join(screenshotDir, `compliance-${width}.png`), fullPage: true });
    // Nothing spills sideways: wide tables scroll inside their panels.
    const overflow = await page.evaluate(() => {
      const main = document.querySelector('.page.compliance')!;
      return main.scrollWidth - main.clientWidth;
    });
    expect(overflow).toBeLessThanOrEqual(0);
    await page.context().close();
  });

  it('lets the delegated administrator edit the SLA policy, and shows it to a viewer', async () => {
    const page = await open('/compliance', 1440);
    const form = page.getByRole('form', { name: 'SLA policy' });
    await form.getByLabel('High', { exact: true }).fill('45');
    await form.getByRole('button', { name: 'Save policy' }).click();
    await form.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    expect((await server.api<{ days: Record<string, number> }>(admin, 'GET', '/api/v1/sla-policy')).days).toEqual({ CRITICAL: 1, HIGH: 45, MEDIUM: 90, LOW: 180 });
    // What is typed after a save stays when the policy's reload lands (held here until then).
    let releaseReload!: () => void;
    const reloadHeld = new Promise<void>((resolve) => (releaseReload = resolve));
    await page.route('**/api/v1/sla-policy', async (route) => {
      if (route.request().method() === 'GET') await reloadHeld;
      await route.continue();
    });
    await form.getByLabel('Low', { exact: true }).fill('180');
    const reloaded = page.waitForResponse((r) => r.url().endsWith('/api/v1/sla-policy') && r.request().method() === 'GET');
    await form.getByRole('button', { name: 'Save policy' }).click();
    await form.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    // Out-of-range values are stopped by the form, before the API.
    await form.getByLabel('Due soon within (days)').fill('400');
    releaseReload();
    await (await reloaded).finished();
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    await page.unroute('**/api/v1/sla-policy');
    expect(await form.getByLabel('Due soon within (days)').inputValue()).toBe('400');
    await form.getByRole('button', { name: 'Save policy' }).click();
    expect(await form.getByLabel('Due soon within (days)').evaluate((e) => (e as HTMLInputElement).validity.rangeOverflow)).toBe(true);
    expect((await server.api<{ dueSoonDays: number }>(admin, 'GET', '/api/v1/sla-policy')).dueSoonDays).toBe(7);
    await page.context().close();

    const seen = await open('/compliance', 390, viewer);
    await seen.waitForSelector('[data-testid="sla-policy-summary"]');
    expect(await seen.textContent('[data-testid="sla-policy-summary"]')).toContain('critical 1, high 45, medium 90, low 180');
    expect(await seen.getByRole('form', { name: 'SLA policy' }).count()).toBe(0);
    await seen.context().close();
  });

  it('downloads the PDF report with the figures in it', async () => {
    requireComponent('pdftotext');
    const page = await open('/compliance', 1440);
    await page.waitForSelector('[data-testid="cadence-summary"]');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download PDF report' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^vigil-compliance-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.pdf$/);
    const file = join(work, 'report.pdf');
    await download.saveAs(file);
    const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
    expect(text).toContain('Vulnerability remediation compliance report');
    expect(text).toContain('critical 1, high 45');
    expect(text).toContain('npm-project');
    await page.context().close();
  });

  it.each([1440, 390])('filters the findings explorer by SLA status at %i px', async (width) => {
    const dueSoon = await count({ status: eq('ACTIVE'), slaStatus: eq('DUE_SOON') });
    const page = await open('/compliance', width);
    await page.getByTestId('sla-DUE_SOON').click();
    await page.waitForURL(/\/findings\?.*sla=DUE_SOON/);
    await page.waitForFunction((n) => document.querySelector('[data-testid="findings-total"]')?.textContent === `${n} findings`, dueSoon);
    expect(await page.getByRole('button', { name: 'Due soon', exact: true }).getAttribute('aria-pressed')).toBe('true');
    // Every row shown is a critical marked due soon.
    const tags = await page.locator('tbody .sla-tag').allTextContents();
    expect(tags.length).toBe(Math.min(dueSoon, 50));
    expect(new Set(tags)).toEqual(new Set(['due soon']));
    // Switching to "Within" shows the rest.
    await page.getByRole('button', { name: 'Due soon', exact: true }).click();
    await page.getByRole('button', { name: 'Within', exact: true }).click();
    const within = await count({ status: eq('ACTIVE'), slaStatus: eq('WITHIN') });
    await page.waitForFunction((n) => document.querySelector('[data-testid="findings-total"]')?.textContent === `${n} findings`, within);
    await page.screenshot({ path: join(screenshotDir, `findings-sla-${width}.png`) });
    await page.context().close();
  });
});
