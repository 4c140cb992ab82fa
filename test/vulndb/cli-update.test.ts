/**
 * `vigil db update` through the real CLI: `--source-dir` finds the datasets of a
 * vulndata-style folder, and usage errors (no datasets, unknown kind, unknown ecosystem)
 * exit with 2 and a message naming the bad input.
 */
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runVigil } from '../helpers/cli.js';
import { vulndataDir } from './shared-db.js';

let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'vigil-vulndb-cli-'));
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('vigil db update (CLI)', () => {
  it('--source-dir imports the datasets a vulndata-style folder holds', async () => {
    // A folder with only the KEV catalog and the NVD record (linked, not copied).
    const dir = join(work, 'mirror');
    await mkdir(dir);
    await symlink(join(vulndataDir, 'kev'), join(dir, 'kev'));
    await symlink(join(vulndataDir, 'nvd'), join(dir, 'nvd'));
    const db = join(work, 'db.sqlite');
    const r = await runVigil(['db', 'update', '--source-dir', dir, '--json', '--vulndb', db]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { units: { name: string; status: string; records: number }[] };
    expect(report.units.map((u) => [u.name, u.status, u.records])).toEqual([
      [`nvd=${dir}/nvd`, 'updated', 1],
      [`kev=${dir}/kev/known_exploited_vulnerabilities.json`, 'updated', 1404],
    ]);
  });

  it('logs progress lines on a stderr that is not a terminal (and none with --json)', async () => {
    const dir = join(work, 'mirror-kev');
    await mkdir(dir);
    await symlink(join(vulndataDir, 'kev'), join(dir, 'kev'));
    const r = await runVigil(['db', 'update', '--source-dir', dir, '--vulndb', join(work, 'kev.sqlite')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`vigil: db update: kev=${dir}/kev/known_exploited_vulnerabilities.json: updated\n`);
    expect(r.stdout).toMatch(/^updated {4}kev=.*: 1404 records/);
  });

  it('lists the default sources in its help', async () => {
    const r = await runVigil(['db', 'update', '--help']);
    expect(r.stdout).toMatch(/the defaults:\n {2}osv=https:\/\/osv-vulnerabilities\.storage\.googleapis\.com\n/);
  });

  it.each([
    // [args, message]
    [['--source-dir', '/nonexistent-vulndata'], /--source-dir \/nonexistent-vulndata: no known datasets found/],
    [['--source', 'nope=/x'], /--source "nope=\/x": unknown kind "nope"/],
    [['--only', 'npm,Cobol'], /--only: unknown ecosystem "Cobol"/],
  ])('rejects %j with exit 2', async (args, message) => {
    const r = await runVigil(['db', 'update', ...args, '--vulndb', join(work, 'unused.sqlite')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
