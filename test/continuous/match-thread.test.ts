/**
 * Re-evaluation's matching in a worker thread: the worker opens the job's advisory database
 * file and gives exactly the results matching on the job's thread gives; a bad inventory, a
 * stopped worker and an abort end the job with an error instead of a hang.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Db } from '../../src/db/connect.js';
import { packageIndexKey } from '../../src/findings/inventories.js';
import { recordScan } from '../../src/findings/lifecycle.js';
import type { Inventory } from '../../src/inventory/types.js';
import { AdvisoryEngine } from '../../src/jobs/engine.js';
import { reevaluate } from '../../src/jobs/handlers.js';
import { MatchThread } from '../../src/jobs/match-thread.js';
import { matchStored, type StoredInventory } from '../../src/jobs/stored-match.js';
import { createAccount } from '../../src/server/accounts.js';
import { updateVulnDb } from '../../src/vulndb/update.js';
import { dialectCases } from '../helpers/postgres.js';
import { debianAdvisory, host, libssl, npm, npmAdvisory, writeAdvisories } from './fixtures.js';

const T0 = Date.UTC(2026, 10, 1);

/** Twelve hosts holding different mixes of the advisories' packages. */
function hosts(): Inventory[] {
  return Array.from({ length: 12 }, (_, i) =>
    host(`host-${i}`, [libssl, ...(i % 2 ? [npm('lodash', '4.17.20')] : []), ...(i % 3 ? [npm('minimist', '1.2.0')] : []), ...(i % 4 === 0 ? [npm('express', '4.0.0')] : [])]),
  );
}

let dir: string;
let engine: AdvisoryEngine;
const osvDir = () => join(dir, 'osv');
const vulndb = () => join(dir, 'vulndb.sqlite');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-match-thread-'));
  writeAdvisories(osvDir(), [
    // A distro advisory matched through the binary package's source name.
    debianAdvisory('DSA-9001-1', 'CVE-2026-9001', 'openssl', '3.0.13-1~deb12u1'),
    // Two npm advisories scored from their vectors, one of them critical.
    npmAdvisory('NPM-1', 'CVE-2026-1001', 'lodash', '4.17.21', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'),
    npmAdvisory('NPM-2', 'CVE-2026-1002', 'minimist', '1.2.6'),
  ]);
  await updateVulnDb({ dbPath: vulndb(), sources: [`osv=${osvDir()}`] });
  engine = new AdvisoryEngine(vulndb());
});
afterAll(() => {
  engine?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the matching worker', () => {
  const stored = (inv: Inventory, i: number, keys?: string[]): StoredInventory => ({
    resourceId: `res-${i}`,
    inventoryVersion: 1,
    inventory: JSON.stringify(inv),
    // Reachability lowers scores: the context must reach the worker.
    context: i % 5 === 0 ? { internetReachable: false, reachabilityReason: 'no path from the internet' } : {},
    ...(keys ? { keys: new Set(keys) } : {}),
  });

  it('gives exactly the results of matching on this thread, whole inventories and changed packages alone', async () => {
    const items = [...hosts().map((inv, i) => stored(inv, i)), ...hosts().map((inv, i) => stored(inv, 100 + i, [packageIndexKey('npm', 'lodash'), packageIndexKey('Debian:12', 'openssl')]))];
    const here = items.map((item) => matchStored(engine.current(), item));
    expect(here.flatMap((r) => r.result.findings).length).toBeGreaterThan(24);
    expect(here.some((r) => r.result.findings.some((f) => f.adjustments.length > 0))).toBe(true);
    const thread = await MatchThread.start(engine.current().source!);
    try {
      const [first, second] = await Promise.all([thread.match(items.slice(0, 7)), thread.match(items.slice(7))]);
      expect([...first!, ...second!]).toStrictEqual(here);
    } finally {
      await thread.close();
    }
  });

  it('takes inventories as UTF-8 bytes, moved to the worker rather than copied', async () => {
    const text = hosts().map((inv, i) => stored(inv, i));
    const here = text.map((item) => matchStored(engine.current(), item));
    const bytes = () => text.map((item) => ({ ...item, inventory: new TextEncoder().encode(item.inventory as string) }));
    expect(bytes().map((item) => matchStored(engine.current(), item))).toStrictEqual(here);
    const thread = await MatchThread.start(engine.current().source!);
    try {
      const items = bytes();
      const results = thread.match(items);
      // Transferred: this thread's views of the buffers are empty once the batch is sent.
      expect(items.map((item) => (item.inventory as Uint8Array).byteLength)).toEqual(items.map(() => 0));
      expect(await results).toStrictEqual(here);
      const invalid = { ...stored(hosts()[0]!, 9), inventory: Uint8Array.of(0x7b, 0xff, 0x7d) };
      await expect(thread.match([invalid])).rejects.toThrow(/^stored inventory 1 of resource res-9 could not be matched: .*(encoded|decode)/);
    } finally {
      await thread.close();
    }
  });

  it('names the resource whose stored inventory is not JSON, and matches on afterwards', async () => {
    const thread = await MatchThread.start(engine.current().source!);
    try {
      const bad = { ...stored(hosts()[0]!, 7), inventory: '{"schemaVersion": 1, "packages": [' };
      await expect(thread.match([stored(hosts()[1]!, 6), bad])).rejects.toThrow(/^stored inventory 1 of resource res-7 could not be matched: .*JSON/);
      expect(() => matchStored(engine.current(), bad)).toThrow(/^stored inventory 1 of resource res-7 could not be matched: .*JSON/);
      expect(await thread.match([stored(hosts()[1]!, 6)])).toHaveLength(1);
    } finally {
      await thread.close();
    }
  });

  it('rejects the batches waiting when the worker stops, naming their resources', async () => {
    const thread = await MatchThread.start(engine.current().source!);
    const waiting = thread.match(hosts().map((inv, i) => stored(inv, i)));
    thread.stop();
    await expect(waiting).rejects.toThrow(/^matching worker stopped \(exit code 1\) while matching the stored inventories of 12 resources \(res-0 … res-11\)/);
    await expect(thread.match([stored(hosts()[0]!, 0)])).rejects.toThrow(/matching worker stopped/);
  });

  it('stops when the job is aborted', async () => {
    const ac = new AbortController();
    const thread = await MatchThread.start(engine.current().source!, ac.signal);
    const waiting = thread.match(hosts().map((inv, i) => stored(inv, i)));
    ac.abort(new Error('job expired'));
    await expect(waiting).rejects.toThrow('job expired');
    await thread.close();
  });

  it('will not start on another file than the engine reads', async () => {
    const source = engine.current().source!;
    await expect(MatchThread.start({ ...source, identity: '1:2:3' })).rejects.toThrow(/advisory database .* was replaced/);
    await expect(MatchThread.start({ path: join(dir, 'absent.sqlite'), identity: '1:2:3' })).rejects.toThrow(/absent\.sqlite/);
  });
});

describe.each(dialectCases())('re-evaluation with a matching worker on $name', (dialect) => {
  const dbs: Db[] = [];

  async function seed(): Promise<{ db: Db; ids: string[] }> {
    const db = await dialect.open();
    dbs.push(db);
    await createAccount(db, 'acme');
    const ids: string[] = [];
    for (const inv of hosts()) {
      ids.push((await recordScan(db, { accountId: 'acme', resource: { type: 'HOST', name: inv.target.name }, inventory: inv, result: { ...engine.current()(inv, {}), findings: [] }, trigger: 'SUBMITTED', at: T0 })).resource.id);
    }
    return { db, ids };
  }

  /** Every finding and re-evaluation scan, by host name, without ids or times. */
  async function outcome(db: Db) {
    const findings = await db.kysely
      .selectFrom('findings as f')
      .innerJoin('resources as r', 'r.id', 'f.resource_id')
      .select(['r.name', 'f.package_name', 'f.vulnerability_id', 'f.status', 'f.score', 'f.severity', 'f.fixed_version', 'f.fix_available', 'f.exploited', 'f.detail'])
      .orderBy('r.name')
      .orderBy('f.vulnerability_id')
      .execute();
    const scans = await db.kysely.selectFrom('scans as s').innerJoin('resources as r', 'r.id', 's.resource_id').select(['r.name', 's.finding_count', 's.package_count', 's.status']).where('s.trigger', '=', 'REEVALUATION').orderBy('r.name').execute();
    return { findings, scans };
  }

  afterAll(async () => {
    for (const db of dbs) await db.close();
  });

  it('stores the same findings and scans as matching on the job thread, in many batches', async () => {
    const [inWorker, inThread] = [await seed(), await seed()];
    const viaWorker = await reevaluate({ db: inWorker.db, engine: () => engine.current() }, { resourceIds: inWorker.ids }, undefined, { match: 2, store: 3, workerFrom: 0 });
    const here = await reevaluate({ db: inThread.db, engine: () => engine.current() }, { resourceIds: inThread.ids }, undefined, { match: 2, store: 3, workerFrom: Infinity });
    expect([viaWorker.worker, here.worker]).toEqual([true, false]);
    // The worker matched some batches; the job thread may have matched others itself while
    // waiting (how many depends on timing), and the outcome must be the same whatever the mix.
    expect(viaWorker.matchedHere).toBeLessThan(viaWorker.reevaluated);
    const counts = (s: typeof here) => ({ reevaluated: s.reevaluated, skipped: s.skipped, created: s.created, updated: s.updated, closed: s.closed });
    expect(counts(viaWorker)).toEqual(counts(here));
    expect(here.created).toBeGreaterThan(12);
    const [a, b] = [await outcome(inWorker.db), await outcome(inThread.db)];
    expect(a.scans).toHaveLength(12);
    expect(a).toEqual(b);
  });

  it('fails the job naming the resource whose stored inventory is broken', async () => {
    const { db, ids } = await seed();
    await db.kysely.updateTable('inventories').set({ inventory: 'not json' }).where('resource_id', '=', ids[5]!).execute();
    for (const workerFrom of [0, Infinity]) {
      await expect(reevaluate({ db, engine: () => engine.current() }, { resourceIds: ids }, undefined, { match: 2, store: 3, workerFrom })).rejects.toThrow(`stored inventory 1 of resource ${ids[5]} could not be matched`);
    }
  });

  it('follows VIGIL_MATCH_WORKER_FROM whatever the load when the job names no threshold', async () => {
    const { db, ids } = await seed();
    const used = [];
    try {
      for (const setting of ['12', '13', 'off']) {
        vi.stubEnv('VIGIL_MATCH_WORKER_FROM', setting);
        used.push((await reevaluate({ db, engine: () => engine.current() }, { resourceIds: ids })).worker);
      }
    } finally {
      vi.unstubAllEnvs();
    }
    // Twelve candidates: from 12 yes, from 13 no, off no.
    expect(used).toEqual([true, false, false]);
  });

  it('stops when aborted', async () => {
    const { db, ids } = await seed();
    const ac = new AbortController();
    const job = reevaluate({ db, engine: () => engine.current() }, { resourceIds: ids }, ac.signal, { match: 1, store: 1, workerFrom: 0 });
    ac.abort(new Error('job expired'));
    await expect(job).rejects.toThrow('job expired');
  });
});
