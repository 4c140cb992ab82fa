/**
 * Layer inflation at the floor: the fastest gzip and zstd decoders present on this machine.
 * Intel ISA-L's `igzip` inflates about 4× faster than zlib, `unpigz` a little faster than zlib
 * (and off Node's thread pool); `zstd -dc` is several times faster than fzstd, the pure-JS
 * fallback. Each runs as a child process reading a blob file itself or fed the compressed
 * bytes on its standard input (as containerd does with unpigz), and writes into a Unix socket
 * read into one reused buffer; without one, Node's zlib (gzip) or fzstd (zstd) does the work.
 * The choice is made once per process, reported by `--debug`, and can be forced with
 * `VIGIL_INFLATE=builtin|igzip|unpigz|zstd` (`builtin` forces the in-process decoders for both).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Writable } from 'node:stream';
import { debug } from '../debug.js';

/** Who inflates gzip layers. */
export type GzipInflater = 'builtin' | 'igzip' | 'unpigz';
/** Who inflates zstd layers. */
export type ZstdInflater = 'builtin' | 'zstd';

/** The inflaters chosen for this process. */
export interface Inflaters {
  gzip: GzipInflater;
  zstd: ZstdInflater;
}

/** The environment variable that forces an inflater. */
export const INFLATE_ENV = 'VIGIL_INFLATE';

const GZIP_TOOLS: readonly Exclude<GzipInflater, 'builtin'>[] = ['igzip', 'unpigz'];
const OVERRIDES = ['builtin', 'igzip', 'unpigz', 'zstd'] as const;

/** Thrown for a `VIGIL_INFLATE` that names no inflater or one that is not installed. */
export class InflaterChoiceError extends Error {}

/** The absolute path of `command` on `PATH`, or undefined when it is not there (or not executable). */
export function findOnPath(command: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const full = join(dir, command);
    try {
      accessSync(full, constants.X_OK);
      return full;
    } catch {
      // Not in this directory.
    }
  }
  return undefined;
}

/**
 * Picks the inflaters for an environment: the override when `VIGIL_INFLATE` is set (it must be
 * installed), else the fastest tool present (igzip, then unpigz; zstd), else the built-in ones.
 */
export function chooseInflaters(env: NodeJS.ProcessEnv = process.env, present: (command: string) => boolean = (c) => findOnPath(c, env.PATH) !== undefined): Inflaters {
  const override = env[INFLATE_ENV]?.trim();
  const zstd: ZstdInflater = present('zstd') ? 'zstd' : 'builtin';
  if (!override || override === 'auto') {
    return { gzip: GZIP_TOOLS.find((tool) => present(tool)) ?? 'builtin', zstd };
  }
  if (!(OVERRIDES as readonly string[]).includes(override)) {
    throw new InflaterChoiceError(`${INFLATE_ENV}="${override}": expected one of auto, ${OVERRIDES.join(', ')}`);
  }
  if (override === 'builtin') return { gzip: 'builtin', zstd: 'builtin' };
  if (!present(override)) throw new InflaterChoiceError(`${INFLATE_ENV}=${override}: \`${override}\` is not on PATH`);
  if (override === 'zstd') return { gzip: GZIP_TOOLS.find((tool) => present(tool)) ?? 'builtin', zstd: 'zstd' };
  return { gzip: override as GzipInflater, zstd };
}

let chosen: Inflaters | undefined;

/** The inflaters of this process, chosen on first use and reported by `--debug`. */
export function inflaters(): Inflaters {
  if (!chosen) {
    chosen = chooseInflaters();
    debug('layer inflaters chosen', { ...chosen, override: process.env[INFLATE_ENV] ?? null });
  }
  return chosen;
}

/** Forgets the choice, so that the next layer chooses again (tests that change `VIGIL_INFLATE`). */
export function resetInflaters(): void {
  chosen = undefined;
}

/** Most of a failing tool's standard error kept for its message. */
const MAX_STDERR = 4096;

/**
 * The one buffer every tool's output is read into. Each read is handed to its consumer
 * synchronously, before the event loop reads anything else, so one buffer serves all tools at
 * once; reading into fresh 64 KiB chunks instead cost more in garbage collection than the
 * parsing itself.
 */
const OUTPUT_BUFFER = Buffer.allocUnsafe(1024 * 1024);

let socketDir: Promise<string> | undefined;

/** A private directory (mode 0700) for the sockets tools write into, removed when the process exits. */
function privateSocketDir(): Promise<string> {
  socketDir ??= mkdtemp(join(tmpdir(), 'vigil-inflate-')).then((dir) => {
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    return dir;
  });
  return socketDir;
}

let sockets = 0;

/** A connected pair of Unix sockets: `reader` reads into {@link OUTPUT_BUFFER}, `writer` is for a child process. */
async function socketPair(onChunk: (chunk: Buffer) => boolean): Promise<{ reader: Socket; writer: Socket }> {
  const path = join(await privateSocketDir(), `${process.pid}-${++sockets}.sock`);
  const server = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
    const accepted = new Promise<Socket>((resolve, reject) => {
      server.once('connection', resolve);
      server.once('error', reject);
    });
    const reader = connect({ path, onread: { buffer: OUTPUT_BUFFER, callback: (n: number, buffer: Uint8Array) => onChunk(buffer.subarray(0, n) as Buffer) } });
    const connected = new Promise<void>((resolve, reject) => {
      reader.once('connect', resolve);
      reader.once('error', reject);
    });
    const [writer] = await Promise.all([accepted, connected]);
    writer.pause();
    return { reader, writer };
  } finally {
    server.close();
    // Node removes the socket file on close; make sure of it whatever happened.
    rmSync(path, { force: true });
  }
}

/**
 * An inflater tool run as a child process (e.g. `igzip -dc`): fed a file descriptor or what is
 * written to {@link stdin}, it writes into a Unix socket whose bytes are read into one reused
 * buffer and handed to `onChunk` as they come (which must use them before returning; false
 * pauses the reading until {@link resume}). {@link done} settles only when the output has ended
 * and the tool has exited 0, so a layer corrupt past its last tar entry still fails, with the
 * tool's own words.
 */
export class ToolInflate {
  /** The tool's standard input, when it is not given a file. */
  readonly stdin?: Writable;
  /** Resolves when the output has ended and the tool exited 0; rejects with the tool's message otherwise. */
  readonly done: Promise<void>;
  private readonly child: ChildProcess;
  private exited = false;

  private constructor(
    /** The tool's name, for messages. */
    readonly tool: string,
    private readonly reader: Socket,
    writer: Socket,
    input: 'pipe' | number,
  ) {
    this.child = spawn(tool, ['-dc'], { stdio: [input, writer, 'pipe'] });
    // The child has its own copy; ours would keep the socket open after the tool exits.
    writer.destroy();
    const stdin = this.child.stdin ?? undefined;
    // A tool that exits early on bad input closes its input: the exit status says why, not EPIPE.
    stdin?.on('error', () => undefined);
    this.stdin = stdin;
    let stderr = '';
    this.child.stderr!.on('data', (chunk: Buffer) => {
      if (stderr.length < MAX_STDERR) stderr += chunk.toString('utf8');
    });
    const exit = new Promise<void>((resolve, reject) => {
      this.child.once('error', reject);
      this.child.once('close', (code, signal) => {
        this.exited = true;
        if (code === 0) resolve();
        else reject(new Error(stderr.trim().split('\n').slice(-3).join('; ') || (signal ? `killed by ${signal}` : `exit status ${code}`)));
      });
    });
    const ended = new Promise<void>((resolve, reject) => {
      reader.once('end', resolve);
      reader.once('error', reject);
    });
    this.done = Promise.all([exit, ended]).then(() => undefined);
    this.done.catch(() => undefined);
  }

  /** Starts `tool -dc` reading `input` (a file descriptor, or a pipe written through {@link stdin}). */
  static async start(tool: string, input: 'pipe' | number, onChunk: (chunk: Buffer) => boolean): Promise<ToolInflate> {
    const { reader, writer } = await socketPair(onChunk);
    return new ToolInflate(tool, reader, writer, input);
  }

  /** Reads on after `onChunk` returned false. */
  resume(): void {
    this.reader.resume();
  }

  /** Stops the tool and the reading (a failed or abandoned layer). */
  stop(): void {
    if (!this.exited) this.child.kill('SIGKILL');
    this.stdin?.destroy();
    this.reader.destroy();
  }
}

/** The tool chosen for `compression`, or undefined when the built-in inflater is. */
export function chosenTool(compression: 'gzip' | 'zstd'): Exclude<GzipInflater | ZstdInflater, 'builtin'> | undefined {
  const chosenTools = inflaters();
  const tool = compression === 'gzip' ? chosenTools.gzip : chosenTools.zstd;
  return tool === 'builtin' ? undefined : tool;
}
