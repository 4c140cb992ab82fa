/**
 * The store's per-ecosystem coverage: counted at each update (records, withdrawn, package
 * names, sources, newest record, source change), read back by `coverage()` and `status()`,
 * and counted on the fly for a file written before the `coverage` table existed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { VulnDb, VulnDbWriter } from '../../src/vulndb/store.js';
import { advisory } from '../helpers/tiny-advisory-db.js';

const work = mkdtempSync(join(tmpdir(), 'vigil-coverage-counts-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function build(path: string): void {
  const w = new VulnDbWriter(path);
  const osv = w.startSource('osv-Debian', 'osv', 'declared');
  // Two records for one release, one of them naming two packages; one withdrawn.
  osv.add({ type: 'advisory', record: advisory('DSA-1', 'Debian:12', 'openssl', [[{ introduced: '0' }, { fixed: '3.0.13-1' }]], { modified: '2026-01-02T00:00:00Z', affected: [{ package: { ecosystem: 'Debian:12', name: 'curl' } }] }) });
  osv.add({ type: 'advisory', record: advisory('DSA-2', 'Debian:12', 'openssl', [[{ introduced: '0' }, { fixed: '3.0.14-1' }]], { modified: '2026-03-04T00:00:00Z', withdrawn: '2026-03-05T00:00:00Z' }) });
  osv.commit(undefined);
  const tracker = w.startSource('debian', 'debian', 'declared');
  // Another source for the same release, and an older release of its own.
  tracker.add({ type: 'advisory', record: advisory('DLA-1', 'Debian:12', 'zlib', [[{ introduced: '0' }, { fixed: '1.3' }]], { modified: '2025-12-01T00:00:00Z' }) });
  tracker.add({ type: 'advisory', record: advisory('DLA-2', 'Debian:10', 'zlib', [[{ introduced: '0' }, { fixed: '1.2' }]], { modified: '2024-01-01T00:00:00Z' }) });
  tracker.commit(undefined);
  w.finish({});
}

describe('coverage counts', () => {
  const path = join(work, 'db.sqlite');
  build(path);

  it('are stored at the update and read per ecosystem and release', async () => {
    const db = new VulnDb(path);
    try {
      const c = db.coverage();
      expect(c.map(({ changedAt, ...rest }) => ({ ...rest, changed: typeof changedAt }))).toEqual([
        { ecosystem: 'Debian:10', advisories: 1, withdrawn: 0, packages: 1, sources: ['debian'], newestModified: '2024-01-01T00:00:00Z', changed: 'string' },
        { ecosystem: 'Debian:12', advisories: 3, withdrawn: 1, packages: 3, sources: ['debian', 'osv-Debian'], newestModified: '2026-03-04T00:00:00Z', changed: 'string' },
      ]);
      const sources = Object.fromEntries(db.sources().map((s) => [s.name, s.changedAt]));
      // The newer of the two sources' changes.
      expect(c[1].changedAt).toBe([sources.debian, sources['osv-Debian']].sort().at(-1));
      expect((await db.status()).ecosystems).toEqual(c);
    } finally {
      db.close();
    }
  });

  it('are counted on the fly for a file written before the coverage table', () => {
    const before = new VulnDb(path);
    const stored = before.coverage();
    before.close();
    const raw = new Database(path);
    raw.exec('DROP TABLE coverage');
    raw.close();
    const db = new VulnDb(path);
    try {
      expect(db.coverage()).toEqual(stored);
    } finally {
      db.close();
    }
  });
});
