/**
 * The built CLI (`scripts/build-cli.mjs`: one esbuild bundle with a chunk per command and
 * patches to zod, packageurl-js and commander) answers as the sources do: `bin/vigil.js` is what
 * `npm start` and users run, while every other CLI test runs the sources through tsx.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runVigil } from '../helpers/cli.js';
import { sh, withLock } from '../helpers/images.js';
import { advisory, writeAdvisoryDb } from '../helpers/tiny-advisory-db.js';
import { vulndataDir } from '../vulndb/shared-db.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'vigil-bundle-'));
const lockfile = join(vulndataDir, 'demo/npm-project/package-lock.json');
const vulndb = join(dir, 'vulndb.sqlite');

beforeAll(async () => {
  await withLock('cli-bundle', () => sh(process.execPath, ['scripts/build-cli.mjs'], { cwd: root }));
  // One advisory on a package of the demo lockfile (@babel/code-frame 7.12.11), so the scan has a finding to score.
  writeAdvisoryDb(vulndb, [advisory('GHSA-test-0001', 'npm', '@babel/code-frame', [[{ introduced: '0' }, { fixed: '7.12.13' }]], { aliases: ['CVE-2026-0001'], severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N' }] })]);
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `args` from the sources and from the bundle; both results, with `scannedAt` times blanked. */
async function both(args: string[]) {
  const blank = (text: string) => text.replace(/"scannedAt": ?"[^"]+"/g, '"scannedAt":"…"');
  const [sources, bundle] = await Promise.all([runVigil(args), runVigil(args, { bundle: true })]);
  return [sources, bundle].map((r) => ({ code: r.code, stdout: blank(r.stdout), stderr: r.stderr }));
}

describe('the built CLI', () => {
  it.each<[string, string[]]>([
    ['--version', ['--version']],
    ['the help', ['--help']],
    ['version compare', ['version', 'compare', 'npm', '1.0.0', '2.0.0']],
    ['a usage error', ['scan', '--fial-on', 'HIGH', 'dir:.']],
  ])('answers %s as the sources do', async (_name, args) => {
    const [sources, bundle] = await both(args);
    expect(bundle).toEqual(sources);
  });

  it('scans a lockfile as the sources do, in JSON and SARIF', async () => {
    for (const format of ['json', 'sarif']) {
      const [sources, bundle] = await both(['scan', `file:${lockfile}`, '--vulndb', vulndb, '--offline', '--format', format]);
      expect(bundle).toEqual(sources);
      expect(bundle.code).toBe(0);
      expect(bundle.stdout).toContain('CVE-2026-0001');
    }
  });

  it('writes a CycloneDX SBOM of the lockfile as the sources do', async () => {
    const [sources, bundle] = await both(['sbom', `file:${lockfile}`, '--format', 'cyclonedx-json']);
    const strip = (text: string) => text.replace(/"(serialNumber|timestamp)": ?"[^"]+"/g, '"$1":"…"');
    expect(strip(bundle.stdout)).toEqual(strip(sources.stdout));
    expect(bundle.code).toBe(0);
    expect(JSON.parse(bundle.stdout).components.length).toBeGreaterThan(200);
  });
});
