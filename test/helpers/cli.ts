import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Result of one `vigil` invocation. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** The signal that ended the process, when one did (a crash, or the timeout's kill). */
  signal?: string;
  /** True when the run outlived `timeoutMs` and was killed. */
  timedOut?: boolean;
  /** Peak resident memory of the process, with `measureMemory` (from `/usr/bin/time`). */
  peakRssBytes?: number;
}

/** Options of {@link runVigil}. */
export interface RunOptions {
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Measure the peak RSS of the process (runs it under GNU `/usr/bin/time`). */
  measureMemory?: boolean;
  /** Kill the process (and its children) after this long. */
  timeoutMs?: number;
  /** Run the built CLI (`bin/vigil.js`, which `node scripts/build-cli.mjs` builds) instead of the sources. */
  bundle?: boolean;
}

let runs = 0;

/**
 * Runs the real `vigil` CLI from source (through tsx), or built with `bundle`, as a child
 * process, as a user would, with optional standard input and environment.
 */
export function runVigil(args: string[], opts: RunOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const program = opts.bundle ? [`${root}/bin/vigil.js`] : ['--import', 'tsx', `${root}/src/cli/main.ts`];
    let command = [process.execPath, ...program, ...args];
    const timeFile = opts.measureMemory ? join(tmpdir(), `vigil-time-${process.pid}-${++runs}`) : undefined;
    if (timeFile) command = ['/usr/bin/time', '-o', timeFile, '-f', '%M', ...command];
    const child = spawn(command[0], command.slice(1), {
      cwd: opts.cwd ?? root,
      env: { ...process.env, VIGIL_LOG_LEVEL: 'silent', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      // Its own process group, so a timeout ends the CLI under `time` too.
      detached: opts.timeoutMs !== undefined,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer =
      opts.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            if (child.pid) process.kill(-child.pid, 'SIGKILL');
          }, opts.timeoutMs);
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const result: CliResult = { code: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
      if (signal) result.signal = signal;
      if (timedOut) result.timedOut = true;
      if (timeFile) {
        // GNU time writes "Command terminated by signal N" (or "… exited with non-zero status N") before the format line.
        let report: string[] = [];
        try {
          report = readFileSync(timeFile, 'utf8').trim().split('\n');
        } catch {
          // `time` itself was killed (timeout) before it could report.
        }
        rmSync(timeFile, { force: true });
        const bySignal = /terminated by signal (\d+)/.exec(report.join('\n'));
        if (bySignal) result.signal = `signal ${bySignal[1]}`;
        const kib = Number(report[report.length - 1]);
        if (Number.isFinite(kib)) result.peakRssBytes = kib * 1024;
      }
      resolve(result);
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** Absolute path of the shared, read-only data folder (`../shared` beside the clone). */
export const sharedDir = process.env.VIGIL_SHARED_DIR ?? fileURLToPath(new URL('../../../shared', import.meta.url));
