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

async function open(path: string, opts: { key?: string; theme?: 'light' | 'dark'; width?: number; height?: number } = {}): Promise<Page> {
  const ctx = await browser.newContext(opts.key ?? admin, opts.theme);
  const page = await ctx.newPage();
  if (opts.width) await page.setViewportSize({ width: opts.width, height: opts.height ?? 900 });
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
    // The delegated administrator's rule applies to its own account unless it explicitly confirms the organization.
    expect(await page.getByLabel('Applies to').inputValue()).toBe('ACCOUNT');
    const session = await server.api<{ accountId: string }>(admin, 'GET', '/api/v1/dashboard/session');
    expect(await page.locator('#r-acct').inputValue()).toBe(session.accountId);
    const own = await count({ status: eq('ACTIVE'), packageName: eq('minimist'), accountId: eq(session.accountId) });
    await page.waitForSelector(`[data-testid="preview-count"]:has-text("${own}")`);
    await page.getByLabel('Applies to').selectOption('ORGANIZATION');
    await page.waitForSelector(`[data-testid="preview-count"]:has-text("${before}")`);
    await page.getByLabel('Reason (required)').fill('minimist is only used by the build scripts, never at run time');
    await page.getByLabel('Justification').selectOption('vulnerable_code_not_in_execute_path');
    expect(await page.getByTestId('create-rule').isDisabled()).toBe(true);
    await page.getByTestId('confirm-org').check();
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

/** The page is no wider than the viewport (nothing to scroll sideways). */
async function expectNoOverflow(page: Page, what: string): Promise<void> {
  const [scroll, width] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  expect(scroll, `${what}: page ${scroll} px wide in a ${width} px viewport`).toBeLessThanOrEqual(width);
}

/** Every element matching `selector` lies inside the viewport horizontally. */
async function expectInViewport(page: Page, selector: string, what: string): Promise<void> {
  const width = page.viewportSize()!.width;
  const boxes = await page.locator(selector).evaluateAll((els) => els.map((e) => { const r = e.getBoundingClientRect(); return { left: r.left, right: r.right, text: e.textContent }; }));
  expect(boxes.length, `${what}: ${selector} found`).toBeGreaterThan(0);
  for (const b of boxes) {
    expect(b.left, `${what}: "${b.text}" starts inside the viewport`).toBeGreaterThanOrEqual(0);
    expect(b.right, `${what}: "${b.text}" ends inside the ${width} px viewport`).toBeLessThanOrEqual(width);
  }
}

/** WCAG contrast ratio of two computed CSS colours (rgb()/rgba() or color(srgb …)). */
function contrast(fg: string, bg: string): number {
  const parse = (c: string): number[] => {
    const srgb = /color\(srgb ([\d.]+) ([\d.]+) ([\d.]+)/.exec(c);
    if (srgb) return srgb.slice(1, 4).map((x) => Number(x) * 255);
    const rgb = /rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)/.exec(c);
    if (rgb) return rgb.slice(1, 4).map(Number);
    throw new Error(`unparsed colour ${c}`);
  };
  const lum = (c: number[]) => {
    const [r, g, b] = c.map((v) => { const s = v / 255; return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [a, b] = [lum(parse(fg)), lum(parse(bg))].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}

describe('daily use (issue 20)', () => {
  it('keeps every count of a grouped view on screen at 1440×900, the key clipped with its full text on hover', async () => {
    for (const [group, label] of [['VULNERABILITY', 'vulnerability'], ['IMAGE_LAYER', 'layer'], ['PACKAGE', 'package']] as const) {
      const page = await open(`/findings?status=ACTIVE&group=${group}`, { width: 1440, height: 900 });
      const table = `table[aria-label="Findings grouped by ${label}"]`;
      await page.waitForSelector(`${table} tbody tr td:not(.empty-cell)`);
      await expectNoOverflow(page, `grouped by ${label}`);
      await expectInViewport(page, `${table} thead th`, `grouped by ${label} headers`);
      await expectInViewport(page, `${table} tbody tr:first-child td`, `grouped by ${label} first row`);
      const key = page.locator(`${table} tbody tr:first-child [data-testid="group-key"]`);
      const full = await key.getAttribute('title');
      expect(full && full.length).toBeTruthy();
      // The key column is bounded: never wider than what the counts leave.
      const keyWidth = await page.locator(`${table} thead th:first-child`).evaluate((th) => th.getBoundingClientRect().width);
      expect(keyWidth).toBeLessThan(1440 - 212 - 700);
      if (group === 'VULNERABILITY') await shot(page, 'findings-by-vulnerability-1440');
      await page.context().close();
    }
  });

  it('opens the explorer on active findings, like the overview', async () => {
    const page = await open('/findings');
    await page.waitForURL(/status=ACTIVE/);
    const active = await count({ status: eq('ACTIVE') });
    await page.waitForSelector(`[data-testid="findings-total"]:text-is("${active.toLocaleString('en-US')} findings")`);
    // Every status is one click away, and says so in the URL.
    await page.getByRole('button', { name: 'Active', exact: true }).click();
    await page.waitForURL(/status=ALL/);
    const all = await count({ status: [...eq('ACTIVE'), ...eq('SUPPRESSED'), ...eq('CLOSED')] });
    expect(all).toBeGreaterThan(active);
    await page.waitForSelector(`[data-testid="findings-total"]:text-is("${all.toLocaleString('en-US')} findings")`);
    await page.context().close();
  });

  it('works at phone width: a menu drawer, stacked tiles, no page wider than 390 px, a full-screen panel', async () => {
    const phone = { width: 390, height: 844 };
    const page = await open('/overview', phone);
    await page.waitForSelector('[data-testid="stat-total"]');
    await page.waitForSelector('#top-vulns table');
    await expectNoOverflow(page, 'overview at 390');
    await expectInViewport(page, '.stat', 'overview tiles at 390');
    await expectInViewport(page, 'h1', 'overview heading at 390');
    const tiles = await page.locator('.stat').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().top));
    expect(new Set(tiles).size, 'tiles stack in rows').toBeGreaterThan(1);
    // The navigation is a drawer behind the menu button.
    const nav = page.getByRole('navigation', { name: 'Main' });
    expect(await nav.isVisible()).toBe(false);
    await page.getByTestId('menu-button').click();
    await nav.getByRole('link', { name: 'Findings' }).waitFor({ state: 'visible' });
    await shot(page, 'phone-menu');
    await nav.getByRole('link', { name: 'Findings' }).click();
    await page.waitForURL(/\/findings/);
    await page.waitForFunction(() => !document.querySelector('.shell.nav-open'));
    await page.waitForSelector('table[aria-label="Findings"] tbody tr td:not(.empty-cell)');
    await expectNoOverflow(page, 'findings at 390');
    await shot(page, 'phone-findings');
    await page.locator('table[aria-label="Findings"] tbody tr').first().click();
    const panel = page.getByTestId('finding-panel');
    await panel.getByTestId('remediation').waitFor();
    const box = await panel.boundingBox();
    expect(box).toMatchObject({ x: 0, width: 390 });
    await shot(page, 'phone-panel');
    await page.keyboard.press('Escape');
    for (const path of ['/findings?status=ACTIVE&group=VULNERABILITY', '/suppression-rules', '/resources', '/accounts', '/integrations']) {
      await page.goto(server.url + path);
      await page.waitForSelector('main h1');
      await page.locator('main table tbody td:visible').first().waitFor();
      await page.waitForFunction(() => !document.querySelector('main .loading'));
      await expectNoOverflow(page, `${path} at 390`);
      await expectInViewport(page, 'main h1', `${path} heading at 390`);
    }
    await shot(page, 'phone-integrations', true);
    await page.context().close();
  });

  it('ranks "what to fix first" by risk with labelled columns, and lists no all-zero riskiest rows', async () => {
    const overview = await server.api<{ topVulnerabilities: { key: string; exploited: number; maxScore: number }[]; riskiest: { hosts: { severityCounts: Record<string, number> }[] } }>(admin, 'GET', '/api/v1/dashboard/overview');
    const top = overview.topVulnerabilities;
    // KEV first, then by score.
    const firstUnexploited = top.findIndex((v) => !v.exploited);
    if (firstUnexploited >= 0) expect(top.slice(firstUnexploited).every((v) => !v.exploited)).toBe(true);
    const unexploited = top.filter((v) => !v.exploited).map((v) => v.maxScore);
    expect(unexploited).toEqual([...unexploited].sort((a, b) => b - a));
    const kev = await server.api<{ rows: unknown[] }>(admin, 'POST', '/api/v1/findings/aggregate', { aggregationType: 'VULNERABILITY', filterCriteria: { status: eq('ACTIVE'), exploited: eq('YES') }, maxResults: 100 });
    expect(top.filter((v) => v.exploited).length).toBe(Math.min(kev.rows.length, 25));

    const page = await open('/overview', { width: 1440, height: 900 });
    await page.waitForSelector('#top-vulns table');
    expect(await page.locator('#top-vulns thead th').allTextContents()).toEqual(['Vulnerability', 'Exploited', 'Max score', 'EPSS', 'Affected resources', 'Findings (Crit / High / Med / Low)', 'All findings']);
    expect(await page.locator('#top-vulns tbody th a').allTextContents()).toEqual(top.map((v) => v.key));
    for (const list of ['#risk-images', '#risk-hosts', '#risk-repos']) {
      const sums = await page.locator(`${list} .risk-list li .sev-counts`).evaluateAll((els) => els.map((e) => [...e.querySelectorAll('.sev-count')].reduce((a, c) => a + Number(c.textContent!.replace(/,/g, '')), 0)));
      for (const n of sums) expect(n, `${list} row with only zeros`).toBeGreaterThan(0);
      if (sums.length) expect(await page.locator(`${list} .risk-head`).textContent()).toContain('Crit');
    }
    await expectNoOverflow(page, 'overview at 1440');
    await shot(page, 'overview-1440', true);
    await page.context().close();
  });

  it('draws no bars for an empty account and keeps small severities visible beside a large one', async () => {
    await server.api(admin, 'POST', '/api/v1/accounts', { id: 'empty', name: 'Nothing here' });
    const page = await open('/overview');
    await page.waitForSelector('[data-testid="severity-chart"] svg');
    const counts = (await server.api<{ severityCounts: Record<string, number> }>(admin, 'GET', '/api/v1/dashboard/overview')).severityCounts;
    const nonZero = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNTRIAGED'].map((s) => counts[s] ?? 0).filter((n) => n > 0);
    const log = Math.max(...nonZero) / Math.min(...nonZero) > 20;
    expect(await page.getByTestId('severity-chart-row').getAttribute('data-scale')).toBe(log ? 'log' : 'linear');
    const widths = await page.locator('[data-testid="severity-chart"] svg g[aria-label="bar"] rect').evaluateAll((rs) => rs.map((r) => r.getBoundingClientRect().width));
    expect(widths.filter((w) => w >= 3).length, 'every non-zero severity has a visible bar').toBe(nonZero.length);

    await page.getByLabel('Account').selectOption('empty');
    await page.waitForSelector('#by-severity .empty');
    expect(await page.locator('#by-severity svg').count()).toBe(0);
    await shot(page, 'overview-empty-account');
    await page.goto(server.url + '/accounts');
    const row = page.locator('table[aria-label="Accounts"] tbody tr:has-text("Nothing here")');
    await row.waitFor();
    expect(await row.locator('.sev-bar').count()).toBe(0);
    await page.context().close();
  });

  it('keeps a focused selected chip readable and returns focus to the row after Esc', async () => {
    const page = await open('/findings?status=ACTIVE');
    await page.waitForSelector('table[aria-label="Findings"] tbody tr td:not(.empty-cell)');
    const chip = page.getByRole('button', { name: 'Active', exact: true });
    await chip.focus();
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Tab');
    await chip.hover();
    const [fg, bg] = await chip.evaluate((e) => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor]);
    expect(contrast(fg, bg), `chip text ${fg} on ${bg}`).toBeGreaterThanOrEqual(4.5);

    const row = page.locator('table[aria-label="Findings"] tbody tr').nth(1);
    const id = await row.getAttribute('data-row-id');
    await row.focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('finding-panel').getByTestId('remediation').waitFor();
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => !new URL(location.href).searchParams.has('finding'));
    await page.waitForFunction((rid) => document.activeElement?.getAttribute('data-row-id') === rid, id);
    await page.context().close();
  });

  it('edits a suppression rule from its row', async () => {
    const { rule } = await server.api<{ rule: { id: string } }>(admin, 'POST', '/api/v1/suppression-rules', { name: 'left-pad', reason: 'first words', filterCriteria: { packageName: eq('left-pad') } });
    for (const width of [1440, 390]) {
      const page = await open('/suppression-rules', { width });
      await page.getByTestId(`edit-rule-${rule.id}`).click();
      await page.waitForURL(new RegExp(`edit=${rule.id}`));
      const reason = page.getByLabel('Reason (required)');
      expect(await reason.inputValue()).toMatch(/first words|edited at/);
      await reason.fill(`edited at ${width}`);
      await expectNoOverflow(page, `rule edit at ${width}`);
      await shot(page, `suppression-rule-edit-${width}`);
      await page.getByTestId('save-rule').click();
      await page.waitForFunction(() => !new URL(location.href).searchParams.has('edit'));
      expect((await server.api<{ reason: string }>(admin, 'GET', `/api/v1/suppression-rules/${rule.id}`)).reason).toBe(`edited at ${width}`);
      await page.context().close();
    }
  });

  it('creates accounts, webhooks and registries from forms', async () => {
    const page = await open('/accounts', { width: 1440 });
    await page.getByLabel('Account id').fill('ops');
    await page.getByLabel('Name', { exact: true }).first().fill('Operations');
    await page.getByTestId('create-account').click();
    await page.waitForSelector('table[aria-label="Accounts"]:has-text("Operations")');
    expect((await server.api<{ accounts: { id: string }[] }>(admin, 'GET', '/api/v1/accounts')).accounts.map((a) => a.id)).toContain('ops');

    await page.goto(server.url + '/integrations');
    // A refused target says why.
    await page.getByLabel('Endpoint URL').fill('http://127.0.0.1:9/hook');
    await page.getByTestId('add-subscription').click();
    await page.getByRole('alert').filter({ hasText: /refused|loopback/ }).waitFor();
    await page.getByLabel('Endpoint URL').fill('https://93.184.215.14/vigil');
    await page.getByLabel('Events').fill('vigil.nothing.ever');
    await page.getByTestId('add-subscription').click();
    await page.getByTestId('subscription-created').waitFor();
    expect(await page.getByTestId('subscription-created').textContent()).toMatch(/whsec_|secret/);
    await page.waitForSelector('table[aria-label="Webhook subscriptions"]:has-text("93.184.215.14")');

    await page.getByLabel('Registry URL').fill('https://93.184.215.14');
    await page.getByTestId('add-registry').click();
    await page.getByTestId('registry-created').waitFor();
    expect(await page.getByTestId('registry-created').textContent()).toContain('/api/v1/registry-hooks/');
    await page.waitForSelector('table[aria-label="Registries"]:has-text("93.184.215.14")');
    await shot(page, 'integrations-created', true);
    await page.context().close();
  });

  it('shows a resource’s page with its packages, findings and SBOM links, at 1440 and 390 px', async () => {
    const resources = await server.api<{ resources: { id: string; type: string; name: string }[] }>(admin, 'GET', '/api/v1/resources?accountId=payments');
    const image = resources.resources.find((r) => r.type === 'CONTAINER_IMAGE')!;
    const inventory = await server.api<{ packages: unknown[] }>(admin, 'GET', `/api/v1/resources/${image.id}/inventories/latest`);
    for (const width of [1440, 390]) {
      const page = await open('/resources', { width });
      await page.locator(`table[aria-label="Resources"] a[href="/resources/${encodeURIComponent(image.id)}"]`).click();
      await page.waitForURL(new RegExp(`/resources/${image.id}$`));
      const sbom = `/api/v1/resources/${encodeURIComponent(image.id)}/sbom?format=`;
      expect(await page.getByTestId('sbom-cyclonedx').getAttribute('href')).toBe(`${sbom}cyclonedx`);
      expect(await page.getByTestId('sbom-spdx').getAttribute('href')).toBe(`${sbom}spdx`);
      await page.waitForSelector('table[aria-label="Findings of this resource"] tbody tr td:not(.empty-cell)');
      const active = await count({ status: eq('ACTIVE'), resourceId: eq(image.id) });
      expect(await page.locator('table[aria-label="Findings of this resource"] tbody tr').count()).toBe(Math.min(active, 100));
      await page.getByRole('tab', { name: 'Packages' }).click();
      await page.waitForURL(/tab=packages/);
      await page.waitForSelector('table[aria-label="Packages"] tbody tr td:not(.empty-cell)');
      expect(await page.locator('table[aria-label="Packages"] tbody tr').count()).toBe(inventory.packages.length);
      await expectNoOverflow(page, `resource page at ${width}`);
      await expectInViewport(page, '[role="tab"]', `resource tabs at ${width}`);
      await shot(page, `resource-detail-${width}`);
      await page.context().close();
    }
  });
});

describe('content security policy', () => {
  it('is sent with the dashboard and broken by no page the tests opened', async () => {
    const res = await fetch(`${server.url}/`);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(cspViolations).toEqual([]);
  });
});
