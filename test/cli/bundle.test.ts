/**
 * The built CLI (`scripts/build-cli.mjs`: one esbuild bundle with a chunk per command and
 * patches to zod, packageurl-js and commander) answers as the sources do: `bin/vigil.js` is what
 * `npm start` and users run, while every other CLI test runs the sources through tsx.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdvisoryEngine } from '../../src/jobs/engine.js';
import { matchStored, type StoredInventory } from '../../src/jobs/stored-match.js';
import { host, npm } from '../continuous/fixtures.js';
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

describe("the built CLI's matching worker", () => {
  // Its own bundle entry, started by re-evaluations of the compiled server; every other test of
  // the worker starts it from the sources through tsx.
  it('opens the engine\'s advisory file and matches stored inventories as this thread does', async () => {
    const engine = new AdvisoryEngine(vulndb);
    const worker = new Worker(join(root, 'dist/bundle/match-worker.js'), { workerData: engine.current().source });
    try {
      const items: StoredInventory[] = [
        { resourceId: 'res-1', inventoryVersion: 1, inventory: JSON.stringify(host('host-1', [npm('@babel/code-frame', '7.12.11'), npm('left-pad', '1.3.0')])), context: {} },
        { resourceId: 'res-2', inventoryVersion: 3, inventory: JSON.stringify(host('host-2', [npm('@babel/code-frame', '7.12.13')])), context: { internetReachable: false } },
      ];
      const here = items.map((item) => matchStored(engine.current(), item));
      expect(here[0]!.result.findings.map((f) => f.id)).toEqual(['CVE-2026-0001']);
      const replies: unknown[] = [];
      const answered = new Promise<void>((resolve, reject) => {
        worker.on('message', (m: { ready?: true }) => {
          if (m.ready) worker.postMessage({ id: 1, items });
          else {
            replies.push(m);
            resolve();
          }
        });
        worker.once('error', reject);
      });
      await answered;
      expect(replies).toStrictEqual([{ id: 1, results: here }]);
    } finally {
      await worker.terminate();
      engine.close();
    }
  });
});

