/**
 * The filter of packages with advisories: it never says "absent" for a key it holds (on its
 * own and for every package of the full shared import), rarely says "maybe" for one it does
 * not, and a reader trusts it only for the build it was written with.
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filterKey, PackageFilter } from '../../src/vulndb/package-filter.js';
import { VulnDb } from '../../src/vulndb/store.js';
import { sharedVulnDb } from './shared-db.js';

describe('PackageFilter', () => {
  const held = Array.from({ length: 20_000 }, (_, i) => filterKey('npm', `package-${i}`));
  const filter = PackageFilter.build(held);

  it('holds every key it was built from', () => {
    expect(held.filter((k) => !filter.mayHave(k))).toEqual([]);
  });

  it('answers "maybe" for about 1 % of keys it does not hold', () => {
    const absent = Array.from({ length: 100_000 }, (_, i) => filterKey(i % 2 ? 'npm' : 'PyPI', `other-${i}`));
    const rate = absent.filter((k) => filter.mayHave(k)).length / absent.length;
    expect(rate).toBeLessThan(0.02);
    // Some keys are still reported: a filter that says "maybe" to nothing would lose matches.
    expect(rate).toBeGreaterThan(0);
  });

  it('tells ecosystems apart', () => {
    expect(held.filter((k) => filter.mayHave(k.replace('npm', 'Go'))).length).toBeLessThan(held.length * 0.02);
  });

  it('reads back only for the build it was stamped with', () => {
    const stored = filter.serialize('2026-12-06T00:00:00.000Z');
    const again = PackageFilter.parse(stored, '2026-12-06T00:00:00.000Z');
    expect(held.every((k) => again!.mayHave(k))).toBe(true);
    expect(PackageFilter.parse(stored, '2026-12-07T00:00:00.000Z')).toBeUndefined();
    expect(PackageFilter.parse(stored, undefined)).toBeUndefined();
    expect(PackageFilter.parse(undefined, '2026-12-06T00:00:00.000Z')).toBeUndefined();
    expect(PackageFilter.parse('{"builtAt":"x","probes":7,"bits":"AAA"}', 'x')).toBeUndefined();
    expect(PackageFilter.parse('not json', 'x')).toBeUndefined();
  });

  it('an empty filter is valid and holds nothing', () => {
    const empty = PackageFilter.build([]);
    expect(empty.mayHave(filterKey('npm', 'left-pad'))).toBe(false);
  });
});

describe('the filter in a built database', () => {
  let dir: string;
  let path: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-filter-'));
    path = join(dir, 'vulndb.sqlite');
    await copyFile((await sharedVulnDb()).path, path);
  }, 600_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('finds the advisories of every package of the full shared import', () => {
    const db = new VulnDb(path);
    try {
      const raw = new Database(path, { readonly: true });
      const counts = new Map(
        (raw.prepare('SELECT ecosystem, name, advisories FROM package').raw().all() as [string, string, string][]).map(([e, n, json]) => [
          filterKey(e, n),
          (JSON.parse(json) as [unknown, unknown[]])[1].length / 4,
        ]),
      );
      raw.close();
      expect(counts.size).toBeGreaterThan(1000);
      const lost = db.packages().filter(({ ecosystem, name }) => db.advisoriesFor(ecosystem, name).length !== counts.get(filterKey(ecosystem, name)));
      expect(lost).toEqual([]);
    } finally {
      db.close();
    }
  });

  it('is ignored when another build wrote the table (a writer that knows no filter)', () => {
    const somePackage = (() => {
      const db = new VulnDb(path);
      try {
        return db.packages('npm')[0]!;
      } finally {
        db.close();
      }
    })();
    const raw = new Database(path);
    const builtAt = (raw.prepare("SELECT value FROM meta WHERE key = 'built_at'").pluck().get() as string);
    const setMeta = raw.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
    // A filter that holds nothing, stamped for this build, is trusted: the package is not read.
    setMeta.run('package_filter', PackageFilter.build([]).serialize(builtAt));
    const trusting = new VulnDb(path);
    expect(trusting.advisoriesFor(somePackage.ecosystem, somePackage.name)).toEqual([]);
    trusting.close();
    // Another build's stamp (what an older writer's update leaves behind): read as before.
    setMeta.run('built_at', `${builtAt}-later`);
    raw.close();
    const ignoring = new VulnDb(path);
    expect(ignoring.advisoriesFor(somePackage.ecosystem, somePackage.name).length).toBeGreaterThan(0);
    ignoring.close();
  });
});
