/**
 * Standard output of the commands: a whole answer written in one go, and output to a reader
 * that may close the pipe early.
 */
// Not `import … from 'node:fs'`: Node's ES module view of a built-in module reads every export,
// and `fs`'s stream classes are getters that load Node's stream modules (~1.5 ms of a start).
const { writeSync } = process.getBuiltinModule('node:fs');

/** Where {@link writeWholeOutput} hands what it could not write. */
interface Fallback {
  write(chunk: Uint8Array): unknown;
}

/**
 * Writes `text` straight to file descriptor `fd` (standard output by default): creating
 * `process.stdout` for a pipe loads Node's network and stream modules, a few milliseconds that
 * a one-line answer (`vigil version compare`, `--version`) would otherwise spend on them. On any
 * error (a full non-blocking pipe, a reader that has gone) what is left goes to `fallback`
 * (`process.stdout`, through {@link writeStdout}). Only for output that nothing in the
 * process writes before it: anything already queued on `process.stdout` would come after.
 */
export function writeWholeOutput(text: string, fd = 1, fallback?: Fallback): void {
  const bytes = Buffer.from(text, 'utf8');
  let written = 0;
  try {
    while (written < bytes.length) written += writeSync(fd, bytes, written);
  } catch {
    // Read only here: reading `process.stdout` creates it.
    const rest = bytes.subarray(written);
    if (fallback) fallback.write(rest);
    else writeStdout(rest);
  }
}

let pipeWatched = false;

/**
 * Writes to standard output. A reader that closes the pipe early (`vigil scan … | head`) made it
 * its choice to read no more: the process ends with the exit code its command chose (1 only for
 * `--fail-on`), without a stack trace, not as a failure of its own.
 */
export function writeStdout(text: string | Uint8Array): void {
  if (!pipeWatched) {
    pipeWatched = true;
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
      throw err;
    });
  }
  process.stdout.write(text);
}
