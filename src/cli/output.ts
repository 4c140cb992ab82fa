/**
 * A command's whole standard output, written in one go.
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
 * (`process.stdout`), which reports it as it always has. Only for output that nothing in the
 * process writes before it: anything already queued on `process.stdout` would come after.
 */
export function writeWholeOutput(text: string, fd = 1, fallback?: Fallback): void {
  const bytes = Buffer.from(text, 'utf8');
  let written = 0;
  try {
    while (written < bytes.length) written += writeSync(fd, bytes, written);
  } catch {
    // Read only here: reading `process.stdout` creates it.
    (fallback ?? process.stdout).write(bytes.subarray(written));
  }
}
