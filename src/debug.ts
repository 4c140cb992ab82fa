/**
 * `--debug` diagnostics: one line each on standard error, off unless the CLI's `--debug` (or
 * `VIGIL_DEBUG=1`) turns them on. Kept dependency-free so that any module may report what it
 * chose (an inflater, a database path) without pulling a logger into the CLI's start-up.
 */
let enabled = process.env.VIGIL_DEBUG === '1';

/** Turns the diagnostics on or off for this process. */
export function setDebug(on: boolean): void {
  enabled = on;
}

/** True when `--debug` is on. */
export function debugEnabled(): boolean {
  return enabled;
}

/** Prints `vigil debug: MESSAGE {fields}` to standard error when `--debug` is on. */
export function debug(message: string, fields?: Record<string, unknown>): void {
  if (!enabled) return;
  process.stderr.write(`vigil debug: ${message}${fields ? ` ${JSON.stringify(fields)}` : ''}\n`);
}
