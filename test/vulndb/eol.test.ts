/**
 * The end-of-life table: the bundled file passes its schema, a malformed table is refused
 * naming the field, and verdicts per OSV ecosystem string at injected dates (days and
 * month-precision dates, extended support, releases the table does not list).
 */
import { describe, expect, it } from 'vitest';
import { eolTable, eolTableSchema, eolVerdict, type EolTable } from '../../src/vulndb/eol/index.js';

describe('the bundled table', () => {
  it('passes its schema and cites its sources', () => {
    const t = eolTable();
    expect(t.sources).toContain('https://endoflife.date');
    for (const name of ['Debian', 'Ubuntu', 'Alpine', 'Red Hat', 'Rocky Linux', 'AlmaLinux', 'Oracle Linux', 'Amazon Linux', 'SUSE', 'openSUSE', 'Fedora']) {
      expect(Object.keys(t.distributions[name]?.releases ?? {}).length, name).toBeGreaterThan(0);
    }
  });

  it('refuses a malformed table, naming the field', () => {
    const bad = { ...eolTable(), distributions: { Debian: { lifecycle: 'https://wiki.debian.org/LTS', releases: { '10': { standard: '30 June 2024' } } } } };
    const r = eolTableSchema().safeParse(bad);
    expect(r.success).toBe(false);
    expect(r.error?.issues[0].path).toEqual(['distributions', 'Debian', 'releases', '10', 'standard']);
  });
});

describe('eolVerdict', () => {
  const cases: [ecosystem: string, at: string, state: string | undefined][] = [
    ['Debian:10', '2024-06-30T23:59:59Z', 'supported'],
    ['Debian:10', '2024-07-01T00:00:00Z', 'eol'],
    ['Debian:12', '2026-12-04', 'supported'],
    ['Alpine:v3.15', '2026-12-04', 'eol'],
    ['Alpine:v3.21', '2026-10-31', 'supported'],
    // A month-precision date means the month's last day.
    ['Ubuntu:22.04:LTS', '2027-04-30T23:00:00Z', 'supported'],
    ['Ubuntu:22.04:LTS', '2027-05-01T00:00:00Z', 'extended-only'],
    ['Ubuntu:22.04:LTS', '2032-05-01T00:00:00Z', 'eol'],
    ['Ubuntu:23.10', '2024-08-01', 'eol'],
    ['Amazon Linux:2', '2026-12-04', 'eol'],
    ['Amazon Linux:2023', '2026-12-04', 'supported'],
    ['Red Hat:7', '2026-12-04', 'extended-only'],
    ['SUSE:Linux Enterprise Server 12 SP5', '2026-12-04', 'extended-only'],
    ['openSUSE:Leap 15.4', '2026-12-04', 'eol'],
    ['Fedora:39', '2026-12-04', 'eol'],
    // Not in the table: no verdict rather than a guess.
    ['Debian:13', '2026-12-04', undefined],
    ['Wolfi', '2026-12-04', undefined],
    ['npm', '2026-12-04', undefined],
  ];
  for (const [ecosystem, at, state] of cases) {
    it(`${ecosystem} at ${at}: ${state ?? 'no verdict'}`, () => {
      expect(eolVerdict(ecosystem, new Date(at))?.state).toBe(state);
    });
  }

  it('reads a table given to it', () => {
    const table: EolTable = { ...eolTable(), distributions: { Debian: { lifecycle: 'https://example.org/x', releases: { '12': { standard: '2020-01-01' } } } } };
    expect(eolVerdict('Debian:12', new Date('2026-01-01'), table)).toEqual({ state: 'eol', release: 'Debian 12', standard: '2020-01-01', lifecycle: 'https://example.org/x' });
  });
});
