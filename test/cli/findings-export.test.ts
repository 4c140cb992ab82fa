/**
 * `vigil findings export`, `vigil vex export/apply` and `vigil scan --vex` against a running
 * server: the requests they build, the streams they write, and the errors they report for
 * bad flags and refused requests.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runVigil } from '../helpers/cli.js';
import { dialectCases } from '../helpers/postgres.js';
import { npmInventory, startTestApp, type TestApp } from '../server/harness.js';

describe.each(dialectCases().filter((d) => d.name === 'sqlite'))('vigil findings export on $name', (dialect) => {
  let t: TestApp;
  let url: string;
  let work: string;
  beforeAll(async () => {
    t = await startTestApp(dialect);
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const addr = t.app.server.address();
    url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    work = mkdtempSync(join(tmpdir(), 'vigil-findings-export-'));
    expect((await t.call(t.keys.acme.scanner, { method: 'POST', url: '/api/v1/scans', payload: { resource: { type: 'HOST', name: 'web-1' }, inventory: npmInventory('web-1') } })).statusCode).toBe(201);
  });
  afterAll(async () => {
    await t?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('streams OCSF events to standard output, filtered by a --filter file', async () => {
    const filter = join(work, 'filter.json');
    writeFileSync(filter, JSON.stringify({ vulnerabilityId: [{ comparison: 'EQUALS', value: 'CVE-2021-44906' }] }));
    const res = await runVigil(['findings', 'export', '--server', url, '--format', 'ocsf', '--filter', `@${filter}`], { env: { VIGIL_API_KEY: t.keys.acme.viewer } });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const events = JSON.parse(res.stdout) as { class_uid: number; vulnerabilities: { cve: { uid: string } }[] }[];
    expect(events.map((e) => [e.class_uid, e.vulnerabilities[0].cve.uid])).toEqual([[2002, 'CVE-2021-44906']]);
  });

  it('writes ASFF to a file', async () => {
    const out = join(work, 'asff.json');
    const res = await runVigil(['findings', 'export', '--server', url, '--api-key', t.keys.acme.viewer, '--format', 'asff', '--aws-account-id', '123456789012', '--aws-region', 'us-east-1', '--status', 'active', '-o', out]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const findings = JSON.parse(readFileSync(out, 'utf8')) as { AwsAccountId: string; Workflow: { Status: string } }[];
    expect(findings).toHaveLength(2);
    expect(findings.every((f) => f.AwsAccountId === '123456789012' && f.Workflow.Status === 'NEW')).toBe(true);
  });

  it('vigil vex apply sends a published OpenVEX document; vigil vex export writes the decisions', async () => {
    const fixture = new URL('../fixtures/vex/openvex-demo.vex.json', import.meta.url).pathname;
    const applied = await runVigil(['vex', 'apply', fixture, '--server', url], { env: { VIGIL_API_KEY: t.keys.acme.admin } });
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    // Its git build is not on this server: the rule is kept for when it appears.
    expect(JSON.parse(applied.stdout)).toMatchObject({ suppressed: 0, unmatched: 1, rules: [{ provenance: { source: 'openvex', author: 'Wolfi J Inkinson' } }] });
    const exported = await runVigil(['vex', 'export', '--server', url, '--format', 'cyclonedx'], { env: { VIGIL_API_KEY: t.keys.acme.viewer } });
    expect(exported.code).toBe(0);
    expect(JSON.parse(exported.stdout)).toMatchObject({ bomFormat: 'CycloneDX', specVersion: '1.6', vulnerabilities: [] });
  });

  it('vigil scan --vex suppresses a not_affected finding in the report and says the server keeps it', async () => {
    mkdirSync(join(work, 'app'), { recursive: true });
    writeFileSync(
      join(work, 'app', 'package-lock.json'),
      JSON.stringify({ name: 'app', version: '1.0.0', lockfileVersion: 3, packages: { '': { name: 'app', version: '1.0.0' }, 'node_modules/lodash': { version: '4.17.15' }, 'node_modules/minimist': { version: '1.2.0' } } }),
    );
    const vex = join(work, 'app.vex.json');
    writeFileSync(
      vex,
      JSON.stringify({
        '@context': 'https://openvex.dev/ns/v0.2.0',
        '@id': 'urn:test:app',
        author: 'App team',
        statements: [{ vulnerability: { name: 'CVE-2021-44906' }, products: [{ '@id': 'pkg:npm/minimist@1.2.0' }], status: 'not_affected', justification: 'vulnerable_code_not_present' }],
      }),
    );
    const res = await runVigil(['scan', `dir:${join(work, 'app')}`, '--server', url, '--name', 'app', '--vex', vex, '--format', 'json'], { env: { VIGIL_API_KEY: t.keys.acme.scanner } });
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/1 finding suppressed by --vex in this report and gate only/);
    const out = JSON.parse(res.stdout) as { findings: { id: string }[]; suppressed: { id: string; reason: string }[] };
    expect(out.findings.map((f) => f.id)).toEqual(['CVE-2020-8203']);
    expect(out.suppressed).toEqual([{ id: 'CVE-2021-44906', package: 'pkg:npm/minimist@1.2.0', reason: expect.stringMatching(/VEX urn:test:app \(App team\): not_affected — vulnerable_code_not_present/) }]);
  });

  it.each([
    [['--format', 'xml'], /--format must be one of csv, json, ocsf, asff; got xml/],
    [['--format', 'asff'], /--format asff needs --aws-account-id and --aws-region/],
    [['--filter', '{not json'], /--filter must be filter criteria as a JSON object/],
    [['--filter', '{"severity": 3}'], /the Vigil server refused POST \/api\/v1\/findings\/export \(HTTP 400\)/],
  ])('reports %j as one line and exits 2', async (args, message) => {
    const res = await runVigil(['findings', 'export', '--server', url, ...args], { env: { VIGIL_API_KEY: t.keys.acme.viewer } });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(message);
  });
});
