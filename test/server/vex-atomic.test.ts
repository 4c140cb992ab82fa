/**
 * `POST /api/v1/vex` applies a document all or nothing, on both dialects: when the database
 * refuses the rule of its third statement (a trigger stands in for any write failure: a full
 * disk, a lost connection), the rule and suppression of the first statement and the note of
 * the second are gone too; with the trigger removed the same document applies whole.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialectCases } from '../helpers/postgres.js';
import { npmInventory, startTestApp, type TestApp } from './harness.js';

/** Not affected by lodash's CVE (a rule, a suppression), affected by minimist's (a note), not affected by express's (the refused rule). */
const document = {
  '@context': 'https://openvex.dev/ns/v0.2.0',
  '@id': 'https://vex.example/acme/atomic',
  author: 'Acme Product Security',
  timestamp: '2026-12-01T00:00:00Z',
  version: 1,
  statements: [
    { vulnerability: { name: 'CVE-2020-8203' }, products: [{ '@id': 'pkg:npm/lodash@4.17.15' }], status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path' },
    { vulnerability: { name: 'CVE-2021-44906' }, products: [{ '@id': 'pkg:npm/minimist@1.2.0' }], status: 'affected', action_statement: 'upgrade minimist' },
    { vulnerability: { name: 'CVE-2024-29041' }, products: [{ '@id': 'pkg:npm/express@4.17.1' }], status: 'not_affected', justification: 'component_not_present' },
  ],
};

describe.each(dialectCases())('VEX document applied all or nothing on $name', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(dialect);
    expect((await t.call(t.keys.acme.scanner, { method: 'POST', url: '/api/v1/scans', payload: { resource: { type: 'HOST', name: 'web-1' }, inventory: npmInventory('web-1') } })).statusCode).toBe(201);
    // The database refuses the rule the third statement makes.
    if (dialect.name === 'sqlite') {
      await sql`CREATE TRIGGER refuse_express_rule BEFORE INSERT ON suppression_rules WHEN NEW.name LIKE '%CVE-2024-29041%' BEGIN SELECT RAISE(ABORT, 'rule refused'); END`.execute(t.db.kysely);
    } else {
      await sql`CREATE FUNCTION refuse_rule() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'rule refused'; END $$`.execute(t.db.kysely);
      await sql`CREATE TRIGGER refuse_express_rule BEFORE INSERT ON suppression_rules FOR EACH ROW WHEN (NEW.name LIKE '%CVE-2024-29041%') EXECUTE FUNCTION refuse_rule()`.execute(t.db.kysely);
    }
  });
  afterAll(() => t?.close());

  const findings = async () =>
    (await t.call(t.keys.acme.viewer, { method: 'POST', url: '/api/v1/findings/search', payload: {} })).json().findings as { findingId: string; vulnerabilityId: string; status: string }[];
  const rules = async () => (await t.call(t.keys.acme.viewer, { method: 'GET', url: '/api/v1/suppression-rules' })).json().rules as { name: string }[];
  const notes = async (findingId: string) =>
    ((await t.call(t.keys.acme.viewer, { method: 'GET', url: `/api/v1/findings/${findingId}` })).json().timeline as { event: string }[]).filter((e) => e.event === 'NOTE').length;

  it('leaves no rule, suppression or note of earlier statements when a later one fails', async () => {
    const res = await t.call(t.keys.acme.admin, { method: 'POST', url: '/api/v1/vex', payload: document });
    expect(res.statusCode).toBe(500);
    expect(await rules()).toEqual([]);
    const all = await findings();
    expect(all.map((f) => [f.vulnerabilityId, f.status]).sort()).toEqual([
      ['CVE-2020-8203', 'ACTIVE'],
      ['CVE-2021-44906', 'ACTIVE'],
    ]);
    const minimist = all.find((f) => f.vulnerabilityId === 'CVE-2021-44906')!;
    expect(await notes(minimist.findingId)).toBe(0);
  });

  it('applies the same document whole once the database accepts it', async () => {
    await sql.raw(dialect.name === 'sqlite' ? 'DROP TRIGGER refuse_express_rule' : 'DROP TRIGGER refuse_express_rule ON suppression_rules').execute(t.db.kysely);
    const res = await t.call(t.keys.acme.admin, { method: 'POST', url: '/api/v1/vex', payload: document });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ suppressed: 1, notes: 1, unmatched: 1 });
    expect((await rules()).map((r) => r.name).sort()).toEqual(['VEX not_affected: CVE-2020-8203 in lodash', 'VEX not_affected: CVE-2024-29041 in express']);
    const all = await findings();
    expect(all.find((f) => f.vulnerabilityId === 'CVE-2020-8203')!.status).toBe('SUPPRESSED');
    expect(await notes(all.find((f) => f.vulnerabilityId === 'CVE-2021-44906')!.findingId)).toBe(1);
  });
});
