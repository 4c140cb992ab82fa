/**
 * Findings exported as OCSF Vulnerability Finding events and as AWS Security Finding Format,
 * through the API, each finding checked against the published schemas under
 * test/fixtures/schemas (see SOURCES.md there), on both database dialects.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScanEngine } from '../../src/matching/engine.js';
import { storeIndex } from '../../src/matching/store-index.js';
import { VulnDb } from '../../src/vulndb/store.js';
import { loadShapeModel, validateShape, type ShapeModel } from '../helpers/botocore-shapes.js';
import { validateOcsf } from '../helpers/ocsf-schema.js';
import { dialectCases } from '../helpers/postgres.js';
import { sharedVulnDb } from '../vulndb/shared-db.js';
import { npmInventory, startTestApp, type TestApp } from './harness.js';

const schemas = fileURLToPath(new URL('../fixtures/schemas/', import.meta.url));
const OCSF = `${schemas}ocsf`;
let securityHub: ShapeModel;

/** The parts of an exported event or finding the assertions read. */
interface OcsfEvent {
  status_id: number;
  class_uid: number;
  category_uid: number;
  metadata: { version: string };
  resources: { name: string }[];
  vulnerabilities: { cve: { uid: string } }[];
}
interface AsffFinding {
  Workflow: { Status: string };
}

describe('the schema validators', () => {
  beforeAll(() => {
    securityHub = loadShapeModel(`${schemas}securityhub-2018-10-26.service-2.json.gz`);
  });
  // Each validator must reject what the schema rejects, or the export tests below prove nothing.
  it('reject an AwsSecurityFinding missing a required member, with a bad enum or an unknown member', () => {
    expect(validateShape(securityHub, 'AwsSecurityFinding', {})).toEqual(
      expect.arrayContaining(['$.SchemaVersion: required by AwsSecurityFinding', '$.Resources: required by AwsSecurityFinding']),
    );
    expect(validateShape(securityHub, 'Severity', { Label: 'SEVERE' })[0]).toMatch(/is not one of INFORMATIONAL/);
    expect(validateShape(securityHub, 'Severity', { Colour: 'red' })).toEqual(['$.Colour: not a member of Severity']);
    expect(validateShape(securityHub, 'NonEmptyString', ' ')[0]).toMatch(/does not match/);
    expect(validateShape(securityHub, 'BatchImportFindingsRequest', { Findings: [] })[0]).toMatch(/below the minimum 1/);
  });
  it('reject an OCSF event missing finding_info, with a bad status or an unknown attribute', () => {
    const errors = validateOcsf(OCSF, 'events', 'vulnerability_finding', { class_uid: 2002, category_uid: 2, activity_id: 1, type_uid: 200201, status_id: 9, colour: 'red' });
    expect(errors).toEqual(
      expect.arrayContaining([
        '$.finding_info: required by base_event < finding < vulnerability_finding',
        '$.vulnerabilities: required by base_event < finding < vulnerability_finding',
        '$.metadata: required by base_event < finding < vulnerability_finding',
        '$.status_id: 9 is not among 1, 2, 3, 4, 5, 6',
        '$.colour: not an attribute of vulnerability_finding',
      ]),
    );
    expect(validateOcsf(OCSF, 'events', 'vulnerability_finding', { class_uid: 2001, category_uid: 2, activity_id: 1, type_uid: 200101 })).toContain('$.class_uid: 2001 is not category_uid × 1000 + 2');
    expect(validateOcsf(OCSF, 'objects', 'vulnerability', { title: 'x' })).toContain('$: needs at least one of cve, cwe (vulnerability)');
  });
  it('reject OCSF attributes of the wrong type, through the dictionary and its types, in nested objects and arrays', () => {
    const errors = validateOcsf(OCSF, 'events', 'vulnerability_finding', {
      time: '2026-12-01T00:00:00Z',
      message: 5,
      type_uid: 2.5,
      finding_info: { uid: 'f', title: 't', types: 'Vulnerability', created_time: 1.5 },
      vulnerabilities: [{ cve: { uid: 'CVE-1', cvss: [{ version: 3.1, base_score: '9.8' }], epss: { score: '0.5', percentile: '0.9' } }, is_fix_available: 'yes', references: ['x', 7] }],
      resources: { uid: 'r' },
      unmapped: 'loose',
    });
    expect(errors).toEqual(
      expect.arrayContaining([
        '$.time: "2026-12-01T00:00:00Z" is not an integer (long_t) as timestamp_t',
        '$.message: 5 is not a string (string_t)',
        '$.type_uid: 2.5 is not an integer (long_t)',
        '$.finding_info.types: expected an array of string_t',
        '$.finding_info.created_time: 1.5 is not an integer (long_t) as timestamp_t',
        '$.vulnerabilities[0].cve.cvss[0].version: 3.1 is not a string (string_t)',
        '$.vulnerabilities[0].cve.cvss[0].base_score: "9.8" is not a number (float_t)',
        '$.vulnerabilities[0].cve.epss.percentile: "0.9" is not a number (float_t)',
        '$.vulnerabilities[0].is_fix_available: "yes" is not a boolean (boolean_t)',
        '$.vulnerabilities[0].references[1]: 7 is not a string (string_t)',
        '$.resources: expected an array of resource_details',
        '$.unmapped: expected an object (object)',
      ]),
    );
    expect(validateOcsf(OCSF, 'objects', 'cve', { uid: 'CVE-1', colour: 'red' })).toContain('$.colour: the dictionary gives no type for colour');
  });
});

describe.each(dialectCases())('findings export formats on $name', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    securityHub ??= loadShapeModel(`${schemas}securityhub-2018-10-26.service-2.json.gz`);
    t = await startTestApp(dialect);
    const image = npmInventory('reg.example/shop/api@sha256:abc', 'registry', { repository: 'shop/api', digest: 'sha256:abc', tags: ['1.0'] });
    expect((await t.call(t.keys.acme.scanner, { method: 'POST', url: '/api/v1/scans', payload: { inventory: image } })).statusCode).toBe(201);
    const host = npmInventory('web-1');
    expect((await t.call(t.keys.acme.scanner, { method: 'POST', url: '/api/v1/scans', payload: { resource: { type: 'HOST', name: 'web-1' }, inventory: host } })).statusCode).toBe(201);
    // The host drops minimist: its finding closes, so every status mapping is exercised.
    const fixed = { ...host, packages: host.packages.filter((p) => p.name !== 'minimist') };
    expect((await t.call(t.keys.acme.scanner, { method: 'POST', url: '/api/v1/scans', payload: { resource: { type: 'HOST', name: 'web-1' }, inventory: fixed } })).statusCode).toBe(201);
    expect((await t.call(t.keys.globex.scanner, { method: 'POST', url: '/api/v1/scans', payload: { inventory: npmInventory('globex-box') } })).statusCode).toBe(201);
  });
  afterAll(async () => {
    await t?.close();
  });

  const exportAs = (payload: Record<string, unknown>, key = t.keys.acme.viewer) => t.call(key, { method: 'POST', url: '/api/v1/findings/export', payload });

  it('exports every finding in the scope as OCSF Vulnerability Finding events that the schema files accept', async () => {
    const res = await exportAs({ format: 'ocsf' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-disposition']).toMatch(/filename="vigil-findings-.*\.ocsf\.json"/);
    const events = res.json() as OcsfEvent[];
    expect(events).toHaveLength(4);
    for (const e of events) expect(validateOcsf(OCSF, 'events', 'vulnerability_finding', e)).toEqual([]);
    expect(events.every((e) => e.class_uid === 2002 && e.category_uid === 2 && e.metadata.version === '1.3.0')).toBe(true);
    // The accounts stay apart: globex's box is not in acme's export.
    expect(events.map((e) => e.resources[0].name).sort()).toEqual(['reg.example/shop/api@sha256:abc', 'reg.example/shop/api@sha256:abc', 'web-1', 'web-1']);
    const closed = events.find((e) => e.status_id === 4)!;
    expect(closed).toMatchObject({ activity_id: 3, type_uid: 200203, status: 'Resolved', vulnerabilities: [{ cve: { uid: 'CVE-2021-44906' }, affected_packages: [{ name: 'minimist', version: '1.2.0', purl: 'pkg:npm/minimist@1.2.0' }] }] });
    const lodash = events.find((e) => e.vulnerabilities[0].cve.uid === 'CVE-2020-8203')!;
    expect(lodash.vulnerabilities[0]).toMatchObject({ is_fix_available: true, remediation: { desc: 'Upgrade lodash to 4.17.19 or later.' }, related_vulnerabilities: ['GHSA-p6mc-m468-83gw'] });
  });

  it('exports with a filter as AwsSecurityFinding objects that the Security Hub model accepts', async () => {
    const res = await exportAs({
      format: 'asff',
      awsAccountId: '123456789012',
      awsRegion: 'eu-west-1',
      filterCriteria: { resourceType: [{ comparison: 'EQUALS', value: 'HOST' }] },
    });
    expect(res.statusCode).toBe(200);
    const findings = res.json() as AsffFinding[];
    expect(findings).toHaveLength(2);
    for (const f of findings) expect(validateShape(securityHub, 'AwsSecurityFinding', f)).toEqual([]);
    // What BatchImportFindings takes: at most 100 findings a call.
    expect(validateShape(securityHub, 'BatchImportFindingsRequest', { Findings: findings })).toEqual([]);
    expect(findings.map((f) => f.Workflow.Status).sort()).toEqual(['NEW', 'RESOLVED']);
    const closed = findings.find((f) => f.Workflow.Status === 'RESOLVED')!;
    expect(closed).toMatchObject({
      SchemaVersion: '2018-10-08',
      ProductArn: 'arn:aws:securityhub:eu-west-1:123456789012:product/123456789012/default',
      AwsAccountId: '123456789012',
      RecordState: 'ARCHIVED',
      Resources: [{ Type: 'Other', Id: 'web-1' }],
      Vulnerabilities: [{ Id: 'CVE-2021-44906', FixAvailable: 'YES', VulnerablePackages: [{ Name: 'minimist', Version: '1.2.0', PackageManager: 'NPM', FixedInVersion: '1.2.6' }] }],
    });
  });

  it('turns away an ASFF export without an AWS account and region, or with malformed ones', async () => {
    for (const payload of [{ format: 'asff' }, { format: 'asff', awsAccountId: '12345', awsRegion: 'eu-west-1' }, { format: 'asff', awsAccountId: '123456789012', awsRegion: 'Europe' }, { format: 'xml' }]) {
      const res = await exportAs(payload);
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    }
    expect((await exportAs({ format: 'asff' })).json().detail).toMatch(/awsAccountId and awsRegion/);
  });
});

// With the full shared advisory data the findings carry what the tiny set lacks (CVSS vectors,
// EPSS, descriptions), so every optional part of the event is typed against the dictionary.
describe('OCSF export of findings matched against the shared advisory data', () => {
  let t: TestApp;
  let vulndb: VulnDb;
  beforeAll(async () => {
    vulndb = new VulnDb((await sharedVulnDb()).path);
    t = await startTestApp(dialectCases()[0], { engine: createScanEngine(storeIndex(vulndb)) });
    expect((await t.call(t.keys.acme.scanner, { method: 'POST', url: '/api/v1/scans', payload: { resource: { type: 'REPOSITORY', name: 'shop' }, inventory: npmInventory('shop') } })).statusCode).toBe(201);
  }, 900_000);
  afterAll(async () => {
    await t?.close();
    vulndb?.close();
  });

  it('types every attribute, CVSS and EPSS included', async () => {
    const res = await t.call(t.keys.acme.viewer, { method: 'POST', url: '/api/v1/findings/export', payload: { format: 'ocsf' } });
    expect(res.statusCode).toBe(200);
    const events = res.json() as (OcsfEvent & { vulnerabilities: { cve: { cvss?: unknown[]; epss?: unknown } }[] })[];
    expect(events).toHaveLength(2);
    for (const e of events) expect(validateOcsf(OCSF, 'events', 'vulnerability_finding', e)).toEqual([]);
    expect(events.every((e) => e.vulnerabilities[0].cve.cvss?.length && e.vulnerabilities[0].cve.epss)).toBe(true);
  });
});
