/**
 * GET /api/v1/resources/{id}/remediation and the finding detail's `remediation` field, on
 * both database dialects, over the harness's npm inventory (lodash and minimist affected).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialectCases } from '../helpers/postgres.js';
import { npmInventory, startTestApp, type TestApp } from '../server/harness.js';

describe.each(dialectCases())('remediation API on $name', (dialect) => {
  let t: TestApp;
  let resourceId: string;
  beforeAll(async () => {
    t = await startTestApp(dialect);
    const res = await t.call(t.keys.acme.scanner, { method: 'POST', url: '/api/v1/scans', payload: { resource: { type: 'REPOSITORY', name: 'shop' }, inventory: npmInventory('shop') } });
    expect(res.statusCode).toBe(201);
    resourceId = res.json().resource.id;
  }, 60_000);
  afterAll(() => t?.close());

  it('plans one npm install per affected package, highest risk first, with the findings each closes', async () => {
    const res = await t.call(t.keys.acme.viewer, { method: 'GET', url: `/api/v1/resources/${resourceId}/remediation` });
    expect(res.statusCode).toBe(200);
    const plan = res.json();
    expect(plan).toMatchObject({ schemaVersion: 1, resourceId, target: { type: 'REPOSITORY', name: 'shop' }, unfixable: [] });
    expect(plan.actions.map((a: { package: string; targetVersion: string; command: string; findings: { vulnerabilityId: string }[] }) => [a.package, a.targetVersion, a.command, a.findings.map((f) => f.vulnerabilityId)])).toEqual(
      // Neither advisory carries a score here: equal risk, so the name decides.
      [
        ['lodash', '4.17.19', 'npm install lodash@4.17.19', ['CVE-2020-8203']],
        ['minimist', '1.2.6', 'npm install minimist@1.2.6', ['CVE-2021-44906']],
      ],
    );
    expect(plan.totals).toMatchObject({ findings: 2, fixable: 2, unfixable: 0 });
    expect(plan.actions[0].findings[0].findingId).toEqual(expect.any(String));
  });

  it('gives the finding detail the same action as its remediation line', async () => {
    const plan = (await t.call(t.keys.acme.viewer, { method: 'GET', url: `/api/v1/resources/${resourceId}/remediation` })).json();
    const findingId = plan.actions[1].findings[0].findingId as string;
    const detail = (await t.call(t.keys.acme.viewer, { method: 'GET', url: `/api/v1/findings/${findingId}` })).json();
    expect(detail.remediation).toEqual({ summary: 'Upgrade minimist from 1.2.0 to 1.2.6 or later.', command: 'npm install minimist@1.2.6', targetVersion: '1.2.6', closes: 1 });
  });

  it('answers 404 problem+json for a resource of another account or none, and refuses an over-long id', async () => {
    const other = await t.call(t.keys.globex.viewer, { method: 'GET', url: `/api/v1/resources/${resourceId}/remediation` });
    expect(other.statusCode).toBe(404);
    expect(other.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect((await t.call(t.keys.acme.viewer, { method: 'GET', url: '/api/v1/resources/nonesuch/remediation' })).statusCode).toBe(404);
    expect((await t.call(t.keys.acme.viewer, { method: 'GET', url: `/api/v1/resources/${'x'.repeat(150)}/remediation` })).statusCode).toBe(414);
  });

  it('is in the OpenAPI document with its response schema', async () => {
    const doc = (await t.call(undefined, { method: 'GET', url: '/api/openapi.json' })).json();
    const op = doc.paths['/api/v1/resources/{id}/remediation'].get;
    expect(op.security).toEqual([{ apiKey: [] }]);
    expect(Object.keys(op.responses['200'].content['application/json'].schema.properties)).toEqual(expect.arrayContaining(['actions', 'unfixable', 'totals', 'baseImage']));
  });
});
