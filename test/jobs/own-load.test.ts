/**
 * This process's share of the load average: CPU time weighted as the kernel's 1-minute
 * exponential average weighs it, so the matching worker's idle-core rule can leave it out.
 */
import { describe, expect, it } from 'vitest';
import { loadShare, ownLoad, type Sample } from '../../src/jobs/own-load.js';

const MIN = 60_000;
/** Samples every 5 s over `minutes`, with `threads(t)` running at minute t. */
function history(minutes: number, threads: (minute: number) => number): Sample[] {
  const points: Sample[] = [{ at: 0, cpuMs: 0 }];
  for (let at = 5_000; at <= minutes * MIN; at += 5_000) {
    const last = points[points.length - 1]!;
    points.push({ at, cpuMs: last.cpuMs + threads((at - 2_500) / MIN) * 5_000 });
  }
  return points;
}

describe("the process's share of the load average", () => {
  it('is the number of threads that ran steadily for long', () => {
    expect(loadShare(history(10, () => 1))).toBeCloseTo(1, 3);
    expect(loadShare(history(10, () => 2))).toBeCloseTo(2, 3);
  });

  it('weighs recent work as the kernel does: the last minute alone is 1 − 1/e of it, a minute idle since leaves 1/e', () => {
    expect(loadShare(history(10, (t) => (t > 9 ? 1 : 0)))).toBeCloseTo(1 - Math.exp(-1), 3);
    expect(loadShare(history(10, (t) => (t < 9 ? 1 : 0)))).toBeCloseTo(Math.exp(-1) * (1 - Math.exp(-9)), 3);
  });

  it('spreads CPU time evenly over an interval without samples', () => {
    // Ten minutes of one thread seen only as an average over twenty minutes: half a thread throughout.
    expect(loadShare([{ at: 0, cpuMs: 0 }, { at: 20 * MIN, cpuMs: 10 * MIN }])).toBeCloseTo(0.5 * (1 - Math.exp(-20)), 3);
    expect(loadShare([{ at: 0, cpuMs: 0 }])).toBe(0);
  });

  it("reads this process's CPU time", () => {
    const before = ownLoad();
    const until = performance.now() + 300;
    while (performance.now() < until);
    expect(ownLoad()).toBeGreaterThan(before);
  });
});
