/**
 * `npm run bench`: runs every benchmark in `benches` (or those named on the command line)
 * and prints its figures. Goals are checked here, never in timed unit tests.
 */
import { benches } from './benches.js';

const wanted = process.argv.slice(2);
for (const bench of benches) {
  if (wanted.length > 0 && !wanted.includes(bench.name)) continue;
  console.log(`\n## ${bench.name}`);
  const started = performance.now();
  try {
    await bench.run();
  } catch (err) {
    process.exitCode = 1;
    console.log(`  FAILED: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  }
  console.log(`  (${((performance.now() - started) / 1000).toFixed(1)} s)`);
}
