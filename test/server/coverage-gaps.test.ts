/**
 * Data coverage in the service, on both dialects: a host whose OS release the advisory data
 * does not cover is UNSUPPORTED_OS in the coverage API with a detail naming what is missing
 * (and an end-of-life release says so); a covered host is SUCCESSFUL; re-evaluation against
 * data that now covers the release (whole or only the changed packages) makes it SUCCESSFUL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reevaluate } from '../../src/jobs/handlers.js';
import { createScanEngine } from '../../src/matching/engine.js';
import { advisory, tinyAdvisoryDb } from '../helpers/tiny-advisory-db.js';
import { dialectCases } from '../helpers/postgres.js';
import { startTestApp, testAdvisories, type TestApp } from './harness.js';

const debian12 = advisory('DSA-0001-1', 'Debian:12', 'openssl', [[{ introduced: '0' }, { fixed: '3.0.13-1~deb12u1' }]], { aliases: ['CVE-2099-0001'] });
const debian10 = advisory('DLA-0001-1', 'Debian:10', 'openssl', [[{ introduced: '0' }, { fixed: '1.1.1n-0+deb10u4' }]], { aliases: ['CVE-2099-0002'] });
const ubuntu = advisory('USN-0001-1', 'Ubuntu:22.04:LTS', 'openssl', [[{ introduced: '0' }, { fixed: '3.0.2-0ubuntu1.10' }]], { aliases: ['CVE-2099-0003'] });

/** A host inventory of one dpkg package on this OS. */
function hostInventory(os: { id: string; versionId: string; ecosystem: string; prettyName: string }, version: string) {
  const distro = `${os.id}-${os.versionId}`;
  return {
    schemaVersion: 1,
    target: { type: 'host', name: distro },
    os,
    packages: [{ ecosystem: os.ecosystem, purlType: 'deb', name: 'openssl', version, purl: `pkg:deb/${os.id}/openssl@${version}?distro=${distro}`, locations: ['/var/lib/dpkg/status'], extractor: 'os/dpkg-status@1' }],
    warnings: [],
    partial: false,
    scannedAt: '2026-12-01T00:00:00.000Z',
  };
}

const hosts = {
  jammy: hostInventory({ id: 'ubuntu', versionId: '22.04', ecosystem: 'Ubuntu:22.04:LTS', prettyName: 'Ubuntu 22.04.4 LTS' }, '3.0.2-0ubuntu1'),
  bookworm: hostInventory({ id: 'debian', versionId: '12', ecosystem: 'Debian:12', prettyName: 'Debian GNU/Linux 12 (bookworm)' }, '3.0.11-1~deb12u2'),
  buster: hostInventory({ id: 'debian', versionId: '10', ecosystem: 'Debian:10', prettyName: 'Debian GNU/Linux 10 (buster)' }, '1.1.1n-0+deb10u3'),
};

interface CoverageEntry {
  resourceId: string;
  name: string;
  status: string;
  reason: string;
  detail?: string;
}

describe.each(dialectCases())('coverage gaps on $name', (dialect) => {
  let t: TestApp;
  const ids: Record<string, string> = {};
  const summaries: Record<string, { created: number }> = {};

  beforeAll(async () => {
    t = await startTestApp(dialect, { engine: createScanEngine(tinyAdvisoryDb([...testAdvisories, debian12, debian10], [], { coverage: { source: 'test' } })) });
    for (const [name, inventory] of Object.entries(hosts)) {
      const res = await t.call(t.keys.acme.scanner, { method: 'POST', url: '/api/v1/scans', payload: { inventory, resource: { type: 'HOST', name } } });
      expect(res.statusCode, res.body).toBe(201);
      const body = res.json() as { resource: { id: string }; summary: { created: number } };
      ids[name] = body.resource.id;
      summaries[name] = body.summary;
    }
  }, 120_000);
  afterAll(async () => {
    await t?.close();
  });

  async function coverage(query = ''): Promise<Record<string, CoverageEntry>> {
    const res = await t.call(t.keys.acme.viewer, { method: 'GET', url: `/api/v1/coverage${query}` });
    expect(res.statusCode, res.body).toBe(200);
    return Object.fromEntries((res.json() as { coverage: CoverageEntry[] }).coverage.map((c) => [c.name, c]));
  }

  it('reports an OS release without data as UNSUPPORTED_OS, with a detail naming it', async () => {
    const c = await coverage();
    expect(c.jammy).toMatchObject({ status: 'INACTIVE', reason: 'UNSUPPORTED_OS' });
    expect(c.jammy.detail).toMatch(/^Ubuntu:22\.04:LTS: the advisory database holds no advisories for this release, so its 1 package was not checked/);
    expect(c.bookworm).toEqual(expect.objectContaining({ status: 'ACTIVE', reason: 'SUCCESSFUL' }));
    expect(c.bookworm.detail).toBeUndefined();
    expect(Object.keys(await coverage('?reason=UNSUPPORTED_OS')).sort()).toEqual(['buster', 'jammy']);
  });

  it('reports an end-of-life release as UNSUPPORTED_OS, with its date, and still stores its findings', async () => {
    const c = await coverage();
    expect(c.buster).toMatchObject({ status: 'INACTIVE', reason: 'UNSUPPORTED_OS' });
    expect(c.buster.detail).toContain('Debian 10 is end of life: security support ended 2024-06-30');
    expect(summaries.buster.created).toBe(1);
  });

  it('shows the detail on the resource too', async () => {
    const res = await t.call(t.keys.acme.viewer, { method: 'GET', url: `/api/v1/resources/${ids.jammy}` });
    expect((res.json() as { coverageDetail?: string }).coverageDetail).toMatch(/^Ubuntu:22\.04:LTS: the advisory database holds no advisories/);
  });

  it('re-evaluation against data that covers the release clears the gap, matching only the changed packages', async () => {
    const engine = createScanEngine(tinyAdvisoryDb([...testAdvisories, debian12, debian10, ubuntu], [], { coverage: { source: 'test' } }));
    const stats = await reevaluate({ db: t.db, engine: () => engine }, { changed: [{ ecosystem: 'Ubuntu:22.04:LTS', name: 'openssl' }] });
    expect(stats.reevaluated).toBe(1);
    const c = await coverage();
    expect(c.jammy).toEqual(expect.objectContaining({ status: 'ACTIVE', reason: 'SUCCESSFUL' }));
    expect(c.jammy.detail).toBeUndefined();
    // The end-of-life host, re-evaluated whole, stays unsupported.
    await reevaluate({ db: t.db, engine: () => engine }, { resourceIds: [ids.buster] });
    expect((await coverage()).buster.reason).toBe('UNSUPPORTED_OS');
  });
});
