/**
 * NETWORK_REACHABILITY findings in the dashboard, in real Chromium against a real `vigil
 * server`: the explorer filters by finding type (the chip in the filter bar), and the detail
 * panel draws the path from the internet to the open port, at 1440 and 390 px.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureWebBuilt, launchBrowser, screenshotDir, startVigil, vulndataDb, type VigilServer } from './harness.js';
import type { ApiAnalysis } from '../../src/network/server/analyses.js';
import { waitForAnalysis } from '../network/server/analysis.js';

let server: VigilServer;
let browser: Awaited<ReturnType<typeof launchBrowser>>;

const rack = `
networks: [{ id: rack, cidrs: [10.0.0.0/24] }]
gateways: [{ id: upstream, networks: [rack] }]
routeTables: [{ id: rack-routes, network: rack, main: true, routes: [{ destination: 0.0.0.0/0, target: upstream }] }]
subnets: [{ id: rack-net, network: rack, cidrs: [10.0.0.0/24], acl: rack-firewall }]
acls:
  - id: rack-firewall
    stateful: true
    inbound: [{ rule: 10, protocol: tcp, ports: 1-65535, action: allow }]
securityGroups:
  - id: web
    inbound:
      - { protocol: tcp, ports: 22, source: 0.0.0.0/0 }
      - { protocol: tcp, ports: 443, source: 0.0.0.0/0 }
instances:
  - id: edge-1
    interfaces: [{ id: edge-1-eth0, subnet: rack-net, privateAddresses: [10.0.0.10], publicAddresses: [203.0.113.10], securityGroups: [web] }]
`;

beforeAll(async () => {
  mkdirSync(screenshotDir, { recursive: true });
  const [vulndb] = await Promise.all([vulndataDb(), ensureWebBuilt()]);
  server = await startVigil(vulndb);
  const report = {
    firewallId: 'edge-1/nftables',
    listeners: [
      { protocol: 'tcp', port: 22, address: '0.0.0.0', process: 'sshd', pid: 612 },
      { protocol: 'tcp', port: 443, address: '::', process: 'nginx', pid: 1200 },
    ],
    interfaces: [{ name: 'eth0', addresses: ['10.0.0.10/24'] }],
    firewall: { tool: 'none', raw: '' },
  };
  await server.api(server.adminKey, 'POST', '/api/v1/network/host-reports', { resource: { name: 'edge-1' }, report });
  const posted = await server.api<{ location: string }>(server.adminKey, 'POST', '/api/v1/network/snapshots', { files: { 'rack.yaml': rack } });
  // The snapshot's analysis runs after (or together with) the report's.
  await waitForAnalysis((location) => server.api<ApiAnalysis>(server.adminKey, 'GET', location), posted.location);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

async function open(path: string, width: number): Promise<Page> {
  const ctx = await browser.newContext(server.adminKey);
  const page = await ctx.newPage();
  await page.setViewportSize({ width, height: 900 });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(server.url + path);
  return page;
}

describe('network findings in the dashboard', () => {
  it('filters the explorer by finding type', async () => {
    const page = await open('/findings?status=ACTIVE', 1440);
    await page.getByRole('button', { name: 'More filters' }).click();
    await page.getByRole('button', { name: 'Network reachability' }).click();
    await page.waitForURL(/findingType=NETWORK_REACHABILITY/);
    await page.waitForSelector('[data-testid="findings-total"]:text-is("2 findings")');
    const cells = await page.locator('table tbody tr td').allTextContents();
    expect(cells.join(' ')).toContain('sshd');
    expect(cells.join(' ')).toContain('nginx');
    await page.screenshot({ path: join(screenshotDir, 'network-findings-1440.png') });
    await page.context().close();
  });

  it.each([1440, 390])('draws the path of a network finding in the panel at %i px', async (width) => {
    const { findings } = await server.api<{ findings: { findingId: string; vulnerabilityId: string }[] }>(server.adminKey, 'POST', '/api/v1/findings/search', {
      filterCriteria: { findingType: [{ comparison: 'EQUALS', value: 'NETWORK_REACHABILITY' }], portRange: [{ beginInclusive: 22, endInclusive: 22 }] },
    });
    expect(findings.map((f) => f.vulnerabilityId)).toEqual(['tcp/22']);
    const page = await open(`/findings?findingType=NETWORK_REACHABILITY&finding=${findings[0]!.findingId}`, width);
    const panel = page.getByTestId('finding-panel');
    await panel.getByTestId('network-path').waitFor();
    await expect(panel.locator('h2').textContent()).resolves.toBe('Port 22/tcp (SSH) is reachable from the internet');
    const steps = await panel.locator('[data-testid="network-path"] li').evaluateAll((items) => items.map((li) => (li as HTMLElement).innerText.replace(/\s+/g, ' ').trim()));
    expect(steps).toEqual([
      'INTERNET 203.0.113.10:22',
      'INTERNET GATEWAY upstream',
      'ROUTE TABLE rack-routes',
      'FIREWALL rack-firewall',
      'SECURITY GROUP web',
      'NETWORK INTERFACE edge-1-eth0',
      'PORT 22/tcp',
    ]);
    expect(await panel.textContent()).toContain('sshd');
    expect(await panel.getByTestId('port-rating').textContent()).toBe('SSH (remote administration): High');
    // Every step stays inside the panel (it wraps on a phone instead of scrolling sideways).
    const overflow = await panel.evaluate((el) => {
      const box = el.getBoundingClientRect();
      return [...el.querySelectorAll('[data-testid="network-path"] li')].some((li) => li.getBoundingClientRect().right > box.right + 1);
    });
    expect(overflow).toBe(false);
    // The panel itself fits the viewport. (The app's top bar is wider than 390 px already: not this panel's doing.)
    expect(await panel.evaluate((el) => el.getBoundingClientRect().left >= 0 && el.getBoundingClientRect().right <= window.innerWidth + 1)).toBe(true);
    await page.screenshot({ path: join(screenshotDir, `network-finding-panel-${width}.png`) });
    await page.context().close();
  });
});
