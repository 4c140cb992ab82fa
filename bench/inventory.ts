/**
 * Inventory benchmark:
 * - scan time of the debootstrapped bookworm image (OCI layout, one 51 MB gzip layer) divided
 *   by what `gzip -dc` needs to decompress the same layers, in wall time and in CPU time (CPU is
 *   the steadier figure on a shared machine);
 * - the same scan, one of a debootstrapped server (~220 packages, one ~250 MB layer) and one of
 *   a multi-layer image (the minbase image plus 3 application layers), divided by `igzip -dc`
 *   (Intel ISA-L, the fastest inflater there is: the floor): goal ≤ 1.5×. The scan's CPU counts
 *   its inflater child processes too;
 * - peak memory (max RSS of a fresh process) scanning a generated ~1 GiB image: goal < 300 MiB;
 * - `vigil sbom` against cdxgen on the same root filesystem, when `@cyclonedx/cdxgen` installs
 *   (it is not a dependency; bench/cdxgen.ts).
 */
import { toolLauncherPid, useToolLauncher } from '../src/inventory/tool-launcher.js';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGzip } from 'node:zlib';
import tar from 'tar-stream';
import { scanTarget } from '../src/inventory/index.js';
import { findOnPath, inflaters, ToolInflate } from '../src/inventory/inflate.js';
import { debianImages, debianServerRootfs, layoutFromRootfs, sh, testWorkDir, withLock, type DebianImages } from '../test/helpers/images.js';
import type { Bench } from './benches.js';
import { cdxgen, runCdxgen } from './cdxgen.js';
import { report } from './report.js';

const root = fileURLToPath(new URL('..', import.meta.url));
/** Interleaved rounds per comparison (`VIGIL_BENCH_RUNS`). */
const RUNS = Number(process.env.VIGIL_BENCH_RUNS ?? 7);

/** Blob paths of an OCI layout tag's layers. */
async function layerBlobs(layout: string, tag: string): Promise<string[]> {
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string; annotations?: Record<string, string> }[] };
  const desc = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag)!;
  const blob = (d: string) => join(layout, 'blobs', 'sha256', d.slice('sha256:'.length));
  const manifest = JSON.parse(await readFile(blob(desc.digest), 'utf8')) as { layers: { digest: string }[] };
  return manifest.layers.map((l) => blob(l.digest));
}

/** Wall and CPU seconds of `gzip -dc` over the files (CPU from the shell's `times`). */
function gzipFloor(files: string[]): { wall: number; cpu: number } {
  const start = performance.now();
  const out = execFileSync('sh', ['-c', `for f in "$@"; do gzip -dc "$f" > /dev/null; done; times`, 'sh', ...files], { encoding: 'utf8' });
  const wall = (performance.now() - start) / 1000;
  const seconds = (s: string) => {
    const m = /(\d+)m([\d.]+)s/.exec(s);
    return m ? Number(m[1]) * 60 + Number(m[2]) : 0;
  };
  const children = out.trim().split('\n').pop()!.split(/\s+/);
  return { wall, cpu: seconds(children[0]) + seconds(children[1]) };
}

/**
 * Wall and CPU seconds of `igzip -dc` over the files, one after the other: the floor the issue set.
 * A scan inflates up to one layer per core at once, which the wall ratio credits and the CPU one does not.
 */
function igzipFloor(files: string[]): { wall: number; cpu: number } {
  const start = performance.now();
  const out = execFileSync('sh', ['-c', `for f in "$@"; do igzip -dc "$f" > /dev/null; done; times`, 'sh', ...files], { encoding: 'utf8' });
  const wall = (performance.now() - start) / 1000;
  const seconds = (t: string) => {
    const m = /(\d+)m([\d.]+)s/.exec(t);
    return m ? Number(m[1]) * 60 + Number(m[2]) : 0;
  };
  const children = out.trim().split('\n').pop()!.split(/\s+/);
  return { wall, cpu: seconds(children[0]) + seconds(children[1]) };
}

/** CPU seconds of this process's waited-for children (the inflater tools), from /proc/self/stat. */
/** CPU seconds of the processes this process (or the tool launcher it started) has waited for. */
function childrenCpu(): number {
  const waited = (pid: number | 'self', self: boolean): number => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // Fields 14–17 (utime, stime, cutime, cstime), counted from 1 with pid and comm before the closing paren.
      return (Number(fields[13]) + Number(fields[14]) + (self ? 0 : Number(fields[11]) + Number(fields[12]))) / 100;
    } catch {
      return 0;
    }
  };
  const launcher = toolLauncherPid();
  // The launcher's own time and its children's: inflater tools it started count as ours.
  return waited('self', true) + (launcher ? waited(launcher, false) : 0);
}

async function scanCost(target: string): Promise<{ wall: number; cpu: number; packages: number }> {
  const cpu0 = process.cpuUsage();
  const children0 = childrenCpu();
  const start = performance.now();
  const inv = await scanTarget(target);
  const wall = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { wall, cpu: (cpu.user + cpu.system) / 1e6 + childrenCpu() - children0, packages: inv.packages.length };
}

/** The median of some numbers. */
function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * `igzip -dc` of each layer into this process, its output read and dropped: what moving the
 * inflated bytes through a Unix socket into Node costs before any parsing (the same
 * {@link ToolInflate} the scan uses, started the same way), measured beside the scan.
 */
async function igzipIntoNode(files: string[]): Promise<number> {
  const start = performance.now();
  for (const file of files) {
    const handle = await open(file, 'r');
    try {
      const inflater = await ToolInflate.start('igzip', handle.fd, () => true);
      await inflater.done;
    } finally {
      await handle.close();
    }
  }
  return (performance.now() - start) / 1000;
}

/**
 * Medians of `runs` rounds of a floor and the scan (and, when asked, of {@link igzipIntoNode}),
 * interleaved so that all see the same load; the ratios are the medians of each round's own
 * ratio (steadier than a ratio of medians).
 */
async function versus(target: string, files: string[], floorOf: (files: string[]) => { wall: number; cpu: number }, intoNode = false, runs = RUNS) {
  const rounds: { floor: { wall: number; cpu: number }; intoNode: number; scan: { wall: number; cpu: number } }[] = [];
  let packages = 0;
  for (let i = 0; i < runs; i++) {
    const floor = floorOf(files);
    const transport = intoNode ? await igzipIntoNode(files) : Number.NaN;
    const scan = await scanCost(target);
    packages = scan.packages;
    rounds.push({ floor, intoNode: transport, scan });
  }
  const of = (pick: (r: (typeof rounds)[number]) => number) => median(rounds.map(pick));
  return {
    packages,
    floor: { wall: of((r) => r.floor.wall), cpu: of((r) => r.floor.cpu) },
    intoNode: { wall: of((r) => r.intoNode), ratio: of((r) => r.scan.wall / r.intoNode), ofFloor: of((r) => r.intoNode / r.floor.wall) },
    scan: { wall: of((r) => r.scan.wall), cpu: of((r) => r.scan.cpu) },
    ratio: { wall: of((r) => r.scan.wall / r.floor.wall), cpu: of((r) => r.scan.cpu / r.floor.cpu) },
  };
}

/** The load averages, as `uptime` shows them. */
function load(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(', ');
}

/**
 * The bookworm image plus 3 application layers (copies of its /usr/lib, /usr/share and /usr/bin
 * under /opt/app1..3, gzip-compressed by umoci), in its own layout under the test work dir.
 */
async function multiLayerImage(images: { layout: string; rootfs: string }): Promise<string> {
  const dir = join(testWorkDir, 'bench', 'multi-layer');
  if (existsSync(`${dir}.complete`)) return dir;
  return withLock('bench-multi-layer', async () => {
    if (existsSync(`${dir}.complete`)) return dir;
    const tmp = `${dir}.tmp`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(join(tmp, '..'), { recursive: true });
    await sh('cp', ['-a', images.layout, tmp]);
    await sh('umoci', ['tag', '--image', `${tmp}:bookworm`, 'multi']);
    for (const [n, from] of ['usr/lib', 'usr/share', 'usr/bin'].entries()) {
      const layerTar = join(tmp, '..', `multi-layer-${n}.tar`);
      await sh('tar', ['-C', images.rootfs, '--owner=0', '--group=0', `--transform=s,^${from},opt/app${n + 1},`, '-cf', layerTar, from]);
      await sh('umoci', ['raw', 'add-layer', '--image', `${tmp}:multi`, '--tag', 'multi', layerTar]);
      await rm(layerTar, { force: true });
    }
    await sh('umoci', ['gc', '--layout', tmp]);
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
    await writeFile(`${dir}.complete`, new Date().toISOString());
    return dir;
  });
}

/**
 * The debootstrapped server (`debianServerRootfs`: ~220 packages, PostgreSQL, nginx, OpenSSH,
 * Python, Perl, git) as a one-layer image, gzip-compressed by umoci, in its own layout under the
 * test work dir; undefined (said why) when it cannot be built, as offline.
 */
async function serverImage(): Promise<string | undefined> {
  const dir = join(testWorkDir, 'bench', 'server-image');
  if (existsSync(`${dir}.complete`)) return dir;
  let rootfs: string;
  try {
    rootfs = await debianServerRootfs();
  } catch (err) {
    console.log(`  server image: skipped (cannot debootstrap it: ${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
    return undefined;
  }
  return withLock('bench-server-image', async () => {
    if (existsSync(`${dir}.complete`)) return dir;
    const tmp = `${dir}.tmp`;
    await rm(tmp, { recursive: true, force: true });
    await rm(`${tmp}-bundle-server`, { recursive: true, force: true });
    await mkdir(join(tmp, '..'), { recursive: true });
    await layoutFromRootfs(rootfs, tmp, 'server');
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
    await writeFile(`${dir}.complete`, new Date().toISOString());
    return dir;
  });
}

/**
 * A ~1 GiB image (4 layers of 256 MiB: 1,024 files of 256 KiB each, compressible filler) plus
 * the bookworm dpkg database, written once under the test work dir.
 */
async function bigImage(statusFile: string): Promise<string> {
  const dir = join(testWorkDir, 'bench', 'big-1g');
  if (existsSync(`${dir}.complete`)) return dir;
  return withLock('bench-big-1g', async () => {
    if (existsSync(`${dir}.complete`)) return dir;
    const tmp = `${dir}.tmp`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(join(tmp, 'blobs', 'sha256'), { recursive: true });
    const status = await readFile(statusFile);
    const filler = Buffer.alloc(256 * 1024);
    // Repeats of a 4 KiB pseudo-random block: gzip level 1 compresses it quickly, as real layers do.
    const block = Buffer.alloc(4096);
    for (let i = 0; i < block.length; i += 64) createHash('sha512').update(String(i)).digest().copy(block, i);
    for (let i = 0; i < filler.length; i += block.length) block.copy(filler, i);
    const layers: { digest: string; diffId: string; size: number }[] = [];
    for (let l = 0; l < 4; l++) {
      const pack = tar.pack();
      const gzip = createGzip({ level: 1 });
      const part = join(tmp, 'layer.part');
      const blobHash = createHash('sha256');
      const diffHash = createHash('sha256');
      let size = 0;
      const out = createWriteStream(part);
      gzip.on('data', (c: Buffer) => {
        blobHash.update(c);
        size += c.length;
      });
      pack.on('data', (c: unknown) => {
        diffHash.update(c as Buffer);
      });
      const done = new Promise<void>((resolve, reject) => out.on('finish', () => resolve()).on('error', reject));
      (pack as unknown as NodeJS.ReadableStream).pipe(gzip).pipe(out);
      if (l === 0) pack.entry({ name: 'var/lib/dpkg/status' }, status);
      for (let f = 0; f < 1024; f++) {
        filler.writeUInt32BE(l * 1024 + f, 0);
        await new Promise<void>((resolve, reject) => pack.entry({ name: `data/layer${l}/file${f}.bin`, size: filler.length }, filler, (err) => (err ? reject(err) : resolve())));
      }
      pack.finalize();
      await done;
      const digest = `sha256:${blobHash.digest('hex')}`;
      await rename(part, join(tmp, 'blobs', 'sha256', digest.slice(7)));
      layers.push({ digest, diffId: `sha256:${diffHash.digest('hex')}`, size });
    }
    const put = async (data: string) => {
      const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
      await writeFile(join(tmp, 'blobs', 'sha256', digest.slice(7)), data);
      return { digest, size: Buffer.byteLength(data) };
    };
    const config = await put(JSON.stringify({ os: 'linux', architecture: 'amd64', rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) } }));
    const manifest = await put(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: l.digest, size: l.size })),
      }),
    );
    await writeFile(join(tmp, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    await writeFile(join(tmp, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest }] }));
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
    await writeFile(`${dir}.complete`, new Date().toISOString());
    return dir;
  });
}

/** Max RSS (MiB) of a fresh Node process that scans `target` once. */
function peakRss(target: string): { mib: number; packages: number } {
  const script = `import { scanTarget } from ${JSON.stringify(join(root, 'src/inventory/index.ts'))};
const inv = await scanTarget(process.argv[1]);
console.log(JSON.stringify({ rss: process.resourceUsage().maxRSS, packages: inv.packages.length }));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, target], { cwd: root, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`scan process failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { rss: number; packages: number };
  return { mib: out.rss / 1024, packages: out.packages };
}

/**
 * Layers at the inflation floor: scans of the bookworm, server and multi-layer images beside
 * `igzip -dc` of their layers (goal ≤ 1.5×), and peak RSS on the ~1 GiB image (goal < 300 MiB).
 */
async function layersAtTheFloor(images: DebianImages): Promise<void> {
  if (!findOnPath('igzip')) {
    console.log('  igzip comparison: skipped (igzip, Debian package isal, is not on PATH)');
  } else {
    const multi = await multiLayerImage(images);
    const multiBlobs = await layerBlobs(multi, 'multi');
    const server = await serverImage();
    const serverBlobs = server ? await layerBlobs(server, 'server') : [];
    const megabytes = (files: string[]) => Math.round(files.reduce((n, f) => n + statSync(f).size, 0) / 1e6);
    for (const [name, t, files] of [
      [`bookworm image (minbase, one ${megabytes(await layerBlobs(images.layout, 'bookworm'))} MB layer)`, `oci-dir:${images.ociRef('bookworm')}`, await layerBlobs(images.layout, 'bookworm')],
      ...(server ? ([[`server image (bookworm with PostgreSQL, nginx, OpenSSH, Python, Perl, git; one ${megabytes(serverBlobs)} MB layer)`, `oci-dir:${server}:server`, serverBlobs]] as const) : []),
      [`multi-layer image (base + ${multiBlobs.length - 1} application layers)`, `oci-dir:${multi}:multi`, multiBlobs],
    ] as const) {
      await scanCost(t); // warm the page cache and the module graph
      const before = load();
      const vs = await versus(t, [...files], igzipFloor, true);
      console.log(`  ${name}: ${vs.packages} packages; medians of ${RUNS} interleaved rounds; load ${before} before, ${load()} after`);
      report('igzip -dc over the layers (wall)', vs.floor.wall, 's');
      report('vigil scan (wall)', vs.scan.wall, 's');
      report('scan / igzip -dc, wall time', vs.ratio.wall, '×', { atMost: 1.5 });
      report('igzip -dc into this process, bytes read and dropped (wall)', vs.intoNode.wall, 's');
      report('igzip -dc into this process / igzip -dc (moving the bytes into Node)', vs.intoNode.ofFloor, '×');
      report('scan / igzip -dc into this process (what parsing and extraction add)', vs.intoNode.ratio, '×');
      report('igzip -dc over the layers (CPU)', vs.floor.cpu, 's');
      report('vigil scan (CPU, with inflater processes)', vs.scan.cpu, 's');
      report('scan / igzip -dc, CPU time', vs.ratio.cpu, '×');
    }
  }
  const big = await bigImage(join(images.rootfs, 'var/lib/dpkg/status'));
  const mem = peakRss(`oci-dir:${big}`);
  console.log(`  ~1 GiB image (4 × 256 MiB layers, ${mem.packages} packages found)`);
  report('peak RSS scanning the 1 GiB image', Math.round(mem.mib), 'MiB', { atMost: 300 });
}

/**
 * Scans in this long-lived process start their inflater tools through the launcher, as the
 * server's jobs do (`BENCH_TOOL_LAUNCHER=off`: forked from this process, as one-shot commands do).
 */
function useLauncherAsServersDo(): void {
  const on = process.env.BENCH_TOOL_LAUNCHER !== 'off';
  useToolLauncher(on);
  console.log(`  inflater tools started ${on ? 'through the tool launcher (as server jobs do)' : 'by this process (as one-shot commands do)'}`);
}

/** Only the layer figures of the inventory benchmark: `npm run bench layers`. */
export const layersBench: Bench = {
  name: 'layers',
  async run() {
    useLauncherAsServersDo();
    console.log(`  layer inflaters: ${JSON.stringify(inflaters())} (VIGIL_INFLATE=${process.env.VIGIL_INFLATE ?? 'auto'})`);
    await layersAtTheFloor(await debianImages());
  },
};

/** The inventory benchmark. */
export const inventoryBench: Bench = {
  name: 'inventory',
  async run() {
    useLauncherAsServersDo();
    const images = await debianImages();
    const blobs = await layerBlobs(images.layout, 'bookworm');
    const target = `oci-dir:${images.ociRef('bookworm')}`;
    await scanCost(target); // warm the page cache and the module graph
    console.log(`  layer inflaters: ${JSON.stringify(inflaters())} (VIGIL_INFLATE=${process.env.VIGIL_INFLATE ?? 'auto'})`);
    const vs = await versus(target, blobs, gzipFloor);
    console.log(`  bookworm image: ${blobs.length} layer(s), ${vs.packages} packages; medians of ${RUNS} interleaved rounds; load ${load()}`);
    report('gzip -dc over the layers (wall)', vs.floor.wall, 's');
    report('vigil scan (wall)', vs.scan.wall, 's');
    report('scan / gzip -dc, wall time', vs.ratio.wall, '×', { atMost: 1.5 });
    report('gzip -dc over the layers (CPU)', vs.floor.cpu, 's');
    report('vigil scan (CPU, with inflater processes)', vs.scan.cpu, 's');
    report('scan / gzip -dc, CPU time', vs.ratio.cpu, '×', { atMost: 1.5 });

    await layersAtTheFloor(images);

    const peer = await cdxgen();
    if (!peer) {
      console.log('  cdxgen comparison: skipped (@cyclonedx/cdxgen could not be installed; it is not a dependency)');
      return;
    }
    const peerRun = await runCdxgen(peer, ['-t', 'rootfs', '--no-install-deps', images.rootfs], join(testWorkDir, 'bench', 'rootfs.cdx.json'));
    const start = performance.now();
    const inv = await scanTarget(`dir:${images.rootfs}`);
    const vigilSeconds = (performance.now() - start) / 1000;
    report(`cdxgen 12 -t rootfs (${peerRun.components} components)`, peerRun.seconds, 's');
    report(`vigil, dir: of the same rootfs (${inv.packages.length} packages)`, vigilSeconds, 's');
    report('vigil / cdxgen', vigilSeconds / peerRun.seconds, '×');
  },
};
