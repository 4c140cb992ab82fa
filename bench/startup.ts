/**
 * CLI start-up, as a CI step pays it: whole `vigil` processes from the build (`bin/vigil.js`
 * running the esbuild bundle, rebuilt here first so the figures are of this checkout), each the
 * median of several runs beside the floor measured in the same run, `node -e 0`:
 * - `vigil --version` and `vigil version compare`: goal ≤ 0.15 s;
 * - `vigil scan file:package-lock.json` (the demo project's ~220 packages) with a local
 *   database: goal ≤ 0.4 s;
 * - `vigil server` until /healthz answers 200, on an existing SQLite database: goal ≤ 1.5 s.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/helpers/images.js';
import { sharedVulnDb, vulndataDir } from '../test/vulndb/shared-db.js';
import type { Bench } from './benches.js';
import { report } from './report.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin/vigil.js');
const RUNS = 7;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Median wall seconds of a whole process, which must exit 0 (or `okCodes`). */
function timeProcess(args: string[], opts: { cwd?: string; okCodes?: number[] } = {}): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    const r = spawnSync(process.execPath, args, { cwd: opts.cwd ?? root, encoding: 'utf8', env: { ...process.env, VIGIL_LOG_LEVEL: 'silent' } });
    times.push((performance.now() - start) / 1000);
    if (!(opts.okCodes ?? [0]).includes(r.status ?? -1)) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  }
  return median(times);
}

/** Seconds from spawning `vigil server` until /healthz answers 200. */
async function serverReady(database: string, cwd: string): Promise<number> {
  const port = await freePort();
  const start = performance.now();
  const child = spawn(process.execPath, [bin, 'server', '--listen', `127.0.0.1:${port}`, '--database', database], {
    cwd,
    stdio: 'ignore',
    env: { ...process.env, VIGIL_LOG_LEVEL: 'silent' },
  });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`vigil server exited ${child.exitCode} before it was ready`);
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) return (performance.now() - start) / 1000;
      if (performance.now() - start > 30_000) throw new Error('vigil server not ready after 30 s');
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

/** The start-up benchmark. */
export const startupBench: Bench = {
  name: 'startup',
  async run() {
    const build = spawnSync(process.execPath, ['scripts/build-cli.mjs'], { cwd: root, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`scripts/build-cli.mjs failed: ${build.stderr}`);
    const vulndb = (await sharedVulnDb()).path;
    const work = mkdtempSync(join(tmpdir(), 'vigil-bench-startup-'));
    try {
      const floor = timeProcess(['-e', '0']);
      console.log(`  whole processes, median of ${RUNS}; floor: node -e 0 = ${floor.toFixed(3)} s`);
      const lock = join(work, 'package-lock.json');
      copyFileSync(join(vulndataDir, 'demo/npm-project/package-lock.json'), lock);
      const figures: [string, string[], number, number[]?][] = [
        ['vigil --version', [bin, '--version'], 0.15],
        ['vigil version compare npm 1.0.0 2.0.0', [bin, 'version', 'compare', 'npm', '1.0.0', '2.0.0'], 0.15],
        // Exit 1 would be --fail-on; without it, findings still exit 0.
        ['vigil scan file:package-lock.json (local database)', [bin, 'scan', `file:${lock}`, '--vulndb', vulndb, '--offline', '--format', 'json'], 0.4],
      ];
      for (const [label, args, goal, okCodes] of figures) {
        const seconds = timeProcess(args, { cwd: work, okCodes });
        report(label, seconds, 's', { atMost: goal });
        report(`${label} / node -e 0`, seconds / floor, '×');
      }
      const database = `sqlite:${join(work, 'vigil.db')}`;
      const first = await serverReady(database, work);
      const warm: number[] = [];
      for (let i = 0; i < 3; i++) warm.push(await serverReady(database, work));
      report('vigil server ready (healthz 200), new database', first, 's');
      report('vigil server ready (healthz 200), existing database, median of 3', median(warm), 's', { atMost: 1.5 });
      report('vigil server ready / node -e 0', median(warm) / floor, '×');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  },
};
