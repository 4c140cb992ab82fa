/**
 * FIX_IN_NEWER_RELEASE on the server, on both dialects, against the full shared advisory data
 * (the Debian security tracker's DSA list): a Debian 3.0 (woody) host whose phpmyadmin has no
 * fix in woody (DSA-880-1: "[woody] - phpmyadmin <unfixed>", "[sarge] - phpmyadmin
 * 4:2.6.2-3sarge1") gets it listed apart with the sarge fix, in the resource's plan and in the
 * finding detail, exactly as `vigil scan --format remediation-json` plans the same inventory;
 * its openssl, fixed in woody itself (DSA-888-1, 0.9.6c-2.woody.8), stays an upgrade.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Inventory } from '../../src/inventory/types.js';
import { createScanEngine, scanInventory } from '../../src/matching/engine.js';
import { renderScan } from '../../src/matching/output/index.js';
import { storeIndex } from '../../src/matching/store-index.js';
import { newerReleaseLookup } from '../../src/remediation/newer-release.js';
import type { RemediationDocument } from '../../src/remediation/render.js';
import { VulnDb } from '../../src/vulndb/store.js';
import { dialectCases } from '../helpers/postgres.js';
import { startTestApp, type TestApp } from '../server/harness.js';
import { sharedVulnDb } from '../vulndb/shared-db.js';
import { PHPMYADMIN_NEWER_RELEASE, woodyHost } from './woody-host.js';

const PHPMYADMIN_CVES = ['CVE-2005-2869', 'CVE-2005-3300', 'CVE-2005-3301', 'CVE-2005-3787'];

let vulndb: VulnDb;
let cliPlan: RemediationDocument;

beforeAll(async () => {
  vulndb = new VulnDb((await sharedVulnDb()).path);
  // What `vigil scan --format remediation-json` prints for the same inventory (src/cli/scan.ts).
  const index = storeIndex(vulndb);
  const inventory = woodyHost() as unknown as Inventory;
  const result = scanInventory(inventory, index);
  cliPlan = JSON.parse(await renderScan('remediation-json', result, { inventory, toolVersion: 'test', newerRelease: newerReleaseLookup(index) })) as RemediationDocument;
}, 900_000);
afterAll(() => vulndb?.close());

describe.each(dialectCases())('FIX_IN_NEWER_RELEASE in server plans on $name', (dialect) => {
  let t: TestApp;
  let resourceId: string;
  beforeAll(async () => {
    t = await startTestApp(dialect, { engine: createScanEngine(storeIndex(vulndb)) });
    const res = await t.call(t.keys.acme.scanner, { method: 'POST', url: '/api/v1/scans', payload: { resource: { type: 'HOST', name: 'woody' }, inventory: woodyHost() } });
    expect(res.statusCode, res.body).toBe(201);
    resourceId = res.json().resource.id;
  }, 120_000);
  afterAll(() => t?.close());

  it('lists phpmyadmin apart with the sarge fix, and upgrades openssl within woody', async () => {
    const res = await t.call(t.keys.acme.viewer, { method: 'GET', url: `/api/v1/resources/${resourceId}/remediation` });
    expect(res.statusCode, res.body).toBe(200);
    const plan = res.json() as RemediationDocument;
    expect(plan.unfixable.map((u) => [u.package, u.reason, u.newerRelease, u.detail])).toEqual([
      ['phpmyadmin', 'FIX_IN_NEWER_RELEASE', { ecosystem: 'Debian:3.1', version: '4:2.6.2-3sarge1' }, PHPMYADMIN_NEWER_RELEASE],
    ]);
    expect(plan.unfixable[0].findings.map((f) => f.vulnerabilityId).sort()).toEqual(PHPMYADMIN_CVES);
    const openssl = plan.actions.find((a) => a.package === 'openssl');
    expect(openssl?.targetVersion).toBe('0.9.6c-2.woody.8');
    expect(plan.totals.unfixable).toBe(PHPMYADMIN_CVES.length);
  });

  it('plans exactly as the CLI does for the same inventory', async () => {
    const plan = (await t.call(t.keys.acme.viewer, { method: 'GET', url: `/api/v1/resources/${resourceId}/remediation` })).json() as RemediationDocument;
    const withoutIds = (d: RemediationDocument) => ({
      actions: d.actions.map((a) => ({ ...a, findings: a.findings.map(({ findingId: _, ...f }) => f) })),
      unfixable: d.unfixable.map((u) => ({ ...u, findings: u.findings.map(({ findingId: _, ...f }) => f) })),
      totals: d.totals,
    });
    expect(withoutIds(plan)).toEqual(withoutIds(cliPlan));
  });

  it('gives the finding detail the reason and the advice to move to the newer release', async () => {
    const plan = (await t.call(t.keys.acme.viewer, { method: 'GET', url: `/api/v1/resources/${resourceId}/remediation` })).json() as RemediationDocument;
    const findingId = plan.unfixable[0].findings[0].findingId!;
    const detail = (await t.call(t.keys.acme.viewer, { method: 'GET', url: `/api/v1/findings/${findingId}` })).json();
    expect(detail.remediation).toEqual({
      summary: `Cannot be fixed by an upgrade yet: ${PHPMYADMIN_NEWER_RELEASE}; upgrade the distribution release, or rebuild on a newer base image.`,
      reason: 'FIX_IN_NEWER_RELEASE',
    });
  });
});
