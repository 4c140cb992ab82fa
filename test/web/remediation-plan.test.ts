/**
 * The remediation plan page in a real browser against a real `vigil server`, seeded with the
 * Debian image (debootstrapped bookworm with an npm app layer): the page shows the API's plan
 * in order, at 1440 and 390 px without sideways scrolling, and the finding panel's upgrade
 * line is the plan's action for that finding.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanTarget } from '../../src/inventory/index.js';
import type { ResourcePlan } from '../../web/src/remediation.js';
import { debianImages } from '../helpers/images.js';
import { PHPMYADMIN_NEWER_RELEASE, woodyHost } from '../remediation/woody-host.js';
import { ensureWebBuilt, launchBrowser, screenshotDir, startVigil, vulndataDb, type VigilServer } from './harness.js';

let server: VigilServer;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let resourceId: string;
let plan: ResourcePlan;

beforeAll(async () => {
  mkdirSync(screenshotDir, { recursive: true });
  const [vulndb, images] = await Promise.all([vulndataDb(), debianImages(), ensureWebBuilt()]);
  server = await startVigil(vulndb);
  const inventory = await scanTarget(`docker-archive:${images.dockerArchive('bookworm-node')}`);
  const scan = await server.api<{ resource: { id: string } }>(server.adminKey, 'POST', '/api/v1/scans', { inventory });
  resourceId = scan.resource.id;
  plan = await server.api<ResourcePlan>(server.adminKey, 'GET', `/api/v1/resources/${resourceId}/remediation`);
  browser = await launchBrowser();
}, 900_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

async function open(path: string, width: number, height: number): Promise<Page> {
  const ctx = await browser.newContext(server.adminKey);
  const page = await ctx.newPage();
  await page.setViewportSize({ width, height });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(server.url + path);
  return page;
}

describe('the remediation plan page', () => {
  it('has Debian and npm upgrades to plan', () => {
    expect(plan.actions.some((a) => a.ecosystem.startsWith('Debian'))).toBe(true);
    expect(plan.actions.some((a) => a.ecosystem === 'npm')).toBe(true);
  });

  it.each([
    [1440, 900],
    [390, 844],
  ])('shows the API’s plan in order at %i px, with nothing wider than the screen', async (width, height) => {
    const page = await open(`/resources/${resourceId}/remediation`, width, height);
    await page.getByTestId('remediation-plan').waitFor();
    const actions = page.getByTestId('plan-action');
    expect(await actions.count()).toBe(plan.actions.length);
    for (const [i, a] of plan.actions.entries()) {
      const item = actions.nth(i);
      expect(await item.locator('.plan-row .mono.strong').textContent()).toBe(a.package);
      if (a.command) expect(await item.locator('.copyline code').textContent()).toBe(a.command);
    }
    expect(await page.getByTestId('plan-totals').textContent()).toContain(`close ${plan.totals.fixable} of ${plan.totals.findings} active findings`);
    expect(await page.getByTestId('unfixable').count()).toBe(plan.unfixable.length);
    // The findings behind an action unfold on demand, each linking to its detail panel.
    await actions.first().locator('summary').click();
    // The list is drawn on the toggle event, a moment after the click.
    await actions.first().locator('.plan-findings li a').first().waitFor();
    expect(await actions.first().locator('.plan-findings li a').count()).toBe(plan.actions[0].findings.length);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(screenshotDir, `remediation-plan-${width}.png`), fullPage: width < 1000 });
    await page.context().close();
  });

  it('gives the finding panel the plan’s upgrade line, and links back to the plan', async () => {
    const action = plan.actions.find((a) => a.findings.length > 1 && a.command) ?? plan.actions[0];
    const findingId = action.findings[action.findings.length - 1].findingId!;
    const page = await open(`/findings?status=ACTIVE&finding=${encodeURIComponent(findingId)}`, 1440, 900);
    const panel = page.getByTestId('finding-panel');
    await panel.getByTestId('remediation').waitFor();
    expect(await panel.getByTestId('remediation').textContent()).toContain(action.summary);
    expect(await panel.locator('.copyline code').textContent()).toBe(action.command);
    await panel.getByRole('link', { name: /Remediation plan of/ }).click();
    await page.getByTestId('remediation-plan').waitFor();
    expect(new URL(page.url()).pathname).toBe(`/resources/${resourceId}/remediation`);
    await page.context().close();
  });

  it('sets apart a fix that only a newer distribution release has', async () => {
    const scan = await server.api<{ resource: { id: string } }>(server.adminKey, 'POST', '/api/v1/scans', { inventory: woodyHost(), resource: { type: 'HOST', name: 'woody' } });
    const page = await open(`/resources/${scan.resource.id}/remediation`, 1440, 900);
    await page.getByTestId('remediation-plan').waitFor();
    const entry = page.getByTestId('unfixable').filter({ hasText: 'phpmyadmin' });
    expect(await entry.locator('.reason').textContent()).toBe('Fix only in a newer release');
    expect(await entry.locator('p').first().textContent()).toBe(PHPMYADMIN_NEWER_RELEASE);
    await page.context().close();
  });

  it('filters the explorer by origin once the base image is stored', async () => {
    // Storing the base (bookworm) re-marks the image built on it: its Debian packages came with the base.
    const images = await debianImages();
    await server.api(server.adminKey, 'POST', '/api/v1/scans', { inventory: await scanTarget(`docker-archive:${images.dockerArchive('bookworm')}`) });
    const { rows } = await server.api<{ rows: { key: { origin: string }; counts: { total: number } }[] }>(server.adminKey, 'POST', '/api/v1/findings/aggregate', {
      aggregationType: 'ORIGIN',
      filterCriteria: { resourceId: [{ comparison: 'EQUALS', value: resourceId }], status: [{ comparison: 'EQUALS', value: 'ACTIVE' }] },
    });
    const byOrigin = Object.fromEntries(rows.map((r) => [r.key.origin, r.counts.total]));
    const [base, app] = [byOrigin.BASE_IMAGE ?? 0, byOrigin.APPLICATION ?? 0];
    expect(base).toBeGreaterThan(0);
    expect(app).toBeGreaterThan(0);
    const page = await open(`/findings?status=ACTIVE&resource=${encodeURIComponent(resourceId)}`, 1440, 900);
    await page.getByRole('button', { name: 'More filters' }).click();
    await page.getByRole('button', { name: 'Application' }).click();
    await page.waitForURL(/origin=APPLICATION/);
    await page.waitForSelector(`[data-testid="findings-total"]:text-is("${app} findings")`);
    await page.context().close();
  });
});
