/**
 * Layers read ahead: later layers are inflated and tar-parsed while an earlier one is applied,
 * their effects queued and done in layer order. The view must be the sequential one (whiteouts,
 * opaque directories, files replaced later, hard links into lower layers, warnings in order),
 * a corrupt layer must fail naming itself, a layer ahead must wait once its queue is full, and
 * no more layers than twice the cores may be opened ahead.
 * Each runs through the built-in inflater and igzip (forced with VIGIL_INFLATE).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeTar, sha256, writeLayout, type LayerSpec } from '../../scripts/make-hostile-fixtures.js';
import { scanTarget, TargetError } from '../../src/inventory/index.js';
import { INFLATE_ENV, resetInflaters } from '../../src/inventory/inflate.js';
import { AHEAD_BYTES, walkLayers, type LayerBlob } from '../../src/inventory/layers.js';
import { resolveLimits } from '../../src/inventory/limits.js';
import type { WalkHandlers } from '../../src/inventory/walk.js';
import { requireComponent } from '../helpers/components.js';

/** Filler, so that the first layer takes many reads and the later ones run ahead of it. */
const FILLER = Buffer.alloc(4 * 1024 * 1024, 'vigil layers ahead ');

/** Four layers: files replaced, whited out and recreated, an opaque directory, a hard link into a lower layer. */
function tars(): Buffer[] {
  return [
    makeTar([
      { name: 'etc/a.conf', data: 'a1' },
      { name: 'etc/b.conf', data: 'b1' },
      { name: 'app/x/package.json', data: 'x1' },
      { name: 'app/y/package.json', data: 'y1' },
      { name: 'var/lib/dpkg/status', data: 's1' },
      { name: 'filler.bin', data: FILLER },
    ]),
    makeTar([
      { name: 'etc/.wh.b.conf', data: '' },
      { name: 'etc/a.conf', data: 'a2' },
      { name: 'etc/d.conf', type: 'link', linkname: 'app/x/package.json' },
    ]),
    makeTar([
      { name: 'app/.wh..wh..opq', data: '' },
      { name: 'app/z/package.json', data: 'z3' },
      { name: '../escape.conf', data: 'no' },
      { name: 'var/lib/dpkg/status', data: 's3' },
    ]),
    makeTar([
      { name: 'etc/b.conf', data: 'b4' },
      { name: 'app/.wh.z', data: '' },
    ]),
  ];
}

/** Layer blobs read as streams of 64 KiB chunks (so that a layer waiting holds its source back). */
function blobs(compressed: Buffer[], onRead?: (index: number, bytes: number) => void): LayerBlob[] {
  return compressed.map((blob, index) => ({
    digest: sha256(blob),
    async open() {
      // Counted as they are pulled from the source, not as they are consumed; each chunk comes
      // in a later turn of the event loop, as from a file or a socket.
      return Readable.from(
        (async function* () {
          for (let at = 0; at < blob.length; at += 64 * 1024) {
            await new Promise((resolve) => setImmediate(resolve));
            const chunk = blob.subarray(at, at + 64 * 1024);
            onRead?.(index, chunk.length);
            yield chunk;
          }
        })(),
        { objectMode: false, highWaterMark: 64 * 1024 },
      );
    },
  }));
}

interface Walked {
  files: { path: string; layer: string; data: string; history: { layer: string; data: string }[] }[];
  warnings: string[];
}

/** Walks the layers, recording the wanted files of the final view and the warnings in order. */
async function walk(layers: LayerBlob[], aheadBytes?: number): Promise<Walked> {
  const out: Walked = { files: [], warnings: [] };
  const handlers: WalkHandlers = {
    wanted: (path) => path.endsWith('.conf') || path.endsWith('package.json') || path === '/var/lib/dpkg/status',
    async file(file, history) {
      out.files.push({ path: file.path, layer: file.layer ?? '', data: (await file.read()).toString(), history: history.map((v) => ({ layer: v.layer, data: v.data.toString() })) });
    },
    warn: (w) => out.warnings.push(`${w.path}: ${w.reason}`),
  };
  await walkLayers(layers, handlers, { limits: resolveLimits() }, aheadBytes);
  return out;
}

const MODES = ['builtin', 'igzip'] as const;

afterEach(() => {
  delete process.env[INFLATE_ENV];
  resetInflaters();
});

describe.each(MODES)('layers read ahead, VIGIL_INFLATE=%s', (mode) => {
  let dir: string;
  beforeAll(async () => {
    if (mode === 'igzip') requireComponent('isal');
    dir = await mkdtemp(join(tmpdir(), 'vigil-ahead-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  function use(): void {
    process.env[INFLATE_ENV] = mode;
    resetInflaters();
  }

  it('gives the sequential view, however far layers run ahead', async () => {
    use();
    const compressed = tars().map((t) => gzipSync(t));
    const d = compressed.map((b) => sha256(b));
    const expected: Walked = {
      files: [
        { path: '/etc/a.conf', layer: d[1], data: 'a2', history: [{ layer: d[0], data: 'a1' }] },
        // Whited out in layer 2, written again in layer 4: nothing of layer 1 is left.
        { path: '/etc/b.conf', layer: d[3], data: 'b4', history: [] },
        // A hard link to a file of a lower layer, later hidden by the opaque directory.
        { path: '/etc/d.conf', layer: d[1], data: 'x1', history: [] },
        { path: '/var/lib/dpkg/status', layer: d[2], data: 's3', history: [{ layer: d[0], data: 's1' }] },
      ],
      warnings: [`../escape.conf: layer 3 (${d[2]}): entry skipped: name climbs out of the image root (path traversal)`],
    };
    // Unbounded, the default, and 0 (each layer ahead waits after its first read: close to one at a time).
    for (const aheadBytes of [Number.MAX_SAFE_INTEGER, AHEAD_BYTES, 0]) {
      expect(await walk(blobs(compressed), aheadBytes)).toEqual(expected);
    }
  });

  it('fails a corrupt layer read ahead naming it, and an earlier corrupt layer first', async () => {
    use();
    const specs: LayerSpec[] = tars().map((tar) => ({ tar, compression: 'gzip' }));
    // The corrupt layers are small, so they are read whole (and fail) while layer 1 is applied.
    await writeLayout(join(dir, 'last'), [...specs.slice(0, 3), { ...specs[3], corrupt: 'truncate' }]);
    await writeLayout(join(dir, 'two'), [specs[0], { ...specs[1], corrupt: 'truncate' }, specs[2], { ...specs[3], corrupt: 'truncate' }]);
    const failure = (target: string): Promise<unknown> =>
      scanTarget(target).then(
        () => undefined,
        (e: unknown) => e,
      );
    const inflater = mode === 'builtin' ? 'zlib' : 'igzip';
    for (const [image, layer] of [
      ['last', 4],
      ['two', 2],
    ] as const) {
      const err = await failure(`oci-dir:${join(dir, image)}`);
      expect(err).toBeInstanceOf(TargetError);
      expect((err as Error).message).toMatch(new RegExp(`^layer ${layer} \\(sha256:[0-9a-f]{64}\\): cannot read layer: gzip data corrupt or truncated \\(${inflater}: .+\\)$`));
    }
    // The same through a stream (a registry or an archive): fed to the tool's input, or to zlib.
    const compressed = tars().map((t) => gzipSync(t));
    compressed[3] = compressed[3].subarray(0, compressed[3].length >> 1);
    await expect(walk(blobs(compressed))).rejects.toThrow(new RegExp(`^layer 4 \\(${sha256(compressed[3])}\\): cannot read layer: gzip data corrupt or truncated \\(${inflater}: `));
  });

  it.runIf(availableParallelism() > 1)('opens at most twice as many layers as there are cores ahead of the one applied', async () => {
    use();
    const cores = availableParallelism();
    const small = Array.from({ length: 2 * cores + 3 }, (_, i) => gzipSync(makeTar([{ name: `etc/${i}.conf`, data: String(i) }])));
    const layers = blobs(small);
    let opened = 0;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    for (const [i, layer] of layers.entries()) {
      const open = layer.open.bind(layer);
      layer.open = async () => {
        opened++;
        // Layer 1 is held open: it is being applied until released.
        if (i === 0) await held;
        return open();
      };
    }
    const walked = walk(layers);
    // The small layers after it are read whole at once, each freeing its core for the next, up to the bound.
    while (opened < 2 * cores) await new Promise((resolve) => setTimeout(resolve, 20));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(opened).toBe(2 * cores);
    release();
    expect((await walked).files).toHaveLength(small.length);
    expect(opened).toBe(small.length);
  });

  it.runIf(availableParallelism() > 1)('reads a later layer ahead while an earlier one is held, and holds it back once its queue is full', async () => {
    use();
    // Layer 2: 40,000 entries with distinct names (about 14 MB estimated once parsed), then 16 MB
    // that do not compress, more than the pipes and buffers between the source and the parser hold.
    const noise = randomBytes(16 * 1024 * 1024);
    const many = makeTar([...Array.from({ length: 40_000 }, (_, i) => ({ name: `many/${sha256(String(i)).slice(7, 47)}`, data: '' })), { name: 'noise.bin', data: noise }]);
    const compressed = [gzipSync(makeTar([{ name: 'etc/a.conf', data: 'a1' }])), gzipSync(many)];
    for (const aheadBytes of [Number.MAX_SAFE_INTEGER, 64 * 1024]) {
      const read = [0, 0];
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      const layers = blobs(compressed, (index, bytes) => (read[index] += bytes));
      // Layer 1 gives all but its last byte, then waits: it is being applied until released.
      const first = compressed[0];
      layers[0] = {
        digest: sha256(first),
        async open() {
          return Readable.from(
            (async function* () {
              yield first.subarray(0, first.length - 1);
              await held;
              yield first.subarray(first.length - 1);
            })(),
            { objectMode: false },
          );
        },
      };
      const walked = walk(layers, aheadBytes);
      if (aheadBytes === 64 * 1024) {
        // Wait until layer 2 has started, then until it stops being read: no new bytes for a while.
        while (read[1] === 0) await new Promise((resolve) => setTimeout(resolve, 20));
        let last = -1;
        while (read[1] !== last) {
          last = read[1];
          await new Promise((resolve) => setTimeout(resolve, 300));
        }
        expect(read[1]).toBeLessThan(compressed[1].length / 2);
      } else {
        // Unbounded, layer 2 is read whole while layer 1 is still held (the test's timeout would end a wait that never does).
        while (read[1] < compressed[1].length) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      release();
      expect((await walked).files.map((f) => `${f.path}=${f.data}`)).toEqual(['/etc/a.conf=a1']);
      expect(read[1]).toBe(compressed[1].length);
    }
  });
});
