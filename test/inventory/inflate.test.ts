/**
 * Layer inflation through each inflater: the child-process tools (igzip, unpigz, zstd) and the
 * built-in ones (zlib, fzstd), forced with VIGIL_INFLATE. The same images must give the same
 * inventory through every one, and a corrupt layer the same error.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CANARY_STATUS, makeTar, writeLayout, type LayerSpec } from '../../scripts/make-hostile-fixtures.js';
import { scanTarget, TargetError } from '../../src/inventory/index.js';
import { chooseInflaters, findOnPath, INFLATE_ENV, InflaterChoiceError, resetInflaters, ToolInflate, type Inflaters } from '../../src/inventory/inflate.js';
import { useToolLauncher } from '../../src/inventory/tool-launcher.js';
import type { Inventory } from '../../src/inventory/types.js';
import { requireComponent } from '../helpers/components.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('chooseInflaters', () => {
  const all = (): boolean => true;
  const only =
    (...present: string[]) =>
    (command: string): boolean =>
      present.includes(command);
  const cases: { name: string; env: Record<string, string>; present: (c: string) => boolean; want: Inflaters }[] = [
    { name: 'igzip first when every tool is there', env: {}, present: all, want: { gzip: 'igzip', zstd: 'zstd' } },
    { name: 'unpigz when igzip is missing', env: {}, present: only('unpigz'), want: { gzip: 'unpigz', zstd: 'builtin' } },
    { name: 'built-in ones when no tool is there', env: {}, present: only(), want: { gzip: 'builtin', zstd: 'builtin' } },
    { name: 'auto is the default', env: { [INFLATE_ENV]: 'auto' }, present: only('zstd'), want: { gzip: 'builtin', zstd: 'zstd' } },
    { name: 'builtin forces both built-in ones', env: { [INFLATE_ENV]: 'builtin' }, present: all, want: { gzip: 'builtin', zstd: 'builtin' } },
    { name: 'a named gzip tool wins over a faster one', env: { [INFLATE_ENV]: 'unpigz' }, present: all, want: { gzip: 'unpigz', zstd: 'zstd' } },
    { name: 'zstd names the zstd tool, gzip still auto', env: { [INFLATE_ENV]: 'zstd' }, present: only('zstd', 'unpigz'), want: { gzip: 'unpigz', zstd: 'zstd' } },
  ];
  it.each(cases)('$name', ({ env, present, want }) => {
    expect(chooseInflaters(env, present)).toEqual(want);
  });

  it('names the variable for an unknown or missing inflater', () => {
    expect(() => chooseInflaters({ [INFLATE_ENV]: 'gunzip' }, all)).toThrow(new InflaterChoiceError('VIGIL_INFLATE="gunzip": expected one of auto, builtin, igzip, unpigz, zstd'));
    expect(() => chooseInflaters({ [INFLATE_ENV]: 'igzip' }, only('unpigz'))).toThrow(new InflaterChoiceError('VIGIL_INFLATE=igzip: `igzip` is not on PATH'));
  });

  it('looks tools up on PATH', () => {
    expect(findOnPath('sh', '/nonexistent:/bin')).toBe('/bin/sh');
    expect(findOnPath('sh', '/nonexistent')).toBeUndefined();
  });
});

describe.each([
  ['spawned by this process', false],
  ['started by the tool launcher', true],
])('ToolInflate, %s', (_how, launcher) => {
  beforeAll(() => useToolLauncher(launcher));
  afterAll(() => useToolLauncher(false));

  it('reports a tool that cannot be started', async () => {
    const tool = await ToolInflate.start('vigil-no-such-inflater', 'pipe', () => true);
    tool.stdin?.end(Buffer.from('x'));
    await expect(tool.done).rejects.toThrow(/ENOENT/);
  });

  it('hands over every byte through the reused buffer, pausing and resuming', async () => {
    requireComponent('isal');
    const data = Buffer.alloc(5 * 1024 * 1024);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7919) % 251;
    const got: Buffer[] = [];
    let paused = false;
    const tool = await ToolInflate.start('igzip', 'pipe', (chunk) => {
      got.push(Buffer.from(chunk));
      // Pause once, as a layer read ahead does when its queue is full.
      if (!paused && got.length === 2) {
        paused = true;
        setTimeout(() => tool.resume(), 50);
        return false;
      }
      return true;
    });
    tool.stdin!.end(gzipSync(data));
    await tool.done;
    expect(paused).toBe(true);
    expect(Buffer.concat(got).equals(data)).toBe(true);
  });
  it('leaves nothing behind per tool (no listener piles up on the launcher)', async () => {
    requireComponent('isal');
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      // Node warns at the eleventh listener of one kind on one emitter.
      for (let i = 0; i < 12; i++) {
        const tool = await ToolInflate.start('igzip', 'pipe', () => true);
        tool.stdin!.end(gzipSync(Buffer.from(`layer ${i}`)));
        await tool.done;
      }
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).toEqual([]);
  });

  it('stops a tool that is still reading its input', async () => {
    requireComponent('isal');
    const tool = await ToolInflate.start('igzip', 'pipe', () => true);
    tool.stdin!.write(gzipSync(Buffer.alloc(1024 * 1024, 'vigil')).subarray(0, 1000));
    tool.stop();
    await expect(tool.done).rejects.toThrow();
  });
});

it('leaves nothing in the temporary directory when killed while a tool runs', async () => {
  requireComponent('isal');
  const tmp = await mkdtemp(join(tmpdir(), 'vigil-killed-'));
  const script = `
    import { ToolInflate } from ${JSON.stringify(join(root, 'src/inventory/inflate.ts'))};
    import { gzipSync } from 'node:zlib';
    const tool = await ToolInflate.start('igzip', 'pipe', () => true);
    tool.stdin.write(gzipSync(Buffer.alloc(1024 * 1024, 'vigil')).subarray(0, 1000));
    console.log('inflating');
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, env: { ...process.env, TMPDIR: tmp }, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('inflating') && resolve());
      child.once('exit', (code) => reject(new Error(`exited ${code} before inflating`)));
    });
    child.kill('SIGKILL');
    await once(child, 'exit');
    // No exit handler ran: what the process had made there would still be there (tsx keeps its cache there too).
    expect((await readdir(tmp)).filter((name) => name.startsWith('vigil-'))).toEqual([]);
  } finally {
    child.kill('SIGKILL');
    await rm(tmp, { recursive: true, force: true });
  }
});

/** Inflaters to run the scans through: the built-in ones, and each tool this machine has. */
const MODES = ['builtin', 'igzip', 'unpigz', 'zstd'] as const;

/** The same small dpkg status under the base layer, an app layer, whiteouts and an opaque directory. */
function layers(compression: 'gzip' | 'zstd'): LayerSpec[] {
  return [
    {
      compression,
      tar: makeTar([
        { name: 'etc/', type: 'dir' },
        { name: 'etc/os-release', data: 'ID=debian\nVERSION_ID="12"\n' },
        { name: 'var/lib/dpkg/', type: 'dir' },
        { name: 'var/lib/dpkg/status', data: CANARY_STATUS },
        { name: 'app/node_modules/gone/package.json', data: JSON.stringify({ name: 'gone', version: '1.0.0' }) },
        { name: 'app/node_modules/old/package.json', data: JSON.stringify({ name: 'old', version: '1.0.0' }) },
        // Filler, so that inflation takes more than one read and layers overlap.
        { name: 'filler.bin', data: Buffer.alloc(3 * 1024 * 1024, 'vigil') },
      ]),
    },
    { compression, tar: makeTar([{ name: 'app/node_modules/gone/.wh..wh..opq', data: '' }, { name: 'app/node_modules/.wh.gone', data: '' }]) },
    {
      compression,
      tar: makeTar([
        { name: 'app/node_modules/.wh..wh..opq', data: '' },
        { name: 'app/node_modules/new/package.json', data: JSON.stringify({ name: 'new', version: '2.0.0' }) },
      ]),
    },
    { compression, tar: makeTar([{ name: 'var/lib/dpkg/status', data: `${CANARY_STATUS}Package: later\nStatus: install ok installed\nVersion: 2.0-1\nArchitecture: amd64\n\n` }]) },
  ];
}

/** An inventory without what differs from run to run. */
function comparable(inv: Inventory): unknown {
  return { ...inv, scannedAt: undefined };
}

let dir: string;
const images: Record<string, string> = {};
beforeAll(async () => {
  requireComponent('zstd');
  dir = await mkdtemp(join(tmpdir(), 'vigil-inflate-'));
  for (const compression of ['gzip', 'zstd'] as const) {
    await writeLayout(join(dir, compression), layers(compression));
    images[compression] = `oci-dir:${join(dir, compression)}`;
    const [base, ...rest] = layers(compression);
    await writeLayout(join(dir, `${compression}-corrupt`), [base, { ...rest[0], corrupt: 'truncate' }, ...rest.slice(1)]);
    images[`${compression}-corrupt`] = `oci-dir:${join(dir, `${compression}-corrupt`)}`;
  }
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  delete process.env[INFLATE_ENV];
  resetInflaters();
});

describe.each(MODES.flatMap((mode) => [[mode, false] as const, ...(mode === 'builtin' ? [] : [[mode, true] as const])]))('layers inflated with VIGIL_INFLATE=%s, tool launcher %s', (mode, launcher) => {
  beforeAll(() => {
    if (mode !== 'builtin') requireComponent(mode === 'igzip' ? 'isal' : mode === 'unpigz' ? 'pigz' : 'zstd');
    useToolLauncher(launcher);
  });
  afterAll(() => useToolLauncher(false));
  function use(): void {
    process.env[INFLATE_ENV] = mode;
    resetInflaters();
  }

  it.each(['gzip', 'zstd'] as const)('gives the built-in inflaters’ inventory for %s layers', async (compression) => {
    process.env[INFLATE_ENV] = 'builtin';
    resetInflaters();
    const reference = await scanTarget(images[compression]);
    use();
    const inv = await scanTarget(images[compression]);
    expect(comparable(inv)).toEqual(comparable(reference));
    // Whiteouts applied in layer order: `gone` hidden, the opaque directory keeps only `new`.
    expect(inv.packages.map((p) => `${p.name}@${p.version}`).sort()).toEqual(['canary@1.0-1', 'later@2.0-1', 'new@2.0.0']);
  });

  it.each(['gzip', 'zstd'] as const)('fails a truncated %s layer, naming it', async (compression) => {
    use();
    const err = await scanTarget(images[`${compression}-corrupt`]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TargetError);
    expect((err as Error).message).toMatch(new RegExp(`layer 2 \\(sha256:[0-9a-f]{64}\\): cannot read layer: ${compression} data corrupt or truncated \\(\\w+: .+\\)$`));
  });
});
