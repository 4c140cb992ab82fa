/**
 * The load other processes put on the machine: the 1-minute load average less this process's
 * own share of it. The load average counts this process's threads too, so a server that has
 * just stored a fleet's first reports (or a bench that has just seeded its database) would read
 * its own work as a busy machine and keep a job on one thread while a core stands idle.
 */
import { loadavg } from 'node:os';

/** The kernel's time constant of the 1-minute load average. */
const TAU_MS = 60_000;
const SAMPLE_MS = 5_000;
/** Three minutes of samples: CPU time older than that weighs under e⁻³ in the average. */
const KEEP = (3 * TAU_MS) / SAMPLE_MS;

export interface Sample {
  /** Wall time, ms. */
  at: number;
  /** CPU time of every thread of this process so far, ms. */
  cpuMs: number;
}

const samples: Sample[] = [];
let timer: NodeJS.Timeout | undefined;

function sample(): Sample {
  const used = process.cpuUsage();
  return { at: performance.timeOrigin + performance.now(), cpuMs: (used.user + used.system) / 1000 };
}

/**
 * Samples this process's CPU time every 5 s (as the kernel samples the load), so that
 * {@link ownLoad} knows when in the last minutes the process worked. Without samples it knows
 * only the average since the process started. Idempotent; the timer never keeps the process alive.
 */
export function sampleOwnLoad(): void {
  if (timer) return;
  samples.push(sample());
  timer = setInterval(() => {
    samples.push(sample());
    if (samples.length > KEEP) samples.shift();
  }, SAMPLE_MS);
  timer.unref();
}

/**
 * This process's share of the 1-minute load average: its CPU use (threads running, on average)
 * in each interval between samples, weighted as the kernel's exponential average weighs that
 * interval. CPU time counts the threads that ran, not those that waited for a core, so this is
 * at most the process's share: what is left over is not under-counted.
 */
export function ownLoad(): number {
  const now = sample();
  const started = { at: now.at - process.uptime() * 1000, cpuMs: 0 };
  return loadShare([started, ...samples.filter((s) => s.at > started.at && s.at < now.at), now]);
}

/** The share of the load average at the last of `points` (oldest first) that their CPU time makes. */
export function loadShare(points: readonly Sample[]): number {
  const now = points[points.length - 1]!.at;
  let load = 0;
  for (let i = 1; i < points.length; i++) {
    const from = points[i - 1]!;
    const to = points[i]!;
    const span = to.at - from.at;
    if (span <= 0) continue;
    const threads = (to.cpuMs - from.cpuMs) / span;
    load += threads * (Math.exp(-(now - to.at) / TAU_MS) - Math.exp(-(now - from.at) / TAU_MS));
  }
  return load;
}

/** The 1-minute load average less {@link ownLoad}: what other processes keep busy. */
export function othersLoad(): number {
  return Math.max(0, loadavg()[0]! - ownLoad());
}
