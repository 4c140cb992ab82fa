/**
 * The matching projection the store keeps beside each record must give the range evaluator
 * the same verdicts as the full entries: on small declared entries for each reduction, and on
 * every advisory of the full shared import. Also: a database of another schema version is
 * refused by readers and rebuilt by the writer.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandEntries, projectEntries } from '../../src/vulndb/match-projection.js';
import { SCHEMA_VERSION, VulnDb, VulnDbOpenError, VulnDbWriter } from '../../src/vulndb/store.js';
import type { OsvAffected, OsvRecord } from '../../src/vulndb/types.js';
import { evaluateAffected, type OsvVerdict } from '../../src/versioning/osv-range.js';
import { sharedVulnDb } from './shared-db.js';

/** What matching reads of a verdict (not `inVersionsList`, which the projection may change). */
function decision(v: OsvVerdict) {
  return { affected: v.affected, fixStatus: v.fixStatus, fixedVersion: v.fixedVersion, skipped: v.skippedRanges.map((s) => s.index), reason: v.reason };
}

function project(entry: OsvAffected, ecosystem: string): OsvAffected {
  return expandEntries(projectEntries([entry], ecosystem))[0];
}

describe('projection of declared entries', () => {
  const cases: { name: string; ecosystem: string; entry: OsvAffected; versions: string[]; keptVersions?: string[] }[] = [
    {
      // The common distro shape: introduced 0, fixed.
      name: 'one ECOSYSTEM range',
      ecosystem: 'Debian:12',
      entry: { package: { ecosystem: 'Debian:12', name: 'openssl', purl: 'pkg:deb/debian/openssl' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.0.15-1~deb12u1' }] }] },
      versions: ['3.0.11-1~deb12u2', '3.0.15-1~deb12u1', '3.0.16-1~deb12u1', '1:0.1'],
    },
    {
      // PyPI lists every release inside the ranges; those go, the one outside stays.
      name: 'versions list covered by the ranges except one',
      ecosystem: 'PyPI',
      entry: {
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '1.0' }, { fixed: '1.3' }] }],
        versions: ['1.0', '1.1', '1.2', '2.0.1'],
        database_specific: { source: 'x' },
        ecosystem_specific: { imports: ['a.b'] },
      },
      versions: ['0.9', '1.0', '1.0.0', '1.2.9', '1.3', '2.0.1', '2.0.1.0', '2.0.2'],
      keptVersions: ['2.0.1'],
    },
    {
      // Only GIT ranges: the versions list is all there is, and stays whole.
      name: 'GIT range with a versions list',
      ecosystem: 'PyPI',
      entry: { ranges: [{ type: 'GIT', repo: 'https://example.org/r.git', events: [{ introduced: 'abc' }, { fixed: 'def' }] }], versions: ['1.0', '1.1'] },
      versions: ['1.0', '1.1', '1.2'],
      keptVersions: ['1.0', '1.1'],
    },
    {
      // GIT first keeps range positions (verdicts name ranges by index).
      name: 'GIT then SEMVER with last_affected and limit',
      ecosystem: 'Go',
      entry: {
        ranges: [
          { type: 'GIT', events: [{ introduced: '0' }] },
          { type: 'SEMVER', events: [{ introduced: '1.2.0' }, { last_affected: '1.4.0' }, { introduced: '2.0.0' }, { limit: '2.1.0' }] },
        ],
      },
      versions: ['v1.1.9', 'v1.2.0', 'v1.4.0', 'v1.4.1', 'v2.0.5', 'v2.1.0'],
    },
    {
      // A bound the scheme cannot read leaves the verdict unknown; its listed twin stays.
      name: 'unreadable bound and a listed version',
      ecosystem: 'npm',
      entry: { ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: 'not-a-version' }] }], versions: ['1.0.0'] },
      versions: ['1.0.0', '2.0.0'],
      keptVersions: ['1.0.0'],
    },
    {
      // An event with two keys counts as its first (introduced), as the evaluator reads it.
      name: 'malformed event with two kinds',
      ecosystem: 'crates.io',
      entry: { ranges: [{ type: 'SEMVER', events: [{ introduced: '0.5.0', fixed: '0.6.0' }, { fixed: '0.7.0' }] }] },
      versions: ['0.4.0', '0.5.5', '0.6.1', '0.7.0'],
    },
    {
      // No ranges at all: versions decide alone.
      name: 'versions only',
      ecosystem: 'RubyGems',
      entry: { versions: ['1.0.0'] },
      versions: ['1.0.0', '1.0.1'],
      keptVersions: ['1.0.0'],
    },
  ];

  it.each(cases)('$name: same verdicts as the full entry', ({ ecosystem, entry, versions, keptVersions }) => {
    const projected = project(entry, ecosystem);
    expect(projected.package).toBeUndefined();
    expect(projected.versions).toEqual(keptVersions ?? entry.versions);
    for (const v of versions) {
      expect(decision(evaluateAffected(v, projected, { ecosystem })), `${v}`).toEqual(decision(evaluateAffected(v, entry, { ecosystem })));
    }
  });
});

describe('projection of every advisory in the shared data', () => {
  let db: VulnDb;
  beforeAll(async () => {
    db = new VulnDb((await sharedVulnDb()).path);
  }, 600_000);
  afterAll(() => db?.close());

  it('gives the verdicts of the full entries for listed versions and range bounds', () => {
    let compared = 0;
    let differences: string[] = [];
    for (const { ecosystem, name } of db.packages()) {
      for (const a of db.advisoriesFor(ecosystem, name)) {
        expect(a.id).toBe(a.record.id);
        expect(a.withdrawn).toBe(Boolean(a.record.withdrawn));
        const full = a.affected;
        const match = a.match ?? [];
        expect(match.length, a.record.id).toBe(full.length);
        full.forEach((entry, i) => {
          // Every bound, and listed versions spread over the list (the full entry's verdict
          // walks the whole list, so all of PyPI's 140,000 would take minutes).
          const listed = entry.versions ?? [];
          const step = Math.max(1, Math.floor(listed.length / 12));
          const probes = new Set<string>([
            ...listed.filter((_, k) => k % step === 0 || k === listed.length - 1),
            ...(entry.ranges ?? []).flatMap((r) => (r.type === 'GIT' ? [] : r.events.flatMap((e) => Object.values(e)))),
          ]);
          for (const v of probes) {
            compared++;
            const want = decision(evaluateAffected(v, entry, { ecosystem }));
            const got = decision(evaluateAffected(v, match[i], { ecosystem }));
            if (JSON.stringify(want) !== JSON.stringify(got)) differences.push(`${ecosystem}/${name} ${a.record.id} entry ${i} at ${v}`);
          }
        });
      }
    }
    differences = differences.slice(0, 20);
    expect(differences).toEqual([]);
    expect(compared).toBeGreaterThan(100_000);
  }, 120_000);
});

describe('schema version', () => {
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'vigil-vulndb-schema-'));
  });
  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  const record: OsvRecord = {
    id: 'GHSA-test-0001',
    modified: '2024-01-01T00:00:00Z',
    affected: [{ package: { ecosystem: 'npm', name: 'left-pad' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.1.0' }] }] }],
  };

  function build(path: string): void {
    const w = new VulnDbWriter(path);
    const s = w.startSource('test', 'osv', 'declared');
    s.add({ type: 'advisory', record });
    s.commit(undefined);
    w.finish({});
  }

  it('a reader refuses a file of an older schema, naming it; the writer rebuilds it', () => {
    const path = join(work, 'old.sqlite');
    build(path);
    const raw = new Database(path);
    raw.prepare("UPDATE meta SET value = '1' WHERE key = 'schema_version'").run();
    raw.close();
    expect(() => new VulnDb(path)).toThrow(VulnDbOpenError);
    expect(() => new VulnDb(path)).toThrow(`schema version 1, this Vigil reads ${SCHEMA_VERSION}; run \`vigil db update\``);

    build(path);
    const db = new VulnDb(path);
    try {
      const [hit] = db.advisoriesFor('npm', 'left-pad');
      expect(hit.id).toBe('GHSA-test-0001');
      expect(hit.match).toEqual([{ ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.1.0' }] }] }]);
      expect(hit.affected).toEqual(record.affected);
      // The lazily loaded parts are written out like plain fields.
      expect(JSON.parse(JSON.stringify(hit)).record.id).toBe('GHSA-test-0001');
    } finally {
      db.close();
    }
  });
});
