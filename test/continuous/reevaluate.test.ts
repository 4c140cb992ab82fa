/**
 * Re-evaluation after an advisory update, on SQLite and PostgreSQL: the inverted index picks
 * the resources holding changed packages, only those packages are matched again, and their
 * findings are created, updated or closed in batches — with the same outcome as re-matching
 * every inventory whole.
 */
import { mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/connect.js';
import { packagesUnderKeys, packageIndexKey, resourcesHoldingKeys } from '../../src/findings/inventories.js';
import { inventoryFacts, recordReevaluations, recordScan } from '../../src/findings/lifecycle.js';
import type { Inventory } from '../../src/inventory/types.js';
import { AdvisoryEngine } from '../../src/jobs/engine.js';
import { reevaluate } from '../../src/jobs/handlers.js';
import { createAccount } from '../../src/server/accounts.js';
import { changesSince, updateVulnDb } from '../../src/vulndb/update.js';
import { dialectCases } from '../helpers/postgres.js';
import { debianAdvisory, host, libssl, npm, npmAdvisory, writeAdvisories } from './fixtures.js';

const T0 = Date.UTC(2026, 10, 1);

describe('packages under index keys', () => {
  it.each([
    { scenario: 'a binary package through its source name', keys: ['Debian:12\u0000openssl'], expected: ['libssl3'] },
    { scenario: 'a language package by its normalised name', keys: ['npm\u0000lodash'], expected: ['lodash'] },
    { scenario: 'nothing for a key of another release', keys: ['Debian:11\u0000openssl'], expected: [] },
  ])('selects $scenario', ({ keys, expected }) => {
    const inv = host('h', [libssl, npm('lodash', '4.17.20'), npm('minimist', '1.2.0')]);
    expect(packagesUnderKeys(inv, new Set(keys)).map((p) => p.name)).toEqual(expected);
  });

  it('files a language package without an ecosystem under its PURL type, as matching does', () => {
    const bare = { ...npm('lodash', '4.17.20'), ecosystem: '' };
    expect(packagesUnderKeys(host('h', [bare]), new Set([packageIndexKey('npm', 'lodash')])).map((p) => p.name)).toEqual(['lodash']);
  });
});

describe.each(dialectCases())('re-evaluation after an advisory update on $name', (dialect) => {
  let db: Db;
  let dir: string;
  let engine: AdvisoryEngine;
  const osvDir = () => join(dir, 'osv');
  const vulndb = () => join(dir, 'vulndb.sqlite');
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-reevaluate-'));
    writeAdvisories(osvDir(), [
      debianAdvisory('DSA-9001-1', 'CVE-2026-9001', 'openssl', '3.0.13-1~deb12u1'),
      npmAdvisory('NPM-1', 'CVE-2026-1001', 'lodash', '4.17.21'),
      npmAdvisory('NPM-3', 'CVE-2026-1003', 'express', '4.1.0'),
    ]);
    await updateVulnDb({ dbPath: vulndb(), sources: [`osv=${osvDir()}`] });
    engine = new AdvisoryEngine(vulndb());
    db = await dialect.open();
    await createAccount(db, 'acme');
    const inventories: [string, Inventory, Record<string, string>?][] = [
      ['web-1', host('web-1', [libssl, npm('lodash', '4.17.20'), npm('minimist', '1.2.0'), npm('express', '4.0.0')])],
      ['web-2', host('web-2', [npm('minimist', '1.2.0'), npm('express', '4.0.0')])],
      ['quiet', host('quiet', [npm('left-pad', '1.0.0')])],
      ['excluded', host('excluded', [npm('minimist', '1.2.0')]), { 'vigil:exclude': 'true' }],
    ];
    for (const [name, inv, tags] of inventories) {
      const rec = await recordScan(db, { accountId: 'acme', resource: { type: 'HOST', name, ...(tags ? { tags } : {}) }, inventory: inv, result: engine.current()(inv, {}), trigger: 'SUBMITTED', at: T0 });
      ids[name] = rec.resource.id;
    }
  });
  afterAll(async () => {
    engine?.close();
    await db?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const findingsOf = (resourceId: string) =>
    db.kysely.selectFrom('findings').selectAll().where('resource_id', '=', resourceId).orderBy('vulnerability_id').execute();

  it('re-matches only the changed packages of the resources holding them: creates, updates, closes, leaves the rest', async () => {
    // Stamps of this process's updates, so exactly the changes from here on.
    const since = new Date();
    // minimist gets its first advisory, lodash's is re-scored, openssl's is removed.
    writeAdvisories(osvDir(), [npmAdvisory('NPM-2', 'CVE-2026-1002', 'minimist', '1.2.6'), npmAdvisory('NPM-1', 'CVE-2026-1001', 'lodash', '4.17.21', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H')]);
    unlinkSync(join(osvDir(), 'DSA-9001-1.json'));
    await updateVulnDb({ dbPath: vulndb(), sources: [`osv=${osvDir()}`] });
    const changed = changesSince(vulndb(), since);
    expect(changed).toEqual(expect.arrayContaining([{ ecosystem: 'npm', name: 'minimist' }, { ecosystem: 'npm', name: 'lodash' }, { ecosystem: 'Debian:12', name: 'openssl' }]));

    const holding = await resourcesHoldingKeys(db, changed);
    expect([...holding.keys()].sort()).toEqual([ids['web-1'], ids['web-2'], ids.excluded].sort());
    expect([...holding.get(ids['web-1'])!].sort()).toEqual(['Debian:12\u0000openssl', 'npm\u0000lodash', 'npm\u0000minimist']);
    // A change named without a release reaches every release the index holds.
    expect([...(await resourcesHoldingKeys(db, [{ ecosystem: 'Debian', name: 'openssl' }])).keys()]).toEqual([ids['web-1']]);
    expect([...(await resourcesHoldingKeys(db, [{ ecosystem: 'Debian:11', name: 'openssl' }])).keys()]).toEqual([]);

    const stats = await reevaluate({ db, engine: () => engine.current() }, { changed });
    expect(stats).toMatchObject({ candidates: 3, reevaluated: 2, skipped: 1, created: 2, updated: 1, closed: 1 });

    const web1 = await findingsOf(ids['web-1']);
    expect(web1.map((f) => [f.vulnerability_id, f.package_name, f.status])).toEqual([
      ['CVE-2026-1001', 'lodash', 'ACTIVE'],
      ['CVE-2026-1002', 'minimist', 'ACTIVE'],
      ['CVE-2026-1003', 'express', 'ACTIVE'],
      ['CVE-2026-9001', 'libssl3', 'CLOSED'],
    ]);
    const byVuln = Object.fromEntries(web1.map((f) => [f.vulnerability_id, f]));
    expect(byVuln['CVE-2026-1001'].severity).toBe('CRITICAL');
    // express was not matched again: its finding is exactly as the submitted scan left it.
    expect(byVuln['CVE-2026-1003'].last_observed_at).toBe(T0);
    expect(byVuln['CVE-2026-1001'].last_observed_at).toBeGreaterThan(T0);

    const timeline = await db.kysely.selectFrom('finding_events').select(['finding_id', 'event']).where('finding_id', 'in', web1.map((f) => f.id)).where('at', '>', T0).execute();
    expect(timeline.map((e) => e.event).sort()).toEqual(['CLOSED', 'CREATED', 'UPDATED']);

    const scans = await db.kysely.selectFrom('scans').selectAll().where('trigger', '=', 'REEVALUATION').orderBy('resource_id').execute();
    expect(scans.map((s) => [s.resource_id, s.finding_count, s.package_count, s.inventory_version]).sort()).toEqual(
      [
        [ids['web-1'], 3, 4, 1],
        [ids['web-2'], 2, 2, 1],
      ].sort(),
    );
    expect((await findingsOf(ids.excluded)).map((f) => f.vulnerability_id)).toEqual([]);
    // Nobody saw the hosts: their coverage periods end at the submitted scan.
    const coverage = await db.kysely.selectFrom('host_coverage').select(['last_seen_at']).where('resource_id', '=', ids['web-1']).execute();
    expect(coverage.map((c) => c.last_seen_at)).toEqual([T0]);
  });

  it('agrees with re-matching every inventory whole', async () => {
    const before = await db.kysely.selectFrom('findings').select(['id', 'status', 'score', 'severity', 'fixed_version']).orderBy('id').execute();
    const all = Object.values(ids);
    const stats = await reevaluate({ db, engine: () => engine.current() }, { resourceIds: all });
    expect(stats).toMatchObject({ candidates: 4, reevaluated: 3, skipped: 1, created: 0, updated: 0, closed: 0 });
    const after = await db.kysely.selectFrom('findings').select(['id', 'status', 'score', 'severity', 'fixed_version']).orderBy('id').execute();
    expect(after).toEqual(before);
  });

  it('reopens a finding whose advisory comes back, and skips a resource given a newer inventory meanwhile', async () => {
    // Stamps of this process's updates, so exactly the changes from here on.
    const since = new Date();
    writeAdvisories(osvDir(), [debianAdvisory('DSA-9001-1', 'CVE-2026-9001', 'openssl', '3.0.13-1~deb12u1')]);
    await updateVulnDb({ dbPath: vulndb(), sources: [`osv=${osvDir()}`] });
    const stats = await reevaluate({ db, engine: () => engine.current() }, { changed: changesSince(vulndb(), since) });
    expect(stats).toMatchObject({ reevaluated: 1, created: 1, closed: 0 });
    const openssl = (await findingsOf(ids['web-1'])).find((f) => f.vulnerability_id === 'CVE-2026-9001')!;
    expect(openssl.status).toBe('ACTIVE');
    const events = await db.kysely.selectFrom('finding_events').select('event').where('finding_id', '=', openssl.id).orderBy('id').execute();
    expect(events.map((e) => e.event)).toEqual(['CREATED', 'CLOSED', 'REOPENED']);

    const inv = host('web-2', [npm('express', '4.1.0')]);
    await recordScan(db, { accountId: 'acme', resource: { id: ids['web-2'] }, inventory: inv, result: engine.current()(inv, {}), trigger: 'SUBMITTED' });
    const { records, stale } = await recordReevaluations(db, [{ resourceId: ids['web-2'], inventoryVersion: 1, inventory: inventoryFacts(inv), result: engine.current()(inv, {}) }]);
    expect(records).toEqual([]);
    expect(stale).toEqual([ids['web-2']]);
  });
});

describe.each(dialectCases())('re-evaluation of a host whose release has no data on $name', (dialect) => {
  let db: Db;
  let dir: string;
  let engine: AdvisoryEngine;
  afterAll(async () => {
    engine?.close();
    await db?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps it UNSUPPORTED_OS, with the detail naming the release, when only a language package is matched again', async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-reevaluate-coverage-'));
    const osvDir = join(dir, 'osv');
    const vulndb = join(dir, 'vulndb.sqlite');
    writeAdvisories(osvDir, [debianAdvisory('DSA-9001-1', 'CVE-2026-9001', 'openssl', '3.0.13-1~deb12u1'), npmAdvisory('NPM-1', 'CVE-2026-1001', 'lodash', '4.17.21')]);
    await updateVulnDb({ dbPath: vulndb, sources: [`osv=${osvDir}`] });
    engine = new AdvisoryEngine(vulndb);
    db = await dialect.open();
    await createAccount(db, 'acme');
    // Debian 11 is a release the database holds no record of.
    const bullseye: Inventory = { ...host('bullseye', [{ ...libssl, ecosystem: 'Debian:11', version: '1.1.1n-0+deb11u5' }, npm('lodash', '4.17.20')]), os: { id: 'debian', ecosystem: 'Debian:11', versionId: '11' } };
    const submitted = engine.current()(bullseye, {});
    const { resource } = await recordScan(db, { accountId: 'acme', resource: { type: 'HOST', name: 'bullseye' }, inventory: bullseye, result: submitted, trigger: 'SUBMITTED', at: T0 });
    const statusOf = () => db.kysely.selectFrom('resources').select(['last_scan_status', 'coverage_detail']).where('id', '=', resource.id).executeTakeFirstOrThrow();
    const before = await statusOf();
    expect(before.last_scan_status).toBe('UNSUPPORTED_OS');
    expect(before.coverage_detail).toContain('Debian:11');

    const since = new Date();
    writeAdvisories(osvDir, [npmAdvisory('NPM-1', 'CVE-2026-1001', 'lodash', '4.17.21', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H')]);
    await updateVulnDb({ dbPath: vulndb, sources: [`osv=${osvDir}`] });
    const stats = await reevaluate({ db, engine: () => engine.current() }, { changed: changesSince(vulndb, since) });
    expect(stats).toMatchObject({ reevaluated: 1, updated: 1 });
    expect(await statusOf()).toEqual(before);
  });
});

describe.each(dialectCases())('re-evaluation in many small batches on $name', (dialect) => {
  let dir: string;
  let engine: AdvisoryEngine;
  const dbs: Db[] = [];
  const osvDir = () => join(dir, 'osv');
  const vulndb = () => join(dir, 'vulndb.sqlite');

  /** Ten hosts holding different mixes of the advisories' packages, scanned against the first advisory set. */
  async function seed(db: Db): Promise<string[]> {
    await createAccount(db, 'acme');
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const packages = [libssl, ...(i % 2 ? [npm('lodash', '4.17.20')] : []), ...(i % 3 ? [npm('minimist', '1.2.0')] : []), ...(i % 4 === 0 ? [npm('express', '4.0.0')] : [])];
      const inv = host(`host-${i}`, packages);
      ids.push((await recordScan(db, { accountId: 'acme', resource: { type: 'HOST', name: `host-${i}` }, inventory: inv, result: engine.current()(inv, {}), trigger: 'SUBMITTED', at: T0 })).resource.id);
    }
    return ids;
  }

  /** Every finding and re-evaluation scan, by host name, without ids or times. */
  async function outcome(db: Db) {
    const findings = await db.kysely
      .selectFrom('findings as f')
      .innerJoin('resources as r', 'r.id', 'f.resource_id')
      .select(['r.name', 'f.package_name', 'f.vulnerability_id', 'f.status', 'f.score', 'f.severity', 'f.fixed_version'])
      .orderBy('r.name')
      .orderBy('f.vulnerability_id')
      .execute();
    const scans = await db.kysely.selectFrom('scans as s').innerJoin('resources as r', 'r.id', 's.resource_id').select(['r.name', 's.finding_count', 's.package_count']).where('s.trigger', '=', 'REEVALUATION').orderBy('r.name').execute();
    return { findings, scans };
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-reevaluate-batches-'));
    writeAdvisories(osvDir(), [debianAdvisory('DSA-9001-1', 'CVE-2026-9001', 'openssl', '3.0.13-1~deb12u1'), npmAdvisory('NPM-1', 'CVE-2026-1001', 'lodash', '4.17.21')]);
    await updateVulnDb({ dbPath: vulndb(), sources: [`osv=${osvDir()}`] });
    engine = new AdvisoryEngine(vulndb());
  });
  afterAll(async () => {
    engine?.close();
    for (const db of dbs) await db.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('stores the same findings and scans as in one batch', async () => {
    const small = await dialect.open();
    dbs.push(small);
    const whole = await dialect.open();
    dbs.push(whole);
    const [smallIds, wholeIds] = [await seed(small), await seed(whole)];
    // minimist and express get their first advisories, lodash's is re-scored, openssl's is removed.
    writeAdvisories(osvDir(), [
      npmAdvisory('NPM-2', 'CVE-2026-1002', 'minimist', '1.2.6'),
      npmAdvisory('NPM-3', 'CVE-2026-1003', 'express', '4.1.0'),
      npmAdvisory('NPM-1', 'CVE-2026-1001', 'lodash', '4.17.21', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'),
    ]);
    unlinkSync(join(osvDir(), 'DSA-9001-1.json'));
    await updateVulnDb({ dbPath: vulndb(), sources: [`osv=${osvDir()}`] });

    // Batches of 2 and 3 resources split ten into five reads and four transactions.
    const inSmall = await reevaluate({ db: small, engine: () => engine.current() }, { resourceIds: smallIds }, undefined, { match: 2, store: 3 });
    const inWhole = await reevaluate({ db: whole, engine: () => engine.current() }, { resourceIds: wholeIds });
    const counts = (s: typeof inSmall) => ({ reevaluated: s.reevaluated, skipped: s.skipped, created: s.created, updated: s.updated, closed: s.closed });
    expect(counts(inSmall)).toEqual({ reevaluated: 10, skipped: 0, created: 9, updated: 5, closed: 10 });
    expect(counts(inWhole)).toEqual(counts(inSmall));
    const [a, b] = [await outcome(small), await outcome(whole)];
    expect(a.scans).toHaveLength(10);
    expect(a.findings.filter((f) => f.status === 'CLOSED')).toHaveLength(10);
    expect(a).toEqual(b);
  });

  it('fails the job when a transaction fails, leaving none running after it', async () => {
    const db = await dialect.open();
    dbs.push(db);
    const ids = [...(await seed(db))].sort();
    // The second transaction of three resources (ids 3–5) fails on its scan rows.
    const refused = ids[4]!;
    if (dialect.name === 'sqlite') {
      await sql.raw(`CREATE TRIGGER refuse BEFORE INSERT ON scans WHEN NEW.resource_id = '${refused}' AND NEW.trigger = 'REEVALUATION' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`).execute(db.kysely);
    } else {
      // The first transaction is slowed down, so it is still open when the second fails.
      await sql
        .raw(
          `CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.trigger = 'REEVALUATION' AND NEW.resource_id = '${ids[0]}' THEN PERFORM pg_sleep(0.5); END IF; ` +
            `IF NEW.resource_id = '${refused}' AND NEW.trigger = 'REEVALUATION' THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$`,
        )
        .execute(db.kysely);
      await sql.raw('CREATE TRIGGER refuse BEFORE INSERT ON scans FOR EACH ROW EXECUTE FUNCTION refuse()').execute(db.kysely);
    }
    const reevaluated = async () =>
      (await db.kysely.selectFrom('scans').select('resource_id').where('trigger', '=', 'REEVALUATION').orderBy('resource_id').execute()).map((r) => r.resource_id);
    // One read per transaction, so that each holds the same three resources whatever order a read returns them in.
    await expect(reevaluate({ db, engine: () => engine.current() }, { resourceIds: ids }, undefined, { match: 3, store: 3 })).rejects.toThrow('refused by the test');
    const after = await reevaluated();
    // The first transaction committed, the failed one rolled back whole; on PostgreSQL a third
    // may have started beside the second and committed too.
    expect(after.slice(0, 3)).toEqual(ids.slice(0, 3));
    expect(after).not.toContain(ids[3]);
    expect(after).not.toContain(refused);
    expect(after).not.toContain(ids[5]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await reevaluated()).toEqual(after);
  });
});
