/** Prints one benchmark figure with its goal, and whether the goal was met. */
export function report(label: string, value: number, unit: string, goal?: { atMost?: number; atLeast?: number }): void {
  const shown = Number.isInteger(value) ? value.toLocaleString('en-US') : value.toFixed(value < 10 ? 3 : 1);
  let verdict = '';
  if (goal?.atMost !== undefined) verdict = value <= goal.atMost ? `  (goal ≤ ${goal.atMost}: met)` : `  (goal ≤ ${goal.atMost}: MISSED)`;
  if (goal?.atLeast !== undefined) verdict = value >= goal.atLeast ? `  (goal ≥ ${goal.atLeast}: met)` : `  (goal ≥ ${goal.atLeast}: MISSED)`;
  console.log(`  ${label}: ${shown} ${unit}${verdict}`);
}

/** Runs `fn` and returns its wall time in milliseconds. */
export async function timeIt(fn: () => unknown): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}
