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
