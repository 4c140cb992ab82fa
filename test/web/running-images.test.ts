/**
 * Host → image links on the resource page, in real Chromium against a real `vigil server`:
 * a host's containers link to the image resources they run, and an image's page lists the
 * hosts it runs on with the reachability it takes from them.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { npmInventory } from '../server/harness.js';
import { ensureWebBuilt, launchBrowser, screenshotDir, startVigil, vulndataDb, type VigilServer } from './harness.js';

let server: VigilServer;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
const DIGEST = `sha256:${'a'.repeat(64)}`;
let hostId: string;
let imageId: string;

beforeAll(async () => {
  mkdirSync(screenshotDir, { recursive: true });
  const [vulndb] = await Promise.all([vulndataDb(), ensureWebBuilt()]);
  server = await startVigil(vulndb);
  const host = await server.api<{ resource: { id: string } }>(server.adminKey, 'POST', '/api/v1/scans', { resource: { type: 'HOST', name: 'edge-1' }, inventory: npmInventory('edge-1') });
  hostId = host.resource.id;
  const image = await server.api<{ resource: { id: string } }>(server.adminKey, 'POST', '/api/v1/scans', {
    resource: { type: 'CONTAINER_IMAGE', image: { registry: 'reg.example', repository: 'shop/app', digest: DIGEST, tags: ['1.0'] } },
    inventory: npmInventory('shop/app', 'registry', { repository: 'shop/app', digest: DIGEST, tags: ['1.0'] }),
  });
  imageId = image.resource.id;
  await server.api(server.adminKey, 'PUT', `/api/v1/resources/${hostId}/running-images`, {
    containers: [
      { name: 'shop', image: 'reg.example/shop/app:1.0', ports: [{ protocol: 'tcp', hostPort: 8080, containerPort: 80 }] },
      { name: 'metrics', image: 'prom/node-exporter:v1.8.0', running: false },
    ],
  });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

async function open(path: string): Promise<Page> {
  const ctx = await browser.newContext(server.adminKey);
  const page = await ctx.newPage();
  await page.setViewportSize({ width: 1440, height: 900 });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(server.url + path);
  return page;
}

describe('running images on the resource page', () => {
  it("lists a host's containers and leads to the image, which lists the host", async () => {
    const page = await open(`/resources/${hostId}`);
    const card = page.locator('#resource-containers');
    await card.waitFor();
    const rows = await card.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => (td as HTMLElement).innerText.trim())));
    expect(rows).toEqual([
      ['metrics', 'prom/node-exporter:v1.8.0', 'stopped', '—', 'not scanned'],
      ['shop', 'reg.example/shop/app:1.0', 'running', '8080→80/tcp', `reg.example/shop/app@${DIGEST}`],
    ]);
    await page.screenshot({ path: join(screenshotDir, 'resource-containers-1440.png') });
    await card.getByRole('link', { name: `reg.example/shop/app@${DIGEST}` }).click();
    await page.waitForURL(new RegExp(`/resources/${imageId}`));
    const runsOn = page.locator('#resource-runs-on');
    await runsOn.waitFor();
    expect(await runsOn.locator('tbody tr td').allInnerTexts()).toEqual(['edge-1', 'shop', 'running', '8080→80/tcp']);
    await page.context().close();
  });
});
