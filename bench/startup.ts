/**
 * CLI start-up, as a CI step pays it: whole `vigil` processes from the build (`bin/vigil.js`
 * running the esbuild bundle, rebuilt here first so the figures are of this checkout), each the
 * median of several runs beside the floor measured in the same run, `node -e 0`:
 * - `vigil --version` and `vigil version compare`: goal ≤ 0.15 s;
 * - `vigil scan file:package-lock.json` (the demo project's ~220 packages) with a local
 *   database: goal ≤ 0.4 s;
 * - `vigil server` until /healthz answers 200, on an existing SQLite database: goal ≤ 1.5 s.
 *
 * On a shared machine the load changes from one second to the next, so each command's runs take
 * turns with runs of the floor (bash's `time` counts each): every figure is printed with its CPU
 * time (user + system, which moves much less with the load than wall time), the medians of the
 * per-round ratios to the floor run just before, and the load average.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/helpers/images.js';
import { sharedVulnDb, vulndataDir } from '../test/vulndb/shared-db.js';
import type { Bench } from './benches.js';
import { report } from './report.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin/vigil.js');
/** Rounds per command; each round runs the floor, then the command. */
const ROUNDS = 11;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** One whole process: its wall and CPU (user + system) seconds, as bash's `time` counts them (in ms). */
interface Run {
  wall: number;
  cpu: number;
}

/**
 * bash's `time` around the command alone (not bash's own start), its report to the file named
 * as $0; the command's standard output and error are pipes to this process, as in a CI step.
 */
const TIMED = 'TIMEFORMAT="%3R %3U %3S"; { time "$@" 2>&3; } 3>&2 2>"$0"';

/** Runs one process, which must exit 0 (or one of `okCodes`). */
function runOnce(args: string[], timeFile: string, opts: { cwd?: string; okCodes?: number[] }): Run {
  const r = spawnSync('bash', ['-c', TIMED, timeFile, process.execPath, ...args], {
    cwd: opts.cwd ?? root,
    encoding: 'utf8',
    // LC_NUMERIC: bash writes the times with the locale's decimal separator.
    env: { ...process.env, VIGIL_LOG_LEVEL: 'silent', LC_NUMERIC: 'C' },
  });
  if (!(opts.okCodes ?? [0]).includes(r.status ?? -1)) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  const report = readFileSync(timeFile, 'utf8').trim();
  // A decimal comma, should LC_ALL outrank LC_NUMERIC.
  const [wall, user, sys] = report.split(/\s+/).map((t) => Number(t.replace(',', '.')));
  if (![wall, user, sys].every(Number.isFinite)) throw new Error(`bash's time wrote "${report}"`);
  return { wall, cpu: user + sys };
}

/**
 * A command's median wall and CPU times, and the medians of the ratios of each run to the floor
 * run just before it.
 */
interface Figures {
  wall: number;
  wallRatio: number;
  cpu: number;
  cpuRatio: number;
  floorWall: number;
  floorCpu: number;
}

/** Rounds of `node -e 0` then the command. */
function timeAgainstFloor(args: string[], timeFile: string, opts: { cwd?: string; okCodes?: number[] } = {}): Figures {
  const floor: Run[] = [];
  const runs: Run[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    floor.push(runOnce(['-e', '0'], timeFile, opts));
    runs.push(runOnce(args, timeFile, opts));
  }
  return {
    wall: median(runs.map((r) => r.wall)),
    wallRatio: median(runs.map((r, i) => r.wall / floor[i].wall)),
    cpu: median(runs.map((r) => r.cpu)),
    cpuRatio: median(runs.map((r, i) => r.cpu / floor[i].cpu)),
    floorWall: median(floor.map((r) => r.wall)),
    floorCpu: median(floor.map((r) => r.cpu)),
  };
}

function load(): string {
  return loadavg()
    .map((n) => n.toFixed(2))
    .join(', ');
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
      const timeFile = join(work, 'time');
      console.log(`  whole processes, ${ROUNDS} rounds each of node -e 0 then the command; medians`);
      const lock = join(work, 'package-lock.json');
      copyFileSync(join(vulndataDir, 'demo/npm-project/package-lock.json'), lock);
      const figures: [string, string[], number, number[]?][] = [
        ['vigil --version', [bin, '--version'], 0.15],
        ['vigil version compare npm 1.0.0 2.0.0', [bin, 'version', 'compare', 'npm', '1.0.0', '2.0.0'], 0.15],
        // Exit 1 would be --fail-on; without it, findings still exit 0.
        ['vigil scan file:package-lock.json (local database)', [bin, 'scan', `file:${lock}`, '--vulndb', vulndb, '--offline', '--format', 'json'], 0.4],
      ];
      // The server's start-up is compared with the floor measured beside the scan.
      let floor = 0;
      for (const [label, args, goal, okCodes] of figures) {
        const before = load();
        const f = timeAgainstFloor(args, timeFile, { cwd: work, okCodes });
        console.log(`  (load average ${before} before, ${load()} after; node -e 0 meanwhile: ${f.floorWall.toFixed(3)} s wall, ${f.floorCpu.toFixed(3)} s CPU)`);
        report(label, f.wall, 's', { atMost: goal });
        report(`${label}, CPU time (user + system)`, f.cpu, 's');
        report(`${label} / node -e 0, wall`, f.wallRatio, '×');
        report(`${label} / node -e 0, CPU time`, f.cpuRatio, '×');
        floor = f.floorWall;
      }
      console.log(`  (load average ${load()} before the server)`);
      const database = `sqlite:${join(work, 'vigil.db')}`;
      const first = await serverReady(database, work);
      const warm: number[] = [];
      for (let i = 0; i < 3; i++) warm.push(await serverReady(database, work));
      report('vigil server ready (healthz 200), new database', first, 's');
      report('vigil server ready (healthz 200), existing database, median of 3', median(warm), 's', { atMost: 1.5 });
      report('vigil server ready / node -e 0 (measured beside the scan)', median(warm) / floor, '×');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  },
};
