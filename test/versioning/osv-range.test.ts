import { describe, expect, it } from 'vitest';
import { evaluateAffected, type OsvVerdict } from '../../src/versioning/osv-range.js';
import type { OsvAffected, OsvEvent, OsvRange } from '../../src/vulndb/types.js';

const eco = (events: OsvEvent[]): OsvRange => ({ type: 'ECOSYSTEM', events });
const entry = (ecosystem: string, ranges: OsvRange[], versions?: string[]): OsvAffected => ({
  package: { ecosystem, name: 'pkg' },
  ranges,
  ...(versions ? { versions } : {}),
});

interface Case {
  name: string;
  affected: OsvAffected;
  version: string;
  want: Partial<OsvVerdict>;
}

const simple = entry('PyPI', [eco([{ introduced: '0' }, { fixed: '1.5' }])]);
const window = entry('PyPI', [eco([{ introduced: '1.0' }, { fixed: '2.0' }])]);
const twoWindowsShuffled = entry('PyPI', [eco([{ fixed: '1.8' }, { introduced: '1.5' }, { fixed: '1.2' }, { introduced: '0' }])]);
const overlapping = entry('npm', [eco([{ introduced: '1.0.0' }, { fixed: '1.5.0' }]), eco([{ introduced: '1.2.0' }, { fixed: '2.0.0' }])]);

const cases: Case[] = [
  // introduced "0" + fixed
  { name: 'below the fix is affected', affected: simple, version: '1.0', want: { affected: true, matchedRanges: [0], fixedVersion: '1.5', fixStatus: 'fixed' } },
  { name: 'the fixed version itself is not affected', affected: simple, version: '1.5', want: { affected: false, fixStatus: 'not-affected' } },
  { name: 'above the fix is not affected', affected: simple, version: '2.0', want: { affected: false } },
  { name: 'a pre-release of the fix is still affected', affected: simple, version: '1.5rc1', want: { affected: true, fixedVersion: '1.5' } },
  // introduced X + fixed
  { name: 'below introduced is not affected', affected: window, version: '0.9', want: { affected: false } },
  { name: 'introduced itself is affected', affected: window, version: '1.0', want: { affected: true, fixedVersion: '2.0' } },
  // introduced only
  {
    name: 'an open range affects everything above introduced, with no fix',
    affected: entry('PyPI', [eco([{ introduced: '1.0' }])]),
    version: '99.0',
    want: { affected: true, fixedVersion: undefined, fixStatus: 'not-fixed' },
  },
  // last_affected
  {
    name: 'last_affected is inclusive',
    affected: entry('PyPI', [eco([{ introduced: '0' }, { last_affected: '1.4' }])]),
    version: '1.4',
    want: { affected: true, fixStatus: 'not-fixed', fixedVersion: undefined },
  },
  {
    name: 'above last_affected is not affected',
    affected: entry('PyPI', [eco([{ introduced: '0' }, { last_affected: '1.4' }])]),
    version: '1.4.post1',
    want: { affected: false },
  },
  {
    name: 'a range with only last_affected reads as introduced at 0',
    affected: entry('PyPI', [eco([{ last_affected: '1.4' }])]),
    version: '0.1',
    want: { affected: true, matchedRanges: [0] },
  },
  {
    name: 'a range with only fixed reads as introduced at 0',
    affected: entry('PyPI', [eco([{ fixed: '3.0' }])]),
    version: '2.9',
    want: { affected: true, fixedVersion: '3.0' },
  },
  // out-of-order events
  {
    name: 'events out of order are sorted first (inside)',
    affected: entry('PyPI', [eco([{ fixed: '2.0' }, { introduced: '1.0' }])]),
    version: '1.5',
    want: { affected: true, fixedVersion: '2.0' },
  },
  {
    name: 'events out of order are sorted first (below)',
    affected: entry('PyPI', [eco([{ fixed: '2.0' }, { introduced: '1.0' }])]),
    version: '0.5',
    want: { affected: false },
  },
  { name: 'two windows in one shuffled range: gap', affected: twoWindowsShuffled, version: '1.3', want: { affected: false } },
  { name: 'two windows in one shuffled range: second window', affected: twoWindowsShuffled, version: '1.6', want: { affected: true, fixedVersion: '1.8' } },
  { name: 'two windows in one shuffled range: first window', affected: twoWindowsShuffled, version: '1.1', want: { affected: true, fixedVersion: '1.2' } },
  // limit
  {
    name: 'at or above limit is not affected',
    affected: entry('PyPI', [eco([{ introduced: '1.0' }, { limit: '2.0' }])]),
    version: '2.0',
    want: { affected: false },
  },
  {
    name: 'below limit is affected, and limit is not a fix',
    affected: entry('PyPI', [eco([{ introduced: '1.0' }, { limit: '2.0' }])]),
    version: '1.9',
    want: { affected: true, fixedVersion: undefined, fixStatus: 'not-fixed' },
  },
  {
    name: 'limit "*" never ends the range',
    affected: entry('PyPI', [eco([{ introduced: '1.0' }, { limit: '*' }])]),
    version: '500',
    want: { affected: true },
  },
  // equal bounds
  {
    name: 'introduced and fixed at the same version affect nothing',
    affected: entry('PyPI', [eco([{ introduced: '1.0' }, { fixed: '1.0' }])]),
    version: '1.0',
    want: { affected: false },
  },
  {
    name: 'introduced and last_affected at the same version affect exactly it',
    affected: entry('PyPI', [eco([{ last_affected: '1.0' }, { introduced: '1.0' }])]),
    version: '1.0',
    want: { affected: true },
  },
  // several limits: in scope below ANY of them (OSV), so the highest one ends the range
  {
    name: 'between two limits is affected',
    affected: entry('PyPI', [eco([{ introduced: '1.0' }, { limit: '2.0' }, { limit: '3.0' }])]),
    version: '2.5',
    want: { affected: true, matchedRanges: [0], fixStatus: 'not-fixed' },
  },
  {
    name: 'limits given in descending order end the range at the highest one',
    affected: entry('PyPI', [eco([{ introduced: '1.0' }, { limit: '3.0' }, { limit: '2.0' }])]),
    version: '2.5',
    want: { affected: true, matchedRanges: [0] },
  },
  {
    name: 'at or above every limit is not affected',
    affected: entry('PyPI', [eco([{ introduced: '1.0' }, { limit: '2.0' }, { limit: '3.0' }])]),
    version: '3.0',
    want: { affected: false },
  },
  {
    name: 'a fix below the limits still closes the range',
    affected: entry('PyPI', [eco([{ introduced: '1.0' }, { fixed: '1.5' }, { limit: '2.0' }, { limit: '3.0' }])]),
    version: '1.7',
    want: { affected: false },
  },
  // release lines: the version's own line must end in a fix for `fixed`
  {
    name: 'a line that ends at last_affected, with a later line fixed: the later fix, partially',
    affected: entry('npm', [eco([{ introduced: '1.0.0' }, { last_affected: '1.4.0' }, { introduced: '2.0.0' }, { fixed: '2.1.0' }])]),
    version: '1.2.0',
    want: { affected: true, matchedRanges: [0], fixedVersion: '2.1.0', fixStatus: 'partially-fixed' },
  },
  // several ranges
  {
    name: 'the second of two ranges matches',
    affected: entry('npm', [eco([{ introduced: '1.0.0' }, { fixed: '1.2.0' }]), eco([{ introduced: '2.0.0' }, { fixed: '2.2.0' }])]),
    version: '2.1.0',
    want: { affected: true, matchedRanges: [1], fixedVersion: '2.2.0', fixStatus: 'fixed' },
  },
  {
    name: 'overlapping ranges: the lowest fix still covered by another range is skipped',
    affected: overlapping,
    version: '1.3.0',
    want: { affected: true, matchedRanges: [0, 1], fixedVersion: '2.0.0', fixStatus: 'fixed' },
  },
  {
    name: 'an open range beside a fixed one leaves the version partially fixed',
    affected: entry('npm', [eco([{ introduced: '1.0.0' }, { fixed: '1.5.0' }]), eco([{ introduced: '1.2.0' }])]),
    version: '1.3.0',
    want: { affected: true, matchedRanges: [0, 1], fixedVersion: undefined, fixStatus: 'partially-fixed' },
  },
  // versions list
  {
    name: 'listed in versions with no ranges',
    affected: entry('PyPI', [], ['1.0.1', '1.0.2']),
    version: '1.0.1',
    want: { affected: true, inVersionsList: true, matchedRanges: [] },
  },
  {
    name: 'versions list equality follows the scheme (1.0.2 = 1.0.2.0 in PEP 440)',
    affected: entry('PyPI', [], ['1.0.2']),
    version: '1.0.2.0',
    want: { affected: true, inVersionsList: true },
  },
  { name: 'not listed and no ranges', affected: entry('PyPI', [], ['1.0.1']), version: '1.0.3', want: { affected: false } },
  {
    // …and the range's fix, which nothing affects, is its fix.
    name: 'listed but outside every range is still affected (the list is authoritative too)',
    affected: entry('PyPI', [eco([{ introduced: '2.0' }, { fixed: '2.1' }])], ['1.0']),
    version: '1.0',
    want: { affected: true, inVersionsList: true, matchedRanges: [], fixedVersion: '2.1', fixStatus: 'fixed' },
  },
  {
    // OSV's list rule is string equality: `0.4m2` is no PEP 440 version, and is affected all the same.
    name: 'a listed version that does not parse is affected, and every fix that leaves the entry is a candidate',
    affected: entry('PyPI', [eco([{ introduced: '0' }, { fixed: '0.11.0' }])], ['0.3', '0.4m2']),
    version: '0.4m2',
    want: { affected: true, inVersionsList: true, matchedRanges: [], fixedVersion: '0.11.0', fixStatus: 'fixed', reason: expect.stringContaining('listed in versions; ranges not evaluated') as unknown as string },
  },
  {
    name: 'an unlisted version that does not parse stays unknown',
    affected: entry('PyPI', [eco([{ introduced: '0' }, { fixed: '0.11.0' }])], ['0.3', '0.4m2']),
    version: '0.4m3',
    want: { affected: 'unknown', fixStatus: 'unknown' },
  },
  // GIT ranges
  {
    name: 'a GIT range alone is ignored with a reason',
    affected: entry('PyPI', [{ type: 'GIT', repo: 'https://example.org/x.git', events: [{ introduced: '0' }, { fixed: 'abc123' }] }]),
    version: '1.0',
    want: { affected: false, skippedRanges: [{ index: 0, reason: expect.stringContaining('GIT ranges name commits') as unknown as string }] },
  },
  {
    name: 'a GIT range beside a versions list: the list decides',
    affected: entry('PyPI', [{ type: 'GIT', repo: 'r', events: [{ introduced: '0' }] }], ['1.0']),
    version: '1.0',
    want: { affected: true, inVersionsList: true },
  },
  // SEMVER ranges
  {
    name: 'SEMVER range for Go: v-prefixed installed version, bounds without v',
    affected: { package: { ecosystem: 'Go', name: 'x' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '1.2.0' }, { fixed: '1.2.4' }] }] },
    version: 'v1.2.3',
    want: { affected: true, fixedVersion: '1.2.4' },
  },
  {
    name: 'SEMVER range for Go: a pseudo-version before the fix',
    affected: { package: { ecosystem: 'Go', name: 'x' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '0.0.0-20220315000000-aaaaaaaaaaaa' }] }] },
    version: 'v0.0.0-20191109021931-daa7c04131f5',
    want: { affected: true },
  },
  {
    name: 'SEMVER range for npm: pre-release of the fix is affected',
    affected: { package: { ecosystem: 'npm', name: 'x' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '2.0.0' }] }] },
    version: '2.0.0-rc.1',
    want: { affected: true },
  },
  // distributions
  {
    name: 'Debian: an epoch in the fix outranks a larger upstream',
    affected: entry('Debian:12', [eco([{ introduced: '0' }, { fixed: '1:2.0-1' }])]),
    version: '3.0-1',
    want: { affected: true, fixedVersion: '1:2.0-1' },
  },
  {
    name: 'Alpine: -r revisions order',
    affected: entry('Alpine:v3.19', [eco([{ introduced: '0' }, { fixed: '1.2.3-r2' }])]),
    version: '1.2.3-r1',
    want: { affected: true, fixedVersion: '1.2.3-r2' },
  },
  // bad input
  {
    name: 'an unparseable installed version is unknown, never guessed',
    affected: simple,
    version: 'not a version',
    want: { affected: 'unknown', fixStatus: 'unknown', reason: expect.stringContaining('invalid pep440 version "not a version"') as unknown as string },
  },
  {
    name: 'an unparseable bound makes its range unknown',
    affected: entry('PyPI', [eco([{ introduced: '0' }, { fixed: '1.0-SNAPSHOT-x' }])]),
    version: '0.5',
    want: { affected: 'unknown', reason: expect.stringContaining('range 0 (ECOSYSTEM)') as unknown as string },
  },
  {
    // …but the fix cannot be confirmed while the broken range might still cover it.
    name: 'an unparseable bound in one range does not hide a match in another',
    affected: entry('PyPI', [eco([{ introduced: 'garbage!' }]), eco([{ introduced: '0' }, { fixed: '2.0' }])]),
    version: '1.0',
    want: { affected: true, matchedRanges: [1], fixedVersion: undefined, fixStatus: 'partially-fixed' },
  },
  {
    name: 'an unknown ecosystem is unknown',
    affected: entry('Gentoo', [eco([{ introduced: '0' }])]),
    version: '1.0',
    want: { affected: 'unknown', reason: expect.stringContaining('unknown ecosystem "Gentoo"') as unknown as string },
  },
  {
    name: 'an unsupported range type is skipped with a reason',
    affected: entry('PyPI', [{ type: 'WEIRD', events: [{ introduced: '0' }] }]),
    version: '1.0',
    want: { affected: false, skippedRanges: [{ index: 0, reason: 'unsupported range type "WEIRD"' }] },
  },
];

describe('evaluateAffected', () => {
  it.each(cases)('$name', ({ affected, version, want }) => {
    expect(evaluateAffected(version, affected)).toMatchObject(want);
  });

  it('takes the ecosystem from options when the entry has no package', () => {
    const verdict = evaluateAffected('1.0', { ranges: [eco([{ introduced: '0' }, { fixed: '2.0' }])] }, { ecosystem: 'PyPI' });
    expect(verdict).toEqual({ affected: true, matchedRanges: [0], inVersionsList: false, fixedVersion: '2.0', fixStatus: 'fixed', skippedRanges: [] });
  });

  it('orders one range object by each ecosystem it is evaluated in, again and again (sorted bounds are cached per scheme)', () => {
    // "1.0~rc1" is a Debian pre-release below 1.0 and no PEP 440 version at all.
    const shared: OsvAffected = { ranges: [eco([{ fixed: '1.0' }, { introduced: '1.0~rc1' }])] };
    for (let round = 0; round < 2; round++) {
      expect(evaluateAffected('1.0~rc2', shared, { ecosystem: 'Debian:12' })).toMatchObject({ affected: true, fixedVersion: '1.0' });
      expect(evaluateAffected('0.9', shared, { ecosystem: 'Debian:12' })).toMatchObject({ affected: false });
      const pypi = evaluateAffected('0.9', shared, { ecosystem: 'PyPI' });
      expect(pypi.affected).toBe('unknown');
      expect(pypi.reason).toMatch(/range 0 \(ECOSYSTEM\): invalid pep440 version "1\.0~rc1"/);
    }
  });

  it('has no ecosystem to order ECOSYSTEM ranges by without one', () => {
    const verdict = evaluateAffected('1.0', { ranges: [eco([{ introduced: '0' }])] });
    expect(verdict.affected).toBe(false);
    expect(verdict.skippedRanges[0]?.reason).toMatch(/no known ecosystem/);
  });
});
