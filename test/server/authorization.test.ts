/**
 * The authorization matrix: every role of a member account and of the delegated
 * administrator, against every endpoint, on its own account's data and on another
 * account's. Proves roles are enforced and that no read or write crosses accounts; then
 * checks the other account's data is exactly as it was.
 */
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/server/accounts.js';
import { dialectCases } from '../helpers/postgres.js';
import { npmInventory, startTestApp, type TestApp } from './harness.js';

type Kind = 'object' | 'write' | 'list' | 'org';
interface Endpoint {
  name: string;
  roles: Role[];
  kind: Kind;
  /** Builds the request against account `target`'s data (may create fresh objects). */
  request(target: string): Promise<InjectOptions>;
}

/** Per-account fixtures: a scanned resource with findings, a rule. */
interface Fixture {
  resourceId: string;
  findingId: string;
  scanId: string;
  ruleId: string;
  analysisId: string;
}

describe.each(dialectCases())('authorization matrix on $name', (dialect) => {
  let t: TestApp;
  const fx: Record<string, Fixture> = {};
  /** Objects the matrix itself creates as targets: left out of the before/after comparison. */
  const made = new Set<string>();

  const adminCall = (account: 'acme' | 'globex', opts: InjectOptions) => t.call(t.keys[account].admin, opts);
  async function freshResource(account: 'acme' | 'globex'): Promise<string> {
    const r = await adminCall(account, { method: 'POST', url: '/api/v1/resources', payload: { type: 'HOST', name: `tmp-${Math.random()}` } });
    made.add(r.json().id);
    return r.json().id;
  }
  async function freshRule(account: 'acme' | 'globex'): Promise<string> {
    const r = await adminCall(account, { method: 'POST', url: '/api/v1/suppression-rules', payload: { name: 'tmp', reason: 'tmp', filterCriteria: { title: [{ comparison: 'EQUALS', value: 'no such title' }] } } });
    made.add(r.json().rule.id);
    return r.json().rule.id;
  }
  async function freshKey(account: 'acme' | 'globex'): Promise<string> {
    const r = await adminCall(account, { method: 'POST', url: '/api/v1/keys', payload: { role: 'viewer' } });
    made.add(r.json().info.id);
    return r.json().info.id;
  }
  async function snapshot(account: string): Promise<string> {
    const q = (table: 'findings' | 'resources' | 'suppression_rules' | 'api_keys' | 'scans' | 'finding_events') =>
      t.db.kysely.selectFrom(table).selectAll().where('account_id', '=', account).execute();
    const rows = await Promise.all([q('findings'), q('resources'), q('suppression_rules'), q('api_keys'), q('scans'), q('finding_events')]);
    // Key use times move with the harness's own calls; everything else must stay.
    const kept = rows.map((r) => r.filter((x) => !made.has(String((x as { id: unknown }).id))).map((x) => JSON.stringify({ ...x, last_used_at: undefined })).sort());
    return JSON.stringify(kept);
  }

  const endpoints: Endpoint[] = [
    { name: 'GET resource', roles: ['viewer'], kind: 'object', request: async (a) => ({ method: 'GET', url: `/api/v1/resources/${fx[a].resourceId}` }) },
    { name: 'GET inventories', roles: ['viewer'], kind: 'object', request: async (a) => ({ method: 'GET', url: `/api/v1/resources/${fx[a].resourceId}/inventories` }) },
    { name: 'GET inventory', roles: ['viewer'], kind: 'object', request: async (a) => ({ method: 'GET', url: `/api/v1/resources/${fx[a].resourceId}/inventories/latest` }) },
    { name: 'PATCH resource', roles: ['admin'], kind: 'object', request: async (a) => ({ method: 'PATCH', url: `/api/v1/resources/${await freshResource(a as 'acme')}`, payload: { tags: { env: 'x' } } }) },
    { name: 'DELETE resource', roles: ['admin'], kind: 'object', request: async (a) => ({ method: 'DELETE', url: `/api/v1/resources/${await freshResource(a as 'acme')}` }) },
    { name: 'GET finding', roles: ['viewer'], kind: 'object', request: async (a) => ({ method: 'GET', url: `/api/v1/findings/${fx[a].findingId}` }) },
    // Scanner keys read scans back: they poll the submissions they made (202) and page their findings.
    { name: 'GET scan', roles: ['viewer', 'scanner'], kind: 'object', request: async (a) => ({ method: 'GET', url: `/api/v1/scans/${fx[a].scanId}` }) },
    { name: 'GET scan findings', roles: ['viewer', 'scanner'], kind: 'object', request: async (a) => ({ method: 'GET', url: `/api/v1/scans/${fx[a].scanId}/findings` }) },
    { name: 'GET rule', roles: ['viewer'], kind: 'object', request: async (a) => ({ method: 'GET', url: `/api/v1/suppression-rules/${fx[a].ruleId}` }) },
    { name: 'DELETE rule', roles: ['admin'], kind: 'object', request: async (a) => ({ method: 'DELETE', url: `/api/v1/suppression-rules/${await freshRule(a as 'acme')}` }) },
    { name: 'DELETE key', roles: ['admin'], kind: 'object', request: async (a) => ({ method: 'DELETE', url: `/api/v1/keys/${await freshKey(a as 'acme')}` }) },
    { name: 'POST scan', roles: ['scanner'], kind: 'write', request: async (a) => ({ method: 'POST', url: '/api/v1/scans', payload: { accountId: a, resource: { type: 'REPOSITORY', name: `repo-${Math.random()}` }, inventory: npmInventory('repo') } }) },
    { name: 'POST resource', roles: ['admin'], kind: 'write', request: async (a) => ({ method: 'POST', url: '/api/v1/resources', payload: { accountId: a, type: 'HOST', name: `h-${Math.random()}` } }) },
    { name: 'POST rule', roles: ['admin'], kind: 'write', request: async (a) => ({ method: 'POST', url: '/api/v1/suppression-rules', payload: { accountId: a, name: 'n', reason: 'r', filterCriteria: { title: [{ comparison: 'EQUALS', value: 'nothing' }] } } }) },
    { name: 'POST key', roles: ['admin'], kind: 'write', request: async (a) => ({ method: 'POST', url: '/api/v1/keys', payload: { accountId: a, role: 'viewer' } }) },
    { name: 'POST rule preview', roles: ['viewer'], kind: 'write', request: async (a) => ({ method: 'POST', url: '/api/v1/suppression-rules/preview', payload: { accountId: a, filterCriteria: { packageName: [{ comparison: 'EQUALS', value: 'lodash' }] } } }) },
    { name: 'search', roles: ['viewer'], kind: 'list', request: async (a) => ({ method: 'POST', url: '/api/v1/findings/search', payload: { filterCriteria: { accountId: [{ comparison: 'EQUALS', value: a }] } } }) },
    { name: 'search by Inspector account name', roles: ['viewer'], kind: 'list', request: async (a) => ({ method: 'POST', url: '/api/v1/findings/search', payload: { filterCriteria: { awsAccountId: [{ comparison: 'EQUALS', value: a }] } } }) },
    { name: 'aggregate', roles: ['viewer'], kind: 'list', request: async (a) => ({ method: 'POST', url: '/api/v1/findings/aggregate', payload: { aggregationType: 'ACCOUNT', filterCriteria: { accountId: [{ comparison: 'EQUALS', value: a }] } } }) },
    { name: 'export', roles: ['viewer'], kind: 'list', request: async (a) => ({ method: 'POST', url: '/api/v1/findings/export', payload: { format: 'json', filterCriteria: { accountId: [{ comparison: 'EQUALS', value: a }] } } }) },
    { name: 'list resources', roles: ['viewer'], kind: 'list', request: async (a) => ({ method: 'GET', url: `/api/v1/resources?accountId=${a}` }) },
    { name: 'list scans', roles: ['viewer'], kind: 'list', request: async (a) => ({ method: 'GET', url: `/api/v1/scans?accountId=${a}` }) },
    { name: 'coverage', roles: ['viewer'], kind: 'list', request: async (a) => ({ method: 'GET', url: `/api/v1/coverage?accountId=${a}` }) },
    { name: 'coverage statistics', roles: ['viewer'], kind: 'list', request: async (a) => ({ method: 'GET', url: `/api/v1/coverage/statistics?accountId=${a}` }) },
    { name: 'usage', roles: ['viewer'], kind: 'list', request: async (a) => ({ method: 'GET', url: `/api/v1/usage?accountId=${a}` }) },
    { name: 'list keys', roles: ['admin'], kind: 'list', request: async (a) => ({ method: 'GET', url: `/api/v1/keys?accountId=${a}` }) },
    { name: 'list rules', roles: ['viewer'], kind: 'list', request: async () => ({ method: 'GET', url: '/api/v1/suppression-rules' }) },
    { name: 'unused rules', roles: ['viewer'], kind: 'list', request: async () => ({ method: 'GET', url: '/api/v1/suppression-rules/unused' }) },
    { name: 'list accounts', roles: ['viewer'], kind: 'list', request: async () => ({ method: 'GET', url: '/api/v1/accounts' }) },
    { name: 'create account', roles: ['admin'], kind: 'org', request: async () => ({ method: 'POST', url: '/api/v1/accounts', payload: { id: `a${Math.random().toString(36).slice(2, 10)}` } }) },
    { name: 'change settings', roles: ['admin'], kind: 'org', request: async () => ({ method: 'PATCH', url: '/api/v1/settings', payload: { closedRetentionDays: 30 } }) },
    { name: 'org-wide rule', roles: ['admin'], kind: 'org', request: async () => ({ method: 'POST', url: '/api/v1/suppression-rules', payload: { scope: 'ORGANIZATION', name: 'n', reason: 'r', filterCriteria: { title: [{ comparison: 'EQUALS', value: 'nothing' }] } } }) },
    { name: 'POST network snapshot', roles: ['admin'], kind: 'write', request: async (a) => ({ method: 'POST', url: '/api/v1/network/snapshots', payload: { accountId: a, files: { 'lab.yaml': 'networks: [{ id: lab, cidrs: [10.0.0.0/24] }]' } } }) },
    { name: 'POST network analysis', roles: ['admin'], kind: 'write', request: async (a) => ({ method: 'POST', url: '/api/v1/network/analyses', payload: { accountId: a } }) },
    { name: 'GET network analysis', roles: ['viewer', 'scanner'], kind: 'object', request: async (a) => ({ method: 'GET', url: `/api/v1/network/analyses/${fx[a].analysisId}` }) },
    { name: 'list network snapshots', roles: ['viewer'], kind: 'list', request: async (a) => ({ method: 'GET', url: `/api/v1/network/snapshots?accountId=${a}` }) },
    { name: 'POST host network report', roles: ['scanner'], kind: 'write', request: async (a) => ({ method: 'POST', url: '/api/v1/network/host-reports', payload: { accountId: a, resource: { name: `h-${Math.random()}` }, report: { firewallId: 'h/firewall', listeners: [], interfaces: [], firewall: { tool: 'none', raw: '' } } } }) },
    { name: 'PATCH rule', roles: ['admin'], kind: 'object', request: async (a) => ({ method: 'PATCH', url: `/api/v1/suppression-rules/${await freshRule(a as 'acme')}`, payload: { reason: 'edited' } }) },
    { name: 'GET remediation plan', roles: ['viewer'], kind: 'object', request: async (a) => ({ method: 'GET', url: `/api/v1/resources/${fx[a].resourceId}/remediation` }) },
    { name: 'SLA policy', roles: ['viewer'], kind: 'list', request: async () => ({ method: 'GET', url: '/api/v1/sla-policy' }) },
    { name: 'change SLA policy', roles: ['admin'], kind: 'org', request: async () => ({ method: 'PUT', url: '/api/v1/sla-policy', payload: {} }) },
    { name: 'compliance', roles: ['viewer'], kind: 'list', request: async (a) => ({ method: 'GET', url: `/api/v1/compliance?accountId=${a}` }) },
    { name: 'compliance report', roles: ['viewer'], kind: 'list', request: async (a) => ({ method: 'GET', url: `/api/v1/reports/compliance?accountId=${a}&format=html` }) },
    { name: 'GET resource SBOM', roles: ['viewer'], kind: 'object', request: async (a) => ({ method: 'GET', url: `/api/v1/resources/${fx[a].resourceId}/sbom?format=spdx` }) },
    { name: 'SBOM archive', roles: ['viewer'], kind: 'list', request: async (a) => ({ method: 'GET', url: `/api/v1/sbom/archive?format=spdx&accountId=${a}` }) },
    { name: 'apply VEX', roles: ['admin'], kind: 'write', request: async (a) => ({ method: 'POST', url: `/api/v1/vex?accountId=${a}`, payload: { '@context': 'https://openvex.dev/ns/v0.2.0', statements: [{ vulnerability: { name: 'CVE-1999-0001' }, products: [{ '@id': 'pkg:npm/none@1' }], status: 'not_affected', justification: 'component_not_present' }] } }) },
    { name: 'VEX export', roles: ['viewer'], kind: 'list', request: async () => ({ method: 'GET', url: '/api/v1/vex/export?format=cyclonedx' }) },
    { name: 'VEX export filtered', roles: ['viewer'], kind: 'list', request: async (a) => ({ method: 'POST', url: '/api/v1/vex/export', payload: { format: 'openvex', filterCriteria: { accountId: [{ comparison: 'EQUALS', value: a }] } } }) },
    { name: 'export OCSF', roles: ['viewer'], kind: 'list', request: async (a) => ({ method: 'POST', url: '/api/v1/findings/export', payload: { format: 'ocsf', filterCriteria: { accountId: [{ comparison: 'EQUALS', value: a }] } } }) },
  ];

  beforeAll(async () => {
    t = await startTestApp(dialect);
    for (const account of ['acme', 'globex'] as const) {
      const scan = await t.call(t.keys[account].scanner, { method: 'POST', url: '/api/v1/scans', payload: { resource: { type: 'REPOSITORY', name: `${account}/app` }, inventory: npmInventory(`${account}/app`) } });
      expect(scan.statusCode).toBe(201);
      const search = await t.call(t.keys[account].viewer, { method: 'POST', url: '/api/v1/findings/search', payload: {} });
      const rule = await adminCall(account, { method: 'POST', url: '/api/v1/suppression-rules', payload: { name: 'keep', reason: 'fixture', filterCriteria: { title: [{ comparison: 'EQUALS', value: 'never' }] } } });
      const report = { firewallId: 'h/firewall', listeners: [], interfaces: [], firewall: { tool: 'none', raw: '' } };
      const network = await t.call(t.keys[account].scanner, { method: 'POST', url: '/api/v1/network/host-reports', payload: { resource: { name: `${account}-host` }, report } });
      expect(network.statusCode, network.body).toBe(202);
      fx[account] = { resourceId: scan.json().resource.id, scanId: scan.json().scanId, findingId: search.json().findings[0].findingId, ruleId: rule.json().rule.id, analysisId: network.json().analysisId };
    }
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers 401 problem+json to every endpoint without a valid key', async () => {
    for (const e of endpoints) {
      for (const key of [undefined, 'vgl_AAAAAAAAAAAA_' + 'A'.repeat(43), 'not-a-key']) {
        const res = await t.call(key, await e.request('acme'));
        expect(res.statusCode, `${e.name} with ${key}`).toBe(401);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      }
    }
  });

  const principals: ['acme' | 'admin', Role][] = (['acme', 'admin'] as const).flatMap((a) => (['admin', 'viewer', 'scanner'] as const).map((r): ['acme' | 'admin', Role] => [a, r]));

  it.each(principals)('enforces roles and accounts for a %s %s key', async (account, role) => {
    const before = await snapshot('globex');
    const problems: string[] = [];
    for (const e of endpoints) {
      for (const target of ['acme', 'globex']) {
        const res = await t.call(t.keys[account][role], await e.request(target));
        const label = `${e.name} on ${target}: ${res.statusCode} ${res.body.slice(0, 160)}`;
        const allowedRole = role === 'admin' || e.roles.includes(role);
        const delegated = account === 'admin';
        const own = delegated || target === account;
        let ok: boolean;
        if (!allowedRole) ok = res.statusCode === 403;
        else if (e.kind === 'org') ok = delegated ? res.statusCode < 300 : res.statusCode === 403;
        else if (own) ok = res.statusCode < 300;
        else if (e.kind === 'object') ok = res.statusCode === 404;
        else if (e.kind === 'write') ok = res.statusCode === 403;
        // Lists answer, without a trace of the other account.
        else ok = res.statusCode === 200 && !res.body.includes('globex') && !res.body.includes(fx.globex.resourceId);
        if (!ok) problems.push(label);
      }
    }
    expect(problems).toEqual([]);
    if (account !== 'admin') expect(await snapshot('globex')).toBe(before);
  });
});
