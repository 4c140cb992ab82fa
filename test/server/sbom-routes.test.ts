/**
 * SBOMs from the server: a resource's CycloneDX 1.6 (checked against the CycloneDX schema)
 * and SPDX 2.3 documents from its stored inventory, and the organization archive, which
 * holds exactly the resources the caller may see. Both database dialects.
 */
import { gunzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialectCases } from '../helpers/postgres.js';
import { npmInventory, startTestApp, type TestApp } from './harness.js';

/** The files of a tar.gz, by name. */
async function untar(gz: Buffer): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const extract = tar.extract();
  Readable.from([gunzipSync(gz)]).pipe(extract as unknown as NodeJS.WritableStream);
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const c of entry) chunks.push(c as Buffer);
    out.set(entry.header.name, Buffer.concat(chunks).toString('utf8'));
  }
  return out;
}

describe.each(dialectCases())('SBOM routes on $name', (dialect) => {
  let t: TestApp;
  let imageId: string;
  let hostId: string;
  let globexId: string;
  let unscannedId: string;
  beforeAll(async () => {
    t = await startTestApp(dialect);
    const image = npmInventory('reg.example/shop/api@sha256:abc', 'registry', { repository: 'shop/api', digest: 'sha256:abc', tags: ['1.0'] });
    imageId = (await t.call(t.keys.acme.scanner, { method: 'POST', url: '/api/v1/scans', payload: { inventory: image } })).json().resource.id;
    hostId = (await t.call(t.keys.acme.scanner, { method: 'POST', url: '/api/v1/scans', payload: { resource: { type: 'HOST', name: 'web 1/prod' }, inventory: npmInventory('/') } })).json().resource.id;
    globexId = (await t.call(t.keys.globex.scanner, { method: 'POST', url: '/api/v1/scans', payload: { resource: { type: 'HOST', name: 'globex-box' }, inventory: npmInventory('globex-box') } })).json().resource.id;
    unscannedId = (await t.call(t.keys.acme.admin, { method: 'POST', url: '/api/v1/resources', payload: { type: 'HOST', name: 'never-scanned' } })).json().id;
  });
  afterAll(async () => {
    await t?.close();
  });

  it("serves a resource's CycloneDX 1.6 SBOM, valid against the CycloneDX schema, named after the resource", async () => {
    const res = await t.call(t.keys.acme.viewer, { method: 'GET', url: `/api/v1/resources/${imageId}/sbom` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/vnd\.cyclonedx\+json; version="?1\.6/);
    expect(res.headers['content-disposition']).toBe('attachment; filename="reg.example_shop_api_sha256_abc-v1.cdx.json"');
    expect(await new Validation.JsonStrictValidator(Spec.Version.v1dot6).validate(res.body)).toBeNull();
    const bom = res.json();
    expect(bom.metadata.component).toMatchObject({ type: 'container', name: 'reg.example/shop/api@sha256:abc' });
    expect(bom.components.map((c: { purl: string }) => c.purl).sort()).toEqual(['pkg:npm/left-pad@1.3.0', 'pkg:npm/lodash@4.17.15', 'pkg:npm/minimist@1.2.0']);
  });

  it("serves a resource's SPDX 2.3 SBOM, and a given inventory version", async () => {
    const res = await t.call(t.keys.acme.viewer, { method: 'GET', url: `/api/v1/resources/${hostId}/sbom?format=spdx&version=1` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/spdx\+json/);
    const doc = res.json();
    expect(doc).toMatchObject({ spdxVersion: 'SPDX-2.3', dataLicense: 'CC0-1.0', SPDXID: 'SPDXRef-DOCUMENT', name: expect.stringContaining('web 1/prod') });
    const purls = doc.packages.flatMap((p: { externalRefs?: { referenceType: string; referenceLocator: string }[] }) => (p.externalRefs ?? []).filter((r) => r.referenceType === 'purl').map((r) => r.referenceLocator));
    expect(purls.sort()).toEqual(['pkg:npm/left-pad@1.3.0', 'pkg:npm/lodash@4.17.15', 'pkg:npm/minimist@1.2.0']);
  });

  it.each([
    ['another account’s resource', () => `/api/v1/resources/${globexId}/sbom`, 404],
    ['a resource never scanned', () => `/api/v1/resources/${unscannedId}/sbom`, 404],
    ['an inventory version not stored', () => `/api/v1/resources/${hostId}/sbom?version=7`, 404],
    ['an unknown format', () => `/api/v1/resources/${hostId}/sbom?format=swid`, 400],
  ])('answers %s with a problem', async (_, url, status) => {
    const res = await t.call(t.keys.acme.viewer, { method: 'GET', url: url() });
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  });

  it('archives the SBOM of every resource the caller may see, with an index', async () => {
    const own = await t.call(t.keys.acme.viewer, { method: 'GET', url: '/api/v1/sbom/archive' });
    expect(own.statusCode).toBe(200);
    expect(own.headers['content-type']).toBe('application/gzip');
    const files = await untar(own.rawPayload);
    expect([...files.keys()].sort()).toEqual([`acme/reg.example_shop_api_sha256_abc-${imageId}.cdx.json`, `acme/web_1_prod-${hostId}.cdx.json`, 'index.json'].sort());
    const index = JSON.parse(files.get('index.json')!);
    expect(index.resources.map((r: { resourceId: string }) => r.resourceId).sort()).toEqual([imageId, hostId].sort());
    for (const [name, body] of files) if (name.endsWith('.cdx.json')) expect(await new Validation.JsonStrictValidator(Spec.Version.v1dot6).validate(body)).toBeNull();

    // The delegated administrator sees the organization; asking for one account narrows it.
    const org = await untar((await t.call(t.keys.admin.viewer, { method: 'GET', url: '/api/v1/sbom/archive?format=spdx' })).rawPayload);
    expect([...org.keys()].filter((n) => n.endsWith('.spdx.json')).map((n) => n.split('/')[0]).sort()).toEqual(['acme', 'acme', 'globex']);
    const one = await untar((await t.call(t.keys.admin.viewer, { method: 'GET', url: '/api/v1/sbom/archive?accountId=globex' })).rawPayload);
    expect([...one.keys()].sort()).toEqual([`globex/globex-box-${globexId}.cdx.json`, 'index.json']);
    // A member asking for another account gets an empty archive, not its data.
    const none = await untar((await t.call(t.keys.acme.viewer, { method: 'GET', url: '/api/v1/sbom/archive?accountId=globex' })).rawPayload);
    expect([...none.keys()]).toEqual(['index.json']);
  });
});
