import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runVigil } from '../helpers/cli.js';

const fixtures = fileURLToPath(new URL('./fixtures', import.meta.url));
const twoRanges = join(fixtures, 'ghsa-two-ranges-npm.json');

describe('vigil version compare', () => {
  // Each spawn costs a CLI start-up; ecosystem coverage lives in the scheme tests, so two suffice.
  it.each([
    ['Debian:12', '1:1.0-1', '2.0-1', '>'],
    ['Go', 'v1.2.3', '1.2.3+incompatible', '='],
  ])('%s: %s ? %s → %s', async (ecosystem, a, b, want) => {
    const r = await runVigil(['version', 'compare', ecosystem, a, b]);
    expect(r).toMatchObject({ code: 0, stdout: `${want}\n` });
  });

  it('exits 2 with the reason on an invalid version', async () => {
    const r = await runVigil(['version', 'compare', 'PyPI', '1.0', 'french toast']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('invalid pep440 version "french toast"');
  });

  it('exits 2 listing the known ecosystems on an unknown one', async () => {
    const r = await runVigil(['version', 'compare', 'Gentoo', '1', '2']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown ecosystem "Gentoo"; known ecosystems: Debian, Ubuntu, .*CRAN/);
  });

  it('--batch answers every line, invalid ones with their reason, CRLF and a last line without newline included', async () => {
    const input = ['1.0\t1.1', '2.0\t2.0.0', '3\t2', 'bad one\t1', 'no tab here', '1.0rc1\t1.0\r', '', '1.0\t1.0.0.0'].join('\n');
    const r = await runVigil(['version', 'compare', 'PyPI', '--batch'], { input });
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      '<',
      '=',
      '>',
      'invalid: invalid pep440 version "bad one": not a PEP 440 version (legacy version strings are not ordered)',
      'invalid: expected two versions separated by a TAB',
      '<',
      'invalid: expected two versions separated by a TAB',
      '=',
      '',
    ]);
  });

  it('--batch streams 100,000 lines', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 100_000; i++) lines.push(`${i % 10}.${i % 7}-${i % 3}\t${(i + 1) % 10}.${i % 5}-1`);
    const r = await runVigil(['version', 'compare', 'Debian', '--batch'], { input: lines.join('\n') + '\n' });
    expect(r.code).toBe(0);
    const out = r.stdout.split('\n');
    expect(out).toHaveLength(100_001);
    expect(out[0]).toBe('<'); // 0.0-0 vs 1.0-1
    expect(out.slice(0, -1).every((l) => l === '<' || l === '=' || l === '>')).toBe(true);
  }, 60_000);
});

describe('vigil version affected', () => {
  it('names the matching range and the fixed version', async () => {
    const r = await runVigil(['version', 'affected', 'npm', '2.0.3', '--osv', twoRanges]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'npm 2.0.3: AFFECTED by GHSA-test-two-ranges',
        'GHSA-test-two-ranges affected[0] npm left-pad: affected',
        '  range 0 (SEMVER): fixed 1.3.1; introduced 1.0.0',
        '  range 1 (SEMVER): introduced 2.0.0; fixed 2.0.5  <- contains the version',
        '  range 2 (GIT): introduced 0; fixed 0123abcd',
        '  fixed version: 2.0.5 (fixed)',
        '  reason: GIT ranges name commits, not versions; the versions list enumerates what they cover',
        '',
      ].join('\n'),
    );
  });

  it('prints JSON verdicts with --json', async () => {
    const r = await runVigil(['version', 'affected', 'npm', '1.2.0', '--osv', twoRanges, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([
      {
        advisory: 'GHSA-test-two-ranges',
        entry: 0,
        package: { ecosystem: 'npm', name: 'left-pad' },
        affected: true,
        matchedRanges: [0],
        inVersionsList: false,
        fixedVersion: '1.3.1',
        fixStatus: 'fixed',
        reason: 'GIT ranges name commits, not versions; the versions list enumerates what they cover',
        skippedRanges: [{ index: 2, reason: 'GIT ranges name commits, not versions; the versions list enumerates what they cover' }],
      },
    ]);
  });

  it('reports an unparseable installed version as UNKNOWN with the reason', async () => {
    const r = await runVigil(['version', 'affected', 'npm', 'not-a-version', '--osv', twoRanges]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('npm not-a-version: UNKNOWN by GHSA-test-two-ranges');
    expect(r.stdout).toContain('reason: invalid semver version "not-a-version"');
  });

  it.each([
    [['version', 'affected', 'Go', '1.0.0', '--osv', twoRanges], /has no affected entry for Go \(it names: npm, PyPI\)/],
    [['version', 'affected', 'npm', '1.0.0', '--osv', fileURLToPath(import.meta.url)], /is not JSON/],
    [['version', 'affected', 'npm', '1.0.0'], /required option '--osv <file>'/],
  ])('exits 2 on bad input: %j', async (args, message) => {
    const r = await runVigil(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
