/**
 * Layer inflation at the floor: the fastest gzip and zstd decoders present on this machine.
 * Intel ISA-L's `igzip` inflates about 4× faster than zlib, `unpigz` a little faster than zlib
 * (and off Node's thread pool); `zstd -dc` is several times faster than fzstd, the pure-JS
 * fallback. Each runs as a child process (of this one, or in long-lived processes of the tool
 * launcher, `tool-launcher.ts`) reading a blob file itself or fed the compressed bytes on its
 * standard input (as containerd does with unpigz), and writes into a Unix socket read into one
 * reused buffer; without one, Node's zlib (gzip) or fzstd (zstd) does the work.
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
import { launchTool, MAX_STDERR, toolLauncherOn } from './tool-launcher.js';

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

/**
 * The one buffer every tool's output is read into. Each read is handed to its consumer
 * synchronously, before the event loop reads anything else, so one buffer serves all tools at
 * once; reading into fresh 64 KiB chunks instead cost more in garbage collection than the
 * parsing itself.
 */
const OUTPUT_BUFFER = Buffer.allocUnsafe(1024 * 1024);

/**
 * A connected pair of Unix sockets: `ours` for this process (reading into {@link OUTPUT_BUFFER}
 * with `onChunk`, or writing), `theirs` for a child process. The listening socket lives in a
 * private directory (mode 0700) only until the two connect: a process killed at any other time
 * leaves nothing behind in the temporary directory.
 */
async function socketPair(onChunk?: (chunk: Buffer) => boolean): Promise<{ ours: Socket; theirs: Socket }> {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-inflate-'));
  const path = join(dir, 'tool.sock');
  // Paused: bytes this process writes into a tool's input must wait for the tool, not be read here.
  const server = createServer({ pauseOnConnect: true });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
    const accepted = new Promise<Socket>((resolve, reject) => {
      server.once('connection', resolve);
      server.once('error', reject);
    });
    const ours = connect(onChunk ? { path, onread: { buffer: OUTPUT_BUFFER, callback: (n: number, buffer: Uint8Array) => onChunk(buffer.subarray(0, n) as Buffer) } } : { path });
    const connected = new Promise<void>((resolve, reject) => {
      ours.once('connect', resolve);
      ours.once('error', reject);
    });
    const [theirs] = await Promise.all([accepted, connected]);
    return { ours, theirs };
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A started tool: its input when fed, how it ended, and how to stop it. */
interface RunningTool {
  stdin?: Writable;
  /** Resolves when the tool exits 0; rejects with its own words (or why it could not start) otherwise. */
  exit: Promise<void>;
  kill(): void;
}

/** Why a tool failed: the last lines of its standard error, else its status. */
function toolFailure(stderr: string, status: number | null, signal: NodeJS.Signals | null): Error {
  return new Error(stderr.trim().split('\n').slice(-3).join('; ') || (signal ? `killed by ${signal}` : `exit status ${status}`));
}

/** `tool -dc` spawned by this process. */
function spawnTool(tool: string, input: 'pipe' | number, output: Socket): RunningTool {
  const child: ChildProcess = spawn(tool, ['-dc'], { stdio: [input, output, 'pipe'] });
  // The child has its own copy; ours would keep the socket open after the tool exits.
  output.destroy();
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    if (stderr.length < MAX_STDERR) stderr += chunk.toString('utf8');
  });
  let exited = false;
  const exit = new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status, signal) => {
      exited = true;
      if (status === 0) resolve();
      else reject(toolFailure(stderr, status, signal));
    });
  });
  return { stdin: child.stdin ?? undefined, exit, kill: () => void (exited || child.kill('SIGKILL')) };
}

/** `tool -dc` started by the launcher, or undefined when it is off. */
async function launchedTool(tool: string, input: 'pipe' | number, output: Socket): Promise<RunningTool | undefined> {
  if (!toolLauncherOn()) return undefined;
  const fed = input === 'pipe' ? await socketPair() : undefined;
  const launched = launchTool(tool, ['-dc'], fed ? fed.theirs : (input as number), output);
  if (!launched) {
    fed?.ours.destroy();
    fed?.theirs.destroy();
    return undefined;
  }
  // Once started, the tool has its own copy of a blob's descriptor, which this process may close.
  await launched.started.catch(() => undefined);
  const exit = launched.exit.then(({ status, signal, stderr }) => {
    if (status !== 0) throw toolFailure(stderr, status, signal);
  });
  return { ...(fed ? { stdin: fed.ours } : {}), exit, kill: () => launched.kill() };
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

  private constructor(
    /** The tool's name, for messages. */
    readonly tool: string,
    private readonly reader: Socket,
    private readonly running: RunningTool,
  ) {
    const stdin = running.stdin;
    // A tool that exits early on bad input closes its input: the exit status says why, not EPIPE.
    stdin?.on('error', () => undefined);
    this.stdin = stdin;
    const ended = new Promise<void>((resolve, reject) => {
      reader.once('end', resolve);
      reader.once('error', reject);
    });
    this.done = Promise.all([running.exit, ended]).then(() => undefined);
    this.done.catch(() => undefined);
  }

  /**
   * Starts `tool -dc` reading `input` (a file descriptor, or a pipe written through {@link stdin}),
   * through the launcher when it is on ({@link useToolLauncher}).
   */
  static async start(tool: string, input: 'pipe' | number, onChunk: (chunk: Buffer) => boolean): Promise<ToolInflate> {
    const { ours, theirs } = await socketPair(onChunk);
    const running = (await launchedTool(tool, input, theirs)) ?? spawnTool(tool, input, theirs);
    return new ToolInflate(tool, ours, running);
  }

  /** Reads on after `onChunk` returned false. */
  resume(): void {
    this.reader.resume();
  }

  /** Stops the tool and the reading (a failed or abandoned layer). */
  stop(): void {
    this.running.kill();
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
