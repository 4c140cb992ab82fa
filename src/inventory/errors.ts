/** Thrown for a target that cannot be read at all (missing, malformed, wrong digest); names the input. */
export class TargetError extends Error {
  constructor(
    /** The target or blob the problem is about, as the user would recognise it. */
    readonly input: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${input}: ${reason}`, options);
    this.name = 'TargetError';
  }
}

/** The first line of an error's message, for warnings. */
export function describeError(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0] : String(err);
}

/**
 * A JSON syntax error without the excerpt of the input V8 quotes in it (`Unexpected token
 * 'H', "HTTP/1.1 4"... is not valid JSON`): documents may come from a server the caller
 * should not be able to read through us.
 */
export function describeJsonError(err: unknown): string {
  const message = describeError(err);
  const quoted = message.search(/,? *"[\s\S]*" ?(?:\.\.\.)? is not valid JSON$/);
  return quoted > 0 ? message.slice(0, quoted) : quoted === 0 ? 'not valid JSON' : message;
}
