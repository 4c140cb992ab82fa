/** A total deadline for long outbound work (pulls). */

/**
 * Runs a pull under a total deadline (besides the caller's signal), so a registry that
 * answers one byte a second cannot hold it for long; the error names the setting.
 */
export async function withDeadline<T>(ms: number, signal: AbortSignal | undefined, run: (signal: AbortSignal) => Promise<T>, setting = 'VIGIL_JOB_PULL_TIMEOUT_SECONDS'): Promise<T> {
  const deadline = AbortSignal.timeout(ms);
  try {
    return await run(signal ? AbortSignal.any([signal, deadline]) : deadline);
  } catch (err) {
    if (deadline.aborted && !signal?.aborted) throw new Error(`the pull did not finish within ${ms / 1000} s (${setting})`);
    throw err;
  }
}

