/**
 * `vigil findings export` against a running server: the request it builds, the stream it
 * writes, and the errors it reports for bad flags and refused requests.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
