/**
 * PATCH /api/v1/suppression-rules/{id}: an edit re-matches the rule's findings when its
 * filter or expiry changes, keeps them when only words change, refuses bad input with a
 * 400 naming it, and leaves organization-wide rules to the delegated administrator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialectCases } from '../helpers/postgres.js';
import { npmInventory, startTestApp, type TestApp } from './harness.js';

const pkg = (name: string) => ({ packageName: [{ comparison: 'EQUALS', value: name }] });

describe.each(dialectCases())('editing suppression rules on $name', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(dialect);
    const scan = await t.call(t.keys.acme.scanner, { method: 'POST', url: '/api/v1/scans', payload: { inventory: npmInventory('acme/edit') } });
    expect(scan.statusCode).toBeLessThan(300);
  });
  afterAll(async () => {
    await t?.close();
  });

  async function statusOf(name: string): Promise<string[]> {
    const res = await t.call(t.keys.acme.viewer, { method: 'POST', url: '/api/v1/findings/search', payload: { filterCriteria: pkg(name) } });
    return (res.json() as { findings: { status: string }[] }).findings.map((f) => f.status);
  }

  it('moves suppression to what the edited filter matches', async () => {
    const created = await t.call(t.keys.acme.admin, { method: 'POST', url: '/api/v1/suppression-rules', payload: { name: 'lodash', reason: 'build only', filterCriteria: pkg('lodash') } });
    expect(created.statusCode).toBe(201);
    const id = created.json().rule.id as string;
    expect(await statusOf('lodash')).toEqual(['SUPPRESSED']);

    const edited = await t.call(t.keys.acme.admin, { method: 'PATCH', url: `/api/v1/suppression-rules/${id}`, payload: { name: 'minimist', filterCriteria: pkg('minimist'), justification: 'vulnerable_code_not_in_execute_path' } });
    expect(edited.statusCode).toBe(200);
    expect(edited.json()).toMatchObject({ restored: 1, suppressed: 1, rule: { id, name: 'minimist', reason: 'build only', justification: 'vulnerable_code_not_in_execute_path', criteria: pkg('minimist') } });
    expect(await statusOf('lodash')).toEqual(['ACTIVE']);
    expect(await statusOf('minimist')).toEqual(['SUPPRESSED']);

    // Words only: nothing is re-matched.
    const reworded = await t.call(t.keys.acme.admin, { method: 'PATCH', url: `/api/v1/suppression-rules/${id}`, payload: { reason: 'only the build scripts use it', justification: null } });
    expect(reworded.json()).toMatchObject({ restored: 0, suppressed: 0, rule: { reason: 'only the build scripts use it' } });
    expect(reworded.json().rule.justification).toBeUndefined();
    expect(await statusOf('minimist')).toEqual(['SUPPRESSED']);
    const read = await t.call(t.keys.acme.viewer, { method: 'GET', url: `/api/v1/suppression-rules/${id}` });
    expect(read.json()).toMatchObject({ name: 'minimist', reason: 'only the build scripts use it' });

    // An expiry in the future keeps it in force; removing it too.
    const expiring = await t.call(t.keys.acme.admin, { method: 'PATCH', url: `/api/v1/suppression-rules/${id}`, payload: { expiresAt: new Date(Date.now() + 86_400_000).toISOString() } });
    expect(expiring.json()).toMatchObject({ restored: 1, suppressed: 1 });
    const forever = await t.call(t.keys.acme.admin, { method: 'PATCH', url: `/api/v1/suppression-rules/${id}`, payload: { expiresAt: null } });
    expect(forever.json().rule.expiresAt).toBeUndefined();
    expect(await statusOf('minimist')).toEqual(['SUPPRESSED']);
  });

  it.each([
    ['an empty body', {}, /nothing to change/],
    ['an empty filter', { filterCriteria: {} }, /at least one filter/],
    ['a status filter', { filterCriteria: { status: [{ comparison: 'EQUALS', value: 'ACTIVE' }] } }, /cannot filter on status/],
    ['an expiry in the past', { expiresAt: '2020-01-01T00:00:00Z' }, /expiresAt/],
    ['an unknown field', { scope: 'ORGANIZATION' }, /scope/],
    ['an empty reason', { reason: '' }, /reason/],
  ])('refuses %s with a 400 naming it', async (_name, payload, message) => {
    const created = await t.call(t.keys.acme.admin, { method: 'POST', url: '/api/v1/suppression-rules', payload: { name: 'n', reason: 'r', filterCriteria: pkg('left-pad') } });
    const res = await t.call(t.keys.acme.admin, { method: 'PATCH', url: `/api/v1/suppression-rules/${created.json().rule.id}`, payload });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/problem\+json/);
    expect(JSON.stringify(res.json())).toMatch(message);
  });

  it('leaves organization-wide rules to the delegated administrator', async () => {
    const org = await t.call(t.keys.admin.admin, { method: 'POST', url: '/api/v1/suppression-rules', payload: { scope: 'ORGANIZATION', name: 'org', reason: 'r', filterCriteria: { title: [{ comparison: 'EQUALS', value: 'nothing' }] } } });
    expect(org.statusCode).toBe(201);
    const id = org.json().rule.id as string;
    expect((await t.call(t.keys.acme.admin, { method: 'PATCH', url: `/api/v1/suppression-rules/${id}`, payload: { reason: 'mine now' } })).statusCode).toBe(403);
    expect((await t.call(t.keys.acme.viewer, { method: 'PATCH', url: `/api/v1/suppression-rules/${id}`, payload: { reason: 'mine now' } })).statusCode).toBe(403);
    expect((await t.call(t.keys.admin.admin, { method: 'PATCH', url: `/api/v1/suppression-rules/${id}`, payload: { reason: 'still org-wide' } })).json().rule).toMatchObject({ reason: 'still org-wide' });
    expect((await t.call(t.keys.admin.admin, { method: 'PATCH', url: '/api/v1/suppression-rules/no-such-rule', payload: { reason: 'x' } })).statusCode).toBe(404);
  });
});
