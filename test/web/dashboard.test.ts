/**
 * The dashboard in a real browser against a real `vigil server`, seeded by real scans:
 * the Debian image (debootstrapped bookworm with an npm app layer) in account `payments`,
 * and the npm demo project in the delegated administrator's account, scanned as not
 * reachable from the internet so its scores carry contextual adjustments.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanTarget } from '../../src/inventory/index.js';
import type { Inventory } from '../../src/inventory/types.js';
import { sharedDir } from '../helpers/cli.js';
import { debianImages } from '../helpers/images.js';
import { ensureWebBuilt, launchBrowser, screenshotDir, startVigil, vulndataDb, type VigilServer } from './harness.js';

interface Criteria {
  [field: string]: { comparison: string; value: string }[];
}
const eq = (value: string) => [{ comparison: 'EQUALS', value }];

let server: VigilServer;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let admin: string;
let imageInventory: Inventory;
let npmInventory: Inventory;
/** Content-Security-Policy violations any page reported (the server's CSP must fit the built dashboard). */
const cspViolations: string[] = [];

async function count(criteria: Criteria, key = admin): Promise<number> {
  return (await server.api<{ count: number }>(key, 'POST', '/api/v1/dashboard/count', { filterCriteria: criteria })).count;
}

async function open(path: string, opts: { key?: string; theme?: 'light' | 'dark' } = {}): Promise<Page> {
  const ctx = await browser.newContext(opts.key ?? admin, opts.theme);
  const page = await ctx.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content Security Policy/i.test(msg.text())) cspViolations.push(`${path}: ${msg.text()}`);
  });
  await page.goto(server.url + path);
  return page;
}

async function shot(page: Page, name: string, fullPage = false): Promise<void> {
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage });
}

/** The number a stat card shows. */
async function stat(page: Page, id: string): Promise<number> {
  return Number(await page.getAttribute(`[data-testid="${id}"] .stat-value`, 'data-value'));
}

beforeAll(async () => {
  mkdirSync(screenshotDir, { recursive: true });
  const [vulndb, images] = await Promise.all([vulndataDb(), debianImages(), ensureWebBuilt()]);
  server = await startVigil(vulndb);
  admin = server.adminKey;
  await server.api(admin, 'POST', '/api/v1/accounts', { id: 'payments', name: 'Payments team' });
  imageInventory = await scanTarget(`docker-archive:${images.dockerArchive('bookworm-node')}`);
  npmInventory = await scanTarget(`dir:${join(sharedDir, 'vulndata', 'demo', 'npm-project')}`);
  await server.api(admin, 'POST', '/api/v1/scans', { accountId: 'payments', inventory: imageInventory });
  await server.api(admin, 'POST', '/api/v1/scans', { inventory: npmInventory, context: { internetReachable: false } });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('dashboard', () => {
  it('signs in with an API key and shows the overview with the API’s numbers', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(server.url + '/');
    await shot(page, 'sign-in');
    await page.getByLabel('API key').fill('vgl_not-a-real-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    await page.getByLabel('API key').fill(admin);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForSelector('[data-testid="stat-total"]');
    await page.waitForSelector('#top-vulns table');

    // Counted by the findings search (a different code path from the overview's query).
    const active = await count({ status: eq('ACTIVE') });
    expect(active).toBeGreaterThan(0);
    expect(await stat(page, 'stat-total')).toBe(active);
    expect(await stat(page, 'stat-critical')).toBe(await count({ status: eq('ACTIVE'), severity: eq('CRITICAL') }));
    expect(await stat(page, 'stat-high')).toBe(await count({ status: eq('ACTIVE'), severity: eq('HIGH') }));
    expect(await stat(page, 'stat-exploited')).toBe(await count({ status: eq('ACTIVE'), exploited: eq('YES') }));
    expect(await stat(page, 'stat-fixable')).toBe(await count({ status: eq('ACTIVE'), fixAvailable: eq('YES') }));
    const overview = await server.api<{ topVulnerabilities: { key: string }[] }>(admin, 'GET', '/api/v1/dashboard/overview');
    const shownTop = await page.locator('#top-vulns tbody th a').allTextContents();
    expect(shownTop).toEqual(overview.topVulnerabilities.map((v) => v.key));
    await shot(page, 'overview', true);
    await ctx.close();

    const dark = await open('/overview', { theme: 'dark' });
    await dark.waitForSelector('#top-vulns table');
    await shot(dark, 'overview-dark', true);
    await dark.context().close();
  });

  it('keeps the session across a reload and ends it once the key is revoked', async () => {
    const created = await server.api<{ key: string; info: { id: string } }>(admin, 'POST', '/api/v1/keys', { role: 'viewer', name: 'reload test' });
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(server.url + '/overview');
    await page.getByLabel('API key').fill(created.key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForSelector('[data-testid="stat-total"]');

    // The reload shows the dashboard straight away, from the stored session.
    await page.reload();
    await page.waitForSelector('[data-testid="stat-total"]');
    expect(await page.getByLabel('API key').count()).toBe(0);

    // The background check of the stored key signs the tab out when the server refuses it.
    await server.api(admin, 'DELETE', `/api/v1/keys/${created.info.id}`);
    await page.reload();
    await page.getByLabel('API key').waitFor();
    expect(await page.evaluate(() => [sessionStorage.getItem('vigil.apiKey'), sessionStorage.getItem('vigil.principal')])).toEqual([null, null]);
    await ctx.close();
  });

  it('narrows to one account from the account switch', async () => {
    const page = await open('/overview');
    await page.waitForSelector('[data-testid="stat-total"]');
    await page.getByLabel('Account').selectOption('payments');
    const expected = await count({ status: eq('ACTIVE'), accountId: eq('payments') });
    await page.waitForFunction((n) => document.querySelector('[data-testid="stat-total"] .stat-value')?.getAttribute('data-value') === String(n), expected);
    expect(await stat(page, 'stat-total')).toBe(expected);
    await page.context().close();
  });

  it('groups findings by image with the right rows', async () => {
    const page = await open('/findings?status=ACTIVE&group=CONTAINER_IMAGE');
    await page.waitForSelector('table[aria-label="Findings grouped by image"] tbody tr td:not(.empty-cell)');
    const api = await server.api<{ rows: { key: { resourceId: string }; labels?: { name?: string }; counts: Record<string, number> }[] }>(admin, 'POST', '/api/v1/findings/aggregate', {
      aggregationType: 'CONTAINER_IMAGE',
      filterCriteria: { status: eq('ACTIVE') },
      maxResults: 100,
    });
    // One image was scanned; the npm project is not an image, so it has no row.
    expect(api.rows).toHaveLength(1);
    const rows = page.locator('table[aria-label="Findings grouped by image"] tbody tr');
    expect(await rows.count()).toBe(1);
    const cells = await rows.first().locator('td').allTextContents();
    expect(cells[1]).toBe(String(api.rows[0].counts.CRITICAL));
    expect(cells[2]).toBe(String(api.rows[0].counts.HIGH));
    expect(cells[5]).toBe(api.rows[0].counts.total.toLocaleString('en-US'));
    await shot(page, 'findings-by-image');

    // Selecting the row drills into that image's findings.
    await rows.first().click();
    await page.waitForURL(/resource=/);
    expect(new URL(page.url()).searchParams.get('resource')).toBe(api.rows[0].key.resourceId);
    // Wait for the count itself: "Counting findings…" also ends in "findings".
    const total = `${api.rows[0].counts.total.toLocaleString('en-US')} findings`;
    await page.waitForSelector(`[data-testid="findings-total"]:text-is("${total}")`);
    expect(await page.textContent('[data-testid="findings-total"]')).toBe(total);
    await shot(page, 'findings');
    await page.context().close();

    const byVuln = await open('/findings?status=ACTIVE&group=VULNERABILITY');
    await byVuln.waitForSelector('table[aria-label="Findings grouped by vulnerability"] tbody tr td:not(.empty-cell)');
    await shot(byVuln, 'findings-by-vulnerability');
    await byVuln.context().close();
  });

  it('shows a finding’s CVSS metrics and contextual adjustments in the panel', async () => {
    // The npm project was scanned as unreachable from the internet: its network-vector findings are adjusted.
    const page1 = await server.api<{ findings: { findingId: string; cvss?: { vector: string }; scoreReason?: string; adjustments: { reason: string }[] }[] }>(admin, 'POST', '/api/v1/findings/search', {
      filterCriteria: { status: eq('ACTIVE'), packageEcosystem: eq('npm') },
      sortCriteria: { field: 'SCORE', sortOrder: 'DESC' },
      maxResults: 200,
    });
    const f = page1.findings.find((x) => x.cvss && x.adjustments.length > 0);
    expect(f, 'an npm finding with a CVSS vector and adjustments').toBeDefined();
    const page = await open(`/findings?status=ACTIVE&finding=${encodeURIComponent(f!.findingId)}`);
    const panel = page.getByTestId('finding-panel');
    await panel.getByTestId('cvss-metrics').waitFor();
    await expect(panel.getByTestId('cvss-vector').textContent()).resolves.toBe(f!.cvss!.vector);
    // Where the base came from and why, as the engine explained it.
    expect(f!.scoreReason).toMatch(/^base \d+\.\d from /);
    await expect(panel.getByTestId('score-reason').textContent()).resolves.toBe(f!.scoreReason);
    const metricNames = await panel.locator('[data-testid="cvss-metrics"] th').allTextContents();
    expect(metricNames.some((m) => m.startsWith('Attack Vector'))).toBe(true);
    expect(metricNames.some((m) => m.startsWith('Attack Complexity'))).toBe(true);
    const adjustments = await panel.getByTestId('adjustments').textContent();
    for (const a of f!.adjustments) expect(adjustments).toContain(a.reason);
    expect(await panel.getByTestId('remediation').textContent()).toMatch(/Upgrade|No fixed version/);
    await shot(page, 'finding-panel');
    // Esc closes the panel and takes the finding out of the URL.
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => !new URL(location.href).searchParams.has('finding'));
    await page.context().close();
  });

  it('creates a suppression rule from the explorer’s filter and the findings move to SUPPRESSED', async () => {
    const filter: Criteria = { status: eq('ACTIVE'), packageName: eq('minimist') };
    const before = await count(filter);
    expect(before).toBeGreaterThan(0);
    const totalBefore = await count({ status: eq('ACTIVE') });

    const page = await open('/findings?status=ACTIVE&pkg=minimist');
    await page.waitForSelector(`[data-testid="findings-total"]:has-text("${before} findings")`);
    await page.getByTestId('suppress-from-filter').click();
    await page.waitForURL(/\/suppression-rules\?/);
    await page.waitForSelector(`[data-testid="preview-count"]:has-text("${before}")`);
    await page.getByLabel('Reason (required)').fill('minimist is only used by the build scripts, never at run time');
    await page.getByLabel('Justification').selectOption('vulnerable_code_not_in_execute_path');
    await shot(page, 'suppression-rule-new', true);
    await page.getByTestId('create-rule').click();
    await page.waitForURL(/\/findings\?.*status=SUPPRESSED/);
    await page.waitForSelector(`[data-testid="findings-total"]:has-text("${before} findings")`);
    await shot(page, 'findings-suppressed');

    expect(await count(filter)).toBe(0);
    expect(await count({ status: eq('SUPPRESSED'), packageName: eq('minimist') })).toBe(before);
    expect(await count({ status: eq('ACTIVE') })).toBe(totalBefore - before);

    await page.goto(server.url + '/overview');
    await page.waitForSelector('[data-testid="stat-total"]');
    expect(await stat(page, 'stat-total')).toBe(totalBefore - before);

    await page.goto(server.url + '/suppression-rules');
    await page.waitForSelector('table[aria-label="Suppression rules"] tbody tr td:not(.empty-cell)');
    expect(await page.locator('table[aria-label="Suppression rules"]').textContent()).toContain('minimist is only used by the build scripts');
    await shot(page, 'suppression-rules');
    await page.context().close();
  });

  it('shows a scan pushed through the API without a reload', async () => {
    const page = await open('/overview');
    await page.waitForSelector('[data-testid="stat-total"]');
    await page.waitForSelector('.live-live');
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    const before = await stat(page, 'stat-total');
    // The same image again, as another resource in another account: every finding is new.
    await server.api(admin, 'POST', '/api/v1/accounts', { id: 'web', name: 'Web team' });
    await server.api(admin, 'POST', '/api/v1/scans', { accountId: 'web', inventory: imageInventory });
    const after = await count({ status: eq('ACTIVE') });
    expect(after).toBeGreaterThan(before);
    await page.waitForFunction((n) => document.querySelector('[data-testid="stat-total"] .stat-value')?.getAttribute('data-value') === String(n), after, { timeout: 15_000 });
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
    await page.context().close();
  });

  it('renders the resources, accounts and integrations pages', async () => {
    const resources = await open('/resources');
    await resources.waitForSelector('table[aria-label="Resources"] tbody tr td:not(.empty-cell)');
    const coverage = await server.api<{ coverage: unknown[] }>(admin, 'GET', '/api/v1/coverage');
    expect(await resources.locator('table[aria-label="Resources"] tbody tr').count()).toBe(coverage.coverage.length);
    await shot(resources, 'resources');
    await resources.context().close();

    const accounts = await open('/accounts');
    await accounts.waitForSelector('table[aria-label="API keys"] tbody tr td:not(.empty-cell)');
    // The accounts table loads separately from the keys table: wait for it too.
    await accounts.waitForSelector('table[aria-label="Accounts"]:has-text("Payments team")');
    expect(await accounts.locator('table[aria-label="Accounts"]').textContent()).toContain('Payments team');
    await shot(accounts, 'accounts', true);
    await accounts.context().close();

    const integrations = await open('/integrations');
    await integrations.waitForSelector('table[aria-label="Webhook subscriptions"]');
    await shot(integrations, 'integrations');
    await integrations.context().close();
  });

  it('shows why a host whose OS release has no advisory data is unsupported', async () => {
    const os = { id: 'ubuntu', versionId: '22.04', ecosystem: 'Ubuntu:22.04:LTS', prettyName: 'Ubuntu 22.04.4 LTS' };
    const inventory = {
      schemaVersion: 1,
      target: { type: 'host', name: 'jammy' },
      os,
      packages: [{ ecosystem: os.ecosystem, purlType: 'deb', name: 'openssl', version: '3.0.2-0ubuntu1', purl: 'pkg:deb/ubuntu/openssl@3.0.2-0ubuntu1', locations: ['/var/lib/dpkg/status'], extractor: 'os/dpkg-status@1' }],
      warnings: [],
      partial: false,
      scannedAt: '2026-12-01T00:00:00.000Z',
    };
    await server.api(admin, 'POST', '/api/v1/scans', { inventory, resource: { type: 'HOST', name: 'jammy' } });
    const page = await open('/resources?reason=UNSUPPORTED_OS');
    const detail = page.locator('table[aria-label="Resources"] tbody tr:has-text("jammy") [data-testid="coverage-detail"]');
    await detail.waitFor();
    expect(await detail.textContent()).toMatch(/^Ubuntu:22\.04:LTS: the advisory database holds no advisories for this release/);
    await shot(page, 'resources-unsupported-os');
    await page.context().close();
  });
});

describe('content security policy', () => {
  it('is sent with the dashboard and broken by no page the tests opened', async () => {
    const res = await fetch(`${server.url}/`);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(cspViolations).toEqual([]);
  });
});
