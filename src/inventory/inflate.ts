/**
 * Layer inflation at the floor: the fastest gzip and zstd decoders present on this machine.
 * Intel ISA-L's `igzip` inflates about 4× faster than zlib, `unpigz` a little faster than zlib
 * (and off Node's thread pool); `zstd -dc` is several times faster than fzstd, the pure-JS
 * fallback. Each runs as a child process fed the compressed bytes on its standard input, as
 * containerd does with unpigz; without one, Node's zlib (gzip) or fzstd (zstd) does the work.
 * The choice is made once per process, reported by `--debug`, and can be forced with
 * `VIGIL_INFLATE=builtin|igzip|unpigz|zstd` (`builtin` forces the in-process decoders for both).
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { Duplex, type Readable, type Writable } from 'node:stream';
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
 * A Duplex that pipes compressed bytes through `command` (e.g. `igzip -dc`) and yields what it
 * writes. The end of the output waits for the tool's exit status, so a layer that is corrupt
 * past the last tar entry still fails the read with the tool's own message. Given a file
 * descriptor, the tool reads the file itself (its standard input is the file) and nothing is
 * written to the Duplex: no compressed byte then passes through Node.
 */
export class ChildInflate extends Duplex {
  private readonly child: ChildProcessByStdio<Writable | null, Readable, Readable>;
  private stderr = '';
  private exited = false;

  constructor(
    /** The tool's name, for messages. */
    readonly tool: string,
    args: readonly string[],
    /** A file descriptor to read from, positioned at the start of the compressed bytes; else a pipe written through the Duplex. */
    input: 'pipe' | number = 'pipe',
  ) {
    super();
    this.child = spawn(tool, args, { stdio: [input, 'pipe', 'pipe'] }) as ChildProcessByStdio<Writable | null, Readable, Readable>;
    const { stdin, stdout, stderr } = this.child;
    // A tool that exits early on bad input closes its input: the exit status says why, not EPIPE.
    stdin?.on('error', () => undefined);
    if (!stdin) this.end();
    stdout.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) stdout.pause();
    });
    stderr.on('data', (chunk: Buffer) => {
      if (this.stderr.length < MAX_STDERR) this.stderr += chunk.toString('utf8');
    });
    this.child.on('error', (err) => this.destroy(err));
    this.child.on('close', (code, signal) => {
      this.exited = true;
      if (this.destroyed) return;
      if (code === 0) {
        this.push(null);
        return;
      }
      const why = this.stderr.trim().split('\n').slice(-3).join('; ') || (signal ? `killed by ${signal}` : `exit status ${code}`);
      this.destroy(new Error(why));
    });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    const stdin = this.child.stdin;
    if (this.exited || !stdin || stdin.destroyed) {
      // The tool is gone (it rejected the input); its exit status reports it.
      cb();
      return;
    }
    if (stdin.write(chunk)) cb();
    else stdin.once('drain', () => cb());
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.child.stdin?.end();
    cb();
  }

  override _read(): void {
    this.child.stdout.resume();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (!this.exited) this.child.kill('SIGKILL');
    cb(err);
  }
}

/** The tool chosen for `compression`, or undefined when the built-in inflater is. */
export function chosenTool(compression: 'gzip' | 'zstd'): Exclude<GzipInflater | ZstdInflater, 'builtin'> | undefined {
  const chosenTools = inflaters();
  const tool = compression === 'gzip' ? chosenTools.gzip : chosenTools.zstd;
  return tool === 'builtin' ? undefined : tool;
}

/**
 * A child-process inflater for `compression` (reading `input`, a file descriptor, or what is
 * written to it), or undefined when the built-in one is chosen.
 */
export function toolInflater(compression: 'gzip' | 'zstd', input: 'pipe' | number = 'pipe'): ChildInflate | undefined {
  const tool = chosenTool(compression);
  return tool ? new ChildInflate(tool, ['-dc'], input) : undefined;
}
