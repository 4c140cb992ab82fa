/**
 * The agent runs beside the host's real work: it lowers its own CPU priority to the least
 * (nice 19) before walking. On Linux a nice value belongs to a thread, and `os.setPriority`
 * of the process id changes only the main thread, so every thread already running (V8's
 * and libuv's workers) is lowered by its id from `/proc/self/task`; threads started later
 * inherit the value from the thread that starts them.
 */
import { readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** The nice value the agent runs at. */
export const AGENT_NICE = 19;

/** Lowers this process (every thread of it) to `nice`; returns the main thread's nice value after. */
export function lowerPriority(nice = AGENT_NICE): number {
  let threads: string[] = [];
  try {
    threads = readdirSync('/proc/self/task');
  } catch {
    // Not Linux: the process id is the whole process.
  }
  for (const tid of threads) {
    try {
      // Never raise a thread that someone (systemd's Nice=, an operator) already lowered further.
      if (getPriority(Number(tid)) < nice) setPriority(Number(tid), nice);
    } catch {
      // A thread that ended meanwhile.
    }
  }
  if (getPriority() < nice) setPriority(nice);
  return getPriority();
}
