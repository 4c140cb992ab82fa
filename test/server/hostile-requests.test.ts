/**
 * Requests crafted by a caller holding one account's keys (issue #18 items 12 and 13): no
 * 500 for page tokens the server did not issue or for deeply nested bodies, and nothing
 * learned about other accounts from organization-wide suppression rules.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialectCases } from '../helpers/postgres.js';
import { npmInventory, startTestApp, type TestApp } from './harness.js';

const token = (body: unknown) => Buffer.from(JSON.stringify(body)).toString('base64url');

/** `depth` nested arrays around a number, as JSON text. */
function nested(depth: number): string {
  return `${'['.repeat(depth)}1${']'.repeat(depth)}`;
}

describe.each(dialectCases())('hostile requests on $name', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(dialect);
    const scan = await t.call(t.keys.acme.scanner, { method: 'POST', url: '/api/v1/scans', payload: { inventory: npmInventory('acme-app') } });
    expect(scan.statusCode).toBe(201);
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  it.each<[string, unknown]>([
    ['an object position', { s: 'SCORE', o: 'DESC', v: [{}, 'x'] }],
    ['a boolean position', { s: 'SCORE', o: 'DESC', v: [true, 'x'] }],
    ['an array position', { s: 'SCORE', o: 'DESC', v: [[1], 'x'] }],
    ['text for a number column', { s: 'SCORE', o: 'DESC', v: ['high', 'x'] }],
    ['a null position', { s: 'SCORE', o: 'DESC', v: [null, 'x'] }],
  ])('answers a findings search cursor with %s with 400 naming nextToken', async (_name, body) => {
    const res = await t.call(t.keys.acme.viewer, { method: 'POST', url: '/api/v1/findings/search', payload: { nextToken: token(body) } });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json().detail).toMatch(/nextToken/);
  });

  it('still pages with the cursors it issues, for every sort', async () => {
    for (const field of ['SCORE', 'SEVERITY', 'EPSS', 'FIRST_OBSERVED_AT', 'LAST_OBSERVED_AT', 'UPDATED_AT']) {
      const first = await t.call(t.keys.acme.viewer, { method: 'POST', url: '/api/v1/findings/search', payload: { maxResults: 1, sortCriteria: { field, sortOrder: 'DESC' } } });
      expect(first.json().nextToken, field).toBeDefined();
      const second = await t.call(t.keys.acme.viewer, { method: 'POST', url: '/api/v1/findings/search', payload: { maxResults: 1, sortCriteria: { field, sortOrder: 'DESC' }, nextToken: first.json().nextToken } });
      expect(second.statusCode, `${field}: ${second.body}`).toBe(200);
      expect(second.json().findings[0].findingId).not.toBe(first.json().findings[0].findingId);
    }
  });

  it.each([1e300, 2 ** 63, -1, 1.5])('answers an aggregation token with offset %s with 400 naming nextToken', async (o) => {
    const res = await t.call(t.keys.acme.viewer, { method: 'POST', url: '/api/v1/findings/aggregate', payload: { aggregationType: 'PACKAGE', nextToken: token({ o }) } });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().detail).toMatch(/nextToken/);
  });

  it('refuses a 200,000-deep inventory field with 400, and still answers afterwards', async () => {
    const inventory = JSON.stringify(npmInventory('deep')).replace('"warnings":[]', `"warnings":[],"extra":${nested(200_000)}`);
    const res = await t.call(t.keys.acme.scanner, { method: 'POST', url: '/api/v1/scans', payload: `{"inventory":${inventory}}`, headers: { 'content-type': 'application/json' } });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json().detail).toMatch(/deeper than 100 levels/);
    // Brackets inside strings are text, not nesting.
    const bracketsInText = await t.call(t.keys.acme.viewer, { method: 'POST', url: '/api/v1/findings/search', payload: { filterCriteria: { title: [{ comparison: 'EQUALS', value: '['.repeat(500) }] } } });
    expect(bracketsInText.statusCode).toBe(200);
    expect((await t.call(undefined, { method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await t.call(t.keys.globex.viewer, { method: 'GET', url: '/api/v1/resources' })).statusCode).toBe(200);
  });

  it("reports an organization rule as unused for an account with no matching findings, whatever other accounts hold", async () => {
    const rule = await t.call(t.keys.admin.admin, {
      method: 'POST',
      url: '/api/v1/suppression-rules',
      payload: { name: 'lodash org-wide', reason: 'not reachable', scope: 'ORGANIZATION', filterCriteria: { vulnerabilityId: [{ comparison: 'EQUALS', value: 'CVE-2020-8203' }] } },
    });
    expect(rule.statusCode, rule.body).toBe(201);
    const unused = async (key: string) => ((await t.call(key, { method: 'GET', url: '/api/v1/suppression-rules/unused' })).json().rules as { id: string }[]).map((r) => r.id);
    // acme holds the finding, globex does not: globex must not learn that acme does.
    expect(await unused(t.keys.acme.viewer)).not.toContain(rule.json().rule.id);
    expect(await unused(t.keys.globex.viewer)).toContain(rule.json().rule.id);
    expect(await unused(t.keys.admin.viewer)).not.toContain(rule.json().rule.id);
  });
});
