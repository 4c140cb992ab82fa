/**
 * VEX through the API on both dialects: an OpenVEX document's not_affected statement becomes
 * a rule with provenance that suppresses now and on later scans; a CycloneDX VEX affected
 * statement becomes a note; the decisions export as OpenVEX and as CycloneDX VEX (valid
 * against the CycloneDX 1.6 schema), and the OpenVEX export reads back in.
 */
import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readVexDocument } from '../../src/vex/read.js';
import { dialectCases } from '../helpers/postgres.js';
import { npmInventory, startTestApp, type TestApp } from './harness.js';

describe.each(dialectCases())('VEX routes on $name', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(dialect);
    expect((await t.call(t.keys.acme.scanner, { method: 'POST', url: '/api/v1/scans', payload: { resource: { type: 'HOST', name: 'web-1' }, inventory: npmInventory('web-1') } })).statusCode).toBe(201);
    expect((await t.call(t.keys.globex.scanner, { method: 'POST', url: '/api/v1/scans', payload: { resource: { type: 'HOST', name: 'globex-1' }, inventory: npmInventory('globex-1') } })).statusCode).toBe(201);
  });
  afterAll(async () => {
    await t?.close();
  });

  const search = async (key: string) =>
    (await t.call(key, { method: 'POST', url: '/api/v1/findings/search', payload: {} })).json().findings as { findingId: string; vulnerabilityId: string; status: string }[];

  it('applies not_affected as a rule with provenance, in the caller’s account only, and for later scans too', async () => {
    const doc = {
      '@context': 'https://openvex.dev/ns/v0.2.0',
      '@id': 'https://vex.example/acme/2026-12-01',
      author: 'Acme Product Security',
      timestamp: '2026-12-01T00:00:00Z',
      version: 1,
      statements: [
        {
          vulnerability: { name: 'CVE-2020-8203' },
          products: [{ '@id': 'pkg:oci/web?repository_url=reg.example/web', subcomponents: [{ '@id': 'pkg:npm/lodash@4.17.15' }] }],
          status: 'not_affected',
          justification: 'vulnerable_code_not_in_execute_path',
          impact_statement: 'zipObjectDeep is never called',
        },
      ],
    };
    const res = await t.call(t.keys.acme.admin, { method: 'POST', url: '/api/v1/vex', payload: doc });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({ document: 'https://vex.example/acme/2026-12-01', suppressed: 1, notes: 0, unmatched: 0 });
    expect(body.rules).toHaveLength(1);
    expect(body.rules[0]).toMatchObject({
      accountId: 'acme',
      justification: 'vulnerable_code_not_in_execute_path',
      reason: 'VEX https://vex.example/acme/2026-12-01 (Acme Product Security): not_affected — vulnerable_code_not_in_execute_path; zipObjectDeep is never called',
      provenance: { source: 'openvex', document: 'https://vex.example/acme/2026-12-01', author: 'Acme Product Security', timestamp: '2026-12-01T00:00:00Z', statement: { status: 'not_affected' } },
    });
    const acme = await search(t.keys.acme.viewer);
    expect(acme.find((f) => f.vulnerabilityId === 'CVE-2020-8203')!.status).toBe('SUPPRESSED');
    expect((await search(t.keys.globex.viewer)).every((f) => f.status === 'ACTIVE')).toBe(true);
    // The rule stays: a new resource with the same package is suppressed as it arrives.
    const again = await t.call(t.keys.acme.scanner, { method: 'POST', url: '/api/v1/scans', payload: { resource: { type: 'HOST', name: 'web-2' }, inventory: npmInventory('web-2') } });
    expect(again.json().summary.suppressed).toBe(1);
  });

  it('notes an affected statement from a CycloneDX VEX document on the finding’s timeline', async () => {
    const doc = {
      bomFormat: 'CycloneDX',
      specVersion: '1.6',
      serialNumber: 'urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79',
      version: 1,
      metadata: { timestamp: '2026-12-02T00:00:00Z', authors: [{ name: 'Acme PSIRT' }] },
      components: [{ type: 'library', 'bom-ref': 'minimist', name: 'minimist', version: '1.2.0', purl: 'pkg:npm/minimist@1.2.0' }],
      vulnerabilities: [{ id: 'CVE-2021-44906', analysis: { state: 'exploitable', response: ['update'], detail: 'reachable from the CLI parser' }, affects: [{ ref: 'minimist' }] }],
    };
    const res = await t.call(t.keys.acme.admin, { method: 'POST', url: '/api/v1/vex?name=psirt.cdx.json', payload: doc });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ document: 'urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79', rules: [], suppressed: 0, notes: 2 });
    const minimist = (await search(t.keys.acme.viewer)).find((f) => f.vulnerabilityId === 'CVE-2021-44906')!;
    expect(minimist.status).toBe('ACTIVE');
    const detail = (await t.call(t.keys.acme.viewer, { method: 'GET', url: `/api/v1/findings/${minimist.findingId}` })).json();
    expect(detail.timeline.at(-1)).toMatchObject({ event: 'NOTE', status: 'affected', author: 'Acme PSIRT', note: 'VEX urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79 (Acme PSIRT): affected — reachable from the CLI parser; update' });
  });

  it('exports the decisions as OpenVEX that reads back in, and as CycloneDX VEX valid against the schema', async () => {
    const open = await t.call(t.keys.acme.viewer, { method: 'GET', url: '/api/v1/vex/export?format=openvex' });
    expect(open.statusCode).toBe(200);
    const back = readVexDocument(open.json(), 'export');
    expect(back.statements.map((s) => [s.vulnerability, s.status, s.justification, s.products.map((p) => p.purl)])).toEqual([
      ['CVE-2020-8203', 'not_affected', 'vulnerable_code_not_in_execute_path', ['pkg:npm/lodash@4.17.15']],
      ['CVE-2020-8203', 'not_affected', 'vulnerable_code_not_in_execute_path', ['pkg:npm/lodash@4.17.15']],
    ]);
    const cdx = await t.call(t.keys.acme.viewer, { method: 'POST', url: '/api/v1/vex/export', payload: { format: 'cyclonedx', filterCriteria: { resourceName: [{ comparison: 'EQUALS', value: 'web-1' }] } } });
    expect(cdx.statusCode).toBe(200);
    expect(await new Validation.JsonStrictValidator(Spec.Version.v1dot6).validate(cdx.body)).toBeNull();
    expect(cdx.json().vulnerabilities).toEqual([
      expect.objectContaining({ id: 'CVE-2020-8203', analysis: expect.objectContaining({ state: 'not_affected', justification: 'code_not_reachable' }), affects: [{ ref: 'pkg:npm/lodash@4.17.15' }] }),
    ]);
    // Globex has made no decision: its export is empty.
    expect((await t.call(t.keys.globex.viewer, { method: 'GET', url: '/api/v1/vex/export' })).json().statements).toEqual([]);
  });

  it.each([
    ['not a VEX document', { hello: 'world' }, 400],
    ['an unknown OpenVEX status', { '@context': 'https://openvex.dev/ns/v0.2.0', statements: [{ vulnerability: { name: 'X' }, status: 'fine' }] }, 400],
  ])('answers %s with 400 problem+json', async (_, payload, status) => {
    const res = await t.call(t.keys.acme.admin, { method: 'POST', url: '/api/v1/vex', payload });
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.json().detail).toMatch(/^VEX document the request body: /);
  });
});
