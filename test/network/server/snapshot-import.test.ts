/**
 * The scheduled import of topology snapshots from a directory (`VIGIL_NETWORK_SNAPSHOT_DIR`,
 * the `network-import` job) on both dialects: one subdirectory per account, a new snapshot
 * only when its files changed, bad directories reported without stopping the others.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../../src/db/connect.js';
import { importSnapshotDirectories, refreshAccountNetwork } from '../../../src/network/server/service.js';
import { bootstrapOrganization, createAccount } from '../../../src/server/accounts.js';
import { dialectCases } from '../../helpers/postgres.js';

const lab = (port: number) => `
networks: [{ id: lab, cidrs: [10.0.0.0/24] }]
gateways: [{ id: edge, networks: [lab] }]
routeTables: [{ id: rt, network: lab, main: true, routes: [{ destination: 0.0.0.0/0, target: edge }] }]
subnets: [{ id: net, network: lab, cidrs: [10.0.0.0/24] }]
securityGroups: [{ id: sg, inbound: [{ protocol: tcp, ports: ${port}, source: 0.0.0.0/0 }] }]
instances:
  - id: box
    interfaces: [{ subnet: net, privateAddresses: [10.0.0.5], publicAddresses: [203.0.113.5], securityGroups: [sg] }]
    host: { listeners: [{ protocol: tcp, port: ${port}, address: 0.0.0.0, process: sshd }] }
`;

describe.each(dialectCases())('scheduled snapshot import on $name', (dialect) => {
  let db: Db;
  let root: string;
  beforeAll(async () => {
    db = await dialect.open();
    await bootstrapOrganization(db);
    await createAccount(db, 'acme');
    await createAccount(db, 'globex');
    await db.kysely
      .insertInto('resources')
      .values({ id: 'r-box', account_id: 'acme', type: 'HOST', name: 'box', image_registry: null, image_repository: null, image_digest: null, image_tags: '[]', tags: '{}', os: null, created_at: 1, updated_at: 1, last_scan_at: null, last_scan_status: null, last_scan_error: null, coverage_detail: null, inventory_version: 0 })
      .execute();
    root = mkdtempSync(join(tmpdir(), 'vigil-snapshots-'));
    mkdirSync(join(root, 'acme'));
    writeFileSync(join(root, 'acme', 'lab.yaml'), lab(22));
    mkdirSync(join(root, 'globex'));
    writeFileSync(join(root, 'globex', 'lab.yaml'), 'networks: [{ id: lab, cidrs: [10.0.0.0/99] }]');
    mkdirSync(join(root, 'initech'));
    writeFileSync(join(root, 'README.txt'), 'one directory per account');
  });
  afterAll(async () => {
    await db?.close();
    rmSync(root, { recursive: true, force: true });
  });

  /** The scheduled job queues the analysis (tested in analyses.test.ts); here it runs at once. */
  const analyse = (s: { account_id: string }) => refreshAccountNetwork(db, s.account_id, undefined);
  const networkFindings = () => db.kysely.selectFrom('findings').select(['vulnerability_id', 'status']).where('type', '=', 'NETWORK_REACHABILITY').orderBy('vulnerability_id').execute();

  it('imports each account directory, reporting the bad ones', async () => {
    const r = await importSnapshotDirectories(db, root, analyse);
    expect(r.imported).toEqual(['acme']);
    expect(r.failed).toEqual([
      { account: 'globex', error: expect.stringMatching(/^lab\.yaml: networks\[0\]\.cidrs\[0\]: .*10\.0\.0\.0\/99/) },
      { account: 'initech', error: 'no account initech: name each snapshot directory after an account id' },
    ]);
    const snapshots = await db.kysely.selectFrom('network_snapshots').selectAll().execute();
    expect(snapshots.map((s) => [s.account_id, s.format, s.source, s.exposure_count])).toEqual([['acme', 'yaml', `directory:${join(root, 'acme')}`, 1]]);
    expect(await networkFindings()).toEqual([{ vulnerability_id: 'tcp/22', status: 'ACTIVE' }]);
  });

  it('stores nothing for an unchanged directory, and a new snapshot when it changes', async () => {
    expect((await importSnapshotDirectories(db, root, analyse)).unchanged).toEqual(['acme']);
    expect(await db.kysely.selectFrom('network_snapshots').select('id').execute()).toHaveLength(1);
    writeFileSync(join(root, 'acme', 'lab.yaml'), lab(2222));
    expect((await importSnapshotDirectories(db, root, analyse)).imported).toEqual(['acme']);
    expect(await networkFindings()).toEqual([
      { vulnerability_id: 'tcp/22', status: 'CLOSED' },
      { vulnerability_id: 'tcp/2222', status: 'ACTIVE' },
    ]);
  });

  it('says when the directory does not exist', async () => {
    await expect(importSnapshotDirectories(db, join(root, 'missing'), analyse)).rejects.toThrow(/network snapshot directory .*missing does not exist/);
  });
});
