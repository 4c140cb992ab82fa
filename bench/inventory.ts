/**
 * Inventory benchmark:
 * - scan time of the debootstrapped bookworm image (OCI layout, one 51 MB gzip layer) divided
 *   by what `gzip -dc` needs to decompress the same layers (the physical floor): goal ≤ 1.5×,
 *   in wall time and in CPU time (CPU is the steadier figure on a shared machine);
 * - peak memory (max RSS of a fresh process) scanning a generated ~1 GiB image: goal < 300 MiB;
 * - `vigil sbom` against cdxgen on the same root filesystem, when `@cyclonedx/cdxgen` installs
 *   (it is not a dependency; bench/cdxgen.ts).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGzip } from 'node:zlib';
import tar from 'tar-stream';
import { scanTarget } from '../src/inventory/index.js';
import { debianImages, testWorkDir, withLock } from '../test/helpers/images.js';
import type { Bench } from './benches.js';
import { cdxgen, runCdxgen } from './cdxgen.js';
import { report } from './report.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const RUNS = 3;

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

async function scanCost(target: string): Promise<{ wall: number; cpu: number; packages: number }> {
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const inv = await scanTarget(target);
  const wall = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { wall, cpu: (cpu.user + cpu.system) / 1e6, packages: inv.packages.length };
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

/** The inventory benchmark. */
export const inventoryBench: Bench = {
  name: 'inventory',
  async run() {
    const images = await debianImages();
    const blobs = await layerBlobs(images.layout, 'bookworm');
    const target = `oci-dir:${images.ociRef('bookworm')}`;
    await scanCost(target); // warm the page cache and the module graph
    let floor = { wall: Infinity, cpu: Infinity };
    let scan = { wall: Infinity, cpu: Infinity, packages: 0 };
    for (let i = 0; i < RUNS; i++) {
      const g = gzipFloor(blobs);
      floor = { wall: Math.min(floor.wall, g.wall), cpu: Math.min(floor.cpu, g.cpu) };
      const s = await scanCost(target);
      scan = { wall: Math.min(scan.wall, s.wall), cpu: Math.min(scan.cpu, s.cpu), packages: s.packages };
    }
    console.log(`  bookworm image: ${blobs.length} layer(s), ${scan.packages} packages; best of ${RUNS}`);
    report('gzip -dc over the layers (wall)', floor.wall, 's');
    report('vigil scan (wall)', scan.wall, 's');
    report('scan / gzip -dc, wall time', scan.wall / floor.wall, '×', { atMost: 1.5 });
    report('gzip -dc over the layers (CPU)', floor.cpu, 's');
    report('vigil scan (CPU)', scan.cpu, 's');
    report('scan / gzip -dc, CPU time', scan.cpu / floor.cpu, '×', { atMost: 1.5 });

    const big = await bigImage(join(images.rootfs, 'var/lib/dpkg/status'));
    const mem = peakRss(`oci-dir:${big}`);
    console.log(`  ~1 GiB image (4 × 256 MiB layers, ${mem.packages} packages found)`);
    report('peak RSS scanning the 1 GiB image', Math.round(mem.mib), 'MiB', { atMost: 300 });

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
