/**
 * The event relay keeps up with a backlog larger than its re-read overlap: a re-evaluation
 * that creates thousands of findings and stores thousands of scans within seconds gets
 * every `vigil.finding.created` and `vigil.scan.completed` published. The relay's queries
 * are the same on both dialects; SQLite keeps this burst fast.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/connect.js';
import { EventPublisher } from '../../src/events/publisher.js';
import { EventRelay } from '../../src/events/relay.js';
import { SubscriptionStore } from '../../src/events/subscriptions.js';
import { inventoryFacts, recordReevaluations, recordScan } from '../../src/findings/lifecycle.js';
import { SecretBox } from '../../src/registries/secret-box.js';
import { createAccount } from '../../src/server/accounts.js';
import { finding, inventory, pkg, result } from '../findings/fixtures.js';
import { dialectCases } from '../helpers/postgres.js';

describe.each(dialectCases().filter((d) => d.name === 'sqlite'))('event relay with a large backlog on $name', (dialect) => {
  let db: Db;
  let relay: EventRelay;
  beforeAll(async () => {
    db = await dialect.open();
    await createAccount(db, 'acme');
    relay = new EventRelay(db.kysely, new EventPublisher(db.kysely, new SubscriptionStore(db.kysely, new SecretBox(randomBytes(32)))));
  });
  afterAll(async () => {
    await db?.close();
  });

  const published = async (type: string) =>
    Number((await db.kysely.selectFrom('vigil_events' as never).select((eb) => eb.fn.countAll().as('n')).where('type' as never, '=', type as never).executeTakeFirstOrThrow()).n);

  it('publishes every finding event and scan of bursts beyond the overlap', async () => {
    // 1,500 findings created by one scan: more than a batch of 1,000 inside the 2,000-id overlap.
    const packages = Array.from({ length: 1500 }, (_, i) => pkg('npm', `p${i}`, '1.0.0'));
    const inv = inventory('big', packages);
    const rec = await recordScan(db, { accountId: 'acme', resource: { type: 'HOST', name: 'big' }, inventory: inv, result: result(inv, packages.map((p, i) => finding(`CVE-2026-${10000 + i}`, p))), trigger: 'SUBMITTED' });
    await relay.drain();
    expect(await published('vigil.finding.created')).toBe(1500);

    // 2,100 re-evaluation scans stored at one instant (the relay reads 2,000 scans at a time).
    const hosts = Array.from({ length: 2100 }, (_, i) => `r${i}`);
    for (let i = 0; i < hosts.length; i += 500) {
      await db.kysely
        .insertInto('resources')
        .values(hosts.slice(i, i + 500).map((id) => ({ id, account_id: 'acme', type: 'HOST', name: id, image_registry: null, image_repository: null, image_digest: null, image_tags: '[]', tags: '{}', os: null, created_at: 0, updated_at: 0, last_scan_at: null, last_scan_status: null, last_scan_error: null, inventory_version: 1 })))
        .execute();
    }
    const small = inventory('h', [pkg('npm', 'x', '1.0.0')]);
    const { records } = await recordReevaluations(
      db,
      hosts.map((id) => ({ resourceId: id, inventoryVersion: 1, inventory: inventoryFacts(small), result: result(small, []) })),
    );
    expect(records).toHaveLength(2100);
    const more = packages.slice(0, 10).map((p) => pkg('npm', `${p.name}-b`, '1.0.0'));
    const inv2 = inventory('big', [...packages, ...more]);
    await recordScan(db, { accountId: 'acme', resource: { id: rec.resource.id }, inventory: inv2, result: result(inv2, [...packages, ...more].map((p, i) => finding(`CVE-2026-${10000 + i}`, p))), trigger: 'SUBMITTED' });
    await relay.drain();
    expect(await published('vigil.finding.created')).toBe(1510);
    expect(await published('vigil.scan.completed')).toBe(2102);
  }, 120_000);
});
