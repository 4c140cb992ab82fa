/**
 * The HTTP API end to end on both dialects, with the real matching engine over a tiny
 * advisory set: scans from Vigil inventory, CycloneDX and SPDX documents, findings back
 * through search, detail and export; the OpenAPI document; problem+json errors; limits.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INVENTORY_VERSIONS_KEPT } from '../../src/findings/inventories.js';
import { toCycloneDxJson, toSpdxJson } from '../../src/inventory/sbom/index.js';
import type { Inventory } from '../../src/inventory/types.js';
import { dialectCases } from '../helpers/postgres.js';
import { npmInventory, startTestApp, type TestApp } from './harness.js';

describe.each(dialectCases())('API on $name', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(dialect, { config: { maxBodyBytes: 64 * 1024, maxInventoryBytes: 256 * 1024 } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('scans a posted inventory with the real engine and serves the findings', async () => {
    const inv = npmInventory('reg.example/shop/api@sha256:abc', 'registry', { repository: 'shop/api', digest: 'sha256:abc', tags: ['1.0'] });
    const res = await t.call(t.keys.acme.scanner, { method: 'POST', url: '/api/v1/scans', payload: { inventory: inv } });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.resource).toMatchObject({ type: 'CONTAINER_IMAGE', name: 'reg.example/shop/api@sha256:abc', image: { repository: 'shop/api', digest: 'sha256:abc', tags: ['1.0'] }, accountId: 'acme' });
    expect(body.summary).toMatchObject({ created: 2, closed: 0 });
    expect(body.result.findings.map((f: { id: string }) => f.id).sort()).toEqual(['CVE-2020-8203', 'CVE-2021-44906']);

    const search = await t.call(t.keys.acme.viewer, {
      method: 'POST',
      url: '/api/v1/findings/search',
      payload: { filterCriteria: { ecrImageTags: [{ comparison: 'EQUALS', value: '1.0' }] }, sortCriteria: { field: 'SCORE', sortOrder: 'DESC' }, maxResults: 1 },
    });
    expect(search.statusCode).toBe(200);
    expect(search.json().findings).toHaveLength(1);
    expect(search.json().nextToken).toEqual(expect.any(String));
    const next = await t.call(t.keys.acme.viewer, { method: 'POST', url: '/api/v1/findings/search', payload: { filterCriteria: { ecrImageTags: [{ comparison: 'EQUALS', value: '1.0' }] }, sortCriteria: { field: 'SCORE', sortOrder: 'DESC' }, maxResults: 1, nextToken: search.json().nextToken } });
    expect(next.json().nextToken).toBeUndefined();
    const both = [search.json().findings[0], next.json().findings[0]].map((f) => f.vulnerabilityId).sort();
    expect(both).toEqual(['CVE-2020-8203', 'CVE-2021-44906']);

    const detail = await t.call(t.keys.acme.viewer, { method: 'GET', url: `/api/v1/findings/${search.json().findings[0].findingId}` });
    expect(detail.json()).toMatchObject({ status: 'ACTIVE', type: 'PACKAGE_VULNERABILITY', accountId: 'acme', resource: { type: 'CONTAINER_IMAGE' }, timeline: [{ event: 'CREATED' }] });
    expect(detail.json().aliases.length).toBeGreaterThan(0);

    // A newer scan without minimist closes its finding.
    const fixed = { ...inv, packages: inv.packages.filter((p) => p.name !== 'minimist') };
    const again = await t.call(t.keys.acme.scanner, { method: 'POST', url: '/api/v1/scans', payload: { inventory: fixed } });
    expect(again.json()).toMatchObject({ inventoryVersion: 2, summary: { closed: 1, unchanged: 1 } });

    const csv = await t.call(t.keys.acme.viewer, { method: 'POST', url: '/api/v1/findings/export', payload: { format: 'csv', filterCriteria: { findingStatus: [{ comparison: 'EQUALS', value: 'CLOSED' }] } } });
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.headers['content-disposition']).toMatch(/attachment; filename="vigil-findings-.*\.csv"/);
    const lines = csv.body.trim().split('\r\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('CVE-2021-44906');

    const agg = await t.call(t.keys.acme.viewer, { method: 'POST', url: '/api/v1/findings/aggregate', payload: { aggregationType: 'REPOSITORY' } });
    expect(agg.json().rows).toEqual([expect.objectContaining({ key: { registry: 'reg.example', repository: 'shop/api' }, affectedResources: 1, counts: expect.objectContaining({ total: 1 }) })]);
  });

  it.each<[string, (inv: Inventory) => unknown]>([
    ['CycloneDX', (inv) => JSON.parse(toCycloneDxJson(inv))],
    ['SPDX', (inv) => JSON.parse(toSpdxJson(inv))],
  ])('scans a posted %s SBOM', async (format, render) => {
    const inv = npmInventory(`ci/${format}`) as unknown as Inventory;
    const res = await t.call(t.keys.globex.scanner, {
      method: 'POST',
      url: '/api/v1/scans',
      payload: { resource: { type: 'PACKAGE_ARCHIVE', name: `ci/${format}.json`, tags: { pipeline: format } }, inventory: render(inv) },
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().resource).toMatchObject({ type: 'PACKAGE_ARCHIVE', name: `ci/${format}.json`, tags: { pipeline: format }, accountId: 'globex' });
    expect(res.json().result.findings.map((f: { id: string }) => f.id).sort()).toEqual(['CVE-2020-8203', 'CVE-2021-44906']);
    const inventories = await t.call(t.keys.globex.viewer, { method: 'GET', url: `/api/v1/resources/${res.json().resource.id}/inventories/latest` });
    expect(inventories.json().packages.map((p: { name: string }) => p.name).sort()).toEqual(['left-pad', 'lodash', 'minimist']);
  });

  it(`keeps the newest ${INVENTORY_VERSIONS_KEPT} inventories of a resource that reports again and again`, async () => {
    const reports = INVENTORY_VERSIONS_KEPT + 3;
    let id = '';
    for (let i = 0; i < reports; i++) {
      const res = await t.call(t.keys.globex.scanner, { method: 'POST', url: '/api/v1/scans', payload: { resource: { type: 'HOST', name: 'busy-host' }, inventory: npmInventory('busy-host') } });
      expect(res.statusCode, res.body).toBe(201);
      id = res.json().resource.id;
    }
    const listed = await t.call(t.keys.globex.viewer, { method: 'GET', url: `/api/v1/resources/${id}/inventories` });
    const versions = (listed.json().inventories as { version: number }[]).map((v) => v.version).sort((a, b) => a - b);
    expect(versions).toEqual(Array.from({ length: INVENTORY_VERSIONS_KEPT }, (_, i) => reports - INVENTORY_VERSIONS_KEPT + 1 + i));
    expect((await t.call(t.keys.globex.viewer, { method: 'GET', url: `/api/v1/resources/${id}/inventories/1` })).statusCode).toBe(404);
    expect((await t.call(t.keys.globex.viewer, { method: 'GET', url: `/api/v1/resources/${id}/inventories/latest` })).statusCode).toBe(200);
  });

  it.each<[string, unknown, number, RegExp]>([
    ['an unrecognised document', { hello: 'world' }, 400, /Vigil inventory JSON.*CycloneDX.*SPDX/],
    ['a Vigil inventory with a bad package', { schemaVersion: 1, target: { type: 'dir', name: 'x' }, packages: [{ name: 'a' }] }, 400, /not valid Vigil inventory/],
    ['a broken CycloneDX document', { bomFormat: 'CycloneDX', components: 'nope' }, 400, /CycloneDX/],
  ])('refuses %s with problem details', async (_name, inventory, status, detail) => {
    const res = await t.call(t.keys.acme.scanner, { method: 'POST', url: '/api/v1/scans', payload: { resource: { type: 'REPOSITORY', name: 'bad' }, inventory } });
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status, title: expect.any(String), type: expect.stringMatching(/^https:\/\//) });
    expect(res.json().detail).toMatch(detail);
  });

  it('refuses to pull anything but registry images, and records a failed pull for coverage', async () => {
    const local = await t.call(t.keys.acme.scanner, { method: 'POST', url: '/api/v1/scans', payload: { image: 'dir:/etc' } });
    expect(local.statusCode).toBe(422);
    expect(local.json().detail).toMatch(/only registry image references/);
    const cov = await t.call(t.keys.acme.viewer, { method: 'GET', url: '/api/v1/coverage?reason=SCAN_FAILED' });
    expect(cov.json().coverage.map((c: { name: string }) => c.name)).toContain('dir:/etc');
  });

  it.each<[string, () => Promise<{ statusCode: number; headers: Record<string, unknown>; body: string }>, number]>([
    ['invalid JSON', () => t.call(t.keys.acme.viewer, { method: 'POST', url: '/api/v1/findings/search', payload: '{nope', headers: { 'content-type': 'application/json' } }), 400],
    ['an unknown route', () => t.call(t.keys.acme.viewer, { method: 'GET', url: '/api/v1/nothing' }), 404],
    ['a body over the limit', () => t.call(t.keys.acme.viewer, { method: 'POST', url: '/api/v1/findings/search', payload: { filterCriteria: { title: Array.from({ length: 20 }, () => ({ comparison: 'EQUALS', value: 'x'.repeat(1000) })) }, pad: 'y'.repeat(70 * 1024) } }), 413],
    ['an inventory over the scan limit', () => t.call(t.keys.acme.scanner, { method: 'POST', url: '/api/v1/scans', payload: { inventory: { ...npmInventory('big'), pad: 'z'.repeat(300 * 1024) } } }), 413],
    ['an unsupported media type', () => t.call(t.keys.acme.viewer, { method: 'POST', url: '/api/v1/findings/search', payload: '<x/>', headers: { 'content-type': 'application/xml' } }), 415],
    ['a bad cursor', () => t.call(t.keys.acme.viewer, { method: 'POST', url: '/api/v1/findings/search', payload: { nextToken: 'garbage' } }), 400],
    ['a bad query parameter', () => t.call(t.keys.acme.viewer, { method: 'GET', url: '/api/v1/resources?limit=0' }), 400],
  ])('answers %s with problem+json', async (_name, send, status) => {
    const res = await send();
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(res.body)).toMatchObject({ status, type: expect.any(String), title: expect.any(String) });
  });

  it('publishes a valid OpenAPI 3.1 document covering every API route', async () => {
    const res = await t.call(undefined, { method: 'GET', url: '/api/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    const validator = new Validator();
    const verdict = await validator.validate(doc);
    expect(verdict.errors ?? []).toEqual([]);
    expect(verdict.valid).toBe(true);
    const paths = Object.keys(doc.paths);
    for (const p of ['/api/v1/scans', '/api/v1/findings/search', '/api/v1/findings/aggregate', '/api/v1/findings/export', '/api/v1/suppression-rules', '/api/v1/coverage', '/api/v1/usage', '/api/v1/keys', '/healthz', '/metrics']) {
      expect(paths).toContain(p);
    }
    const search = doc.paths['/api/v1/findings/search'].post;
    expect(search.security).toEqual([{ apiKey: [] }]);
    const criteria = search.requestBody.content['application/json'].schema.properties.filterCriteria;
    expect(Object.keys(criteria.properties)).toEqual(expect.arrayContaining(['severity', 'imageTag', 'score', 'firstObservedAt', 'resourceTags']));
  });

  it('serves health and Prometheus metrics', async () => {
    expect((await t.call(undefined, { method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok', database: dialect.name, engine: true });
    const metrics = await t.call(undefined, { method: 'GET', url: '/metrics' });
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    expect(metrics.body).toMatch(/vigil_http_requests_total\{method="POST",route="\/api\/v1\/scans",status="201"\} \d+/);
    expect(metrics.body).toMatch(/vigil_scans_total\{trigger="SUBMITTED",status="SUCCESSFUL"\} \d+/);
  });

  it('changes prices and shows them in usage', async () => {
    const patch = await t.call(t.keys.admin.admin, { method: 'PATCH', url: '/api/v1/settings', payload: { priceImageScan: 0.5 } });
    expect(patch.json().priceImageScan).toBe(0.5);
    const usage = await t.call(t.keys.acme.viewer, { method: 'GET', url: '/api/v1/usage' });
    expect(usage.json().prices).toEqual({ hostMonth: 1.25, imageScan: 0.5, imageRescan: 0.01, currency: 'USD' });
    expect(usage.json().accounts).toEqual([expect.objectContaining({ accountId: 'acme', imageScans: 1, imageRescans: 1, cost: expect.objectContaining({ imageScans: 0.5, imageRescans: 0.01 }) })]);
    const bad = await t.call(t.keys.admin.admin, { method: 'PATCH', url: '/api/v1/settings', payload: { priceImageScan: -1 } });
    expect(bad.statusCode).toBe(400);
  });
});
