import { describe, expect, it } from 'vitest';
import type { Inventory } from '../../src/inventory/types.js';
import { runScan, runScanYielding } from '../../src/matching/engine.js';
import { advisory, tinyAdvisoryDb } from '../helpers/tiny-advisory-db.js';

// One advisory per vulnerable package, so matching and scoring both have work to do.
const index = tinyAdvisoryDb(Array.from({ length: 2000 }, (_, i) => advisory(`GHSA-y${i}`, 'npm', `dep-${i}`, [[{ introduced: '0' }, { fixed: '2.0.0' }]], { aliases: [`CVE-2026-${10000 + i}`] })));

function inventory(packages: number): Inventory {
  return {
    schemaVersion: 1,
    target: { type: 'dir', name: 'app' },
    packages: Array.from({ length: packages }, (_, i) => ({ ecosystem: 'npm', purlType: 'npm', name: `dep-${i}`, version: '1.0.0', purl: `pkg:npm/dep-${i}@1.0.0`, locations: ['/app/package-lock.json'] })),
    warnings: [],
    partial: false,
  } as unknown as Inventory;
}

describe('runScanYielding', () => {
  it('lets timers run while it matches a large inventory, and gives the same result as runScan', async () => {
    const inv = inventory(20_000);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const started = performance.now();
    const yielded = await runScanYielding(inv, index);
    const ms = performance.now() - started;
    clearInterval(timer);
    // A scan that held the event loop would let no timer fire before it ended.
    expect(ticks).toBeGreaterThan(ms / 200);
    expect(yielded.result).toEqual(runScan(inv, index).result);
    expect(yielded.result.findings).toHaveLength(2000);
  });

  it('stops at an aborted signal', async () => {
    await expect(runScanYielding(inventory(20_000), index, {}, AbortSignal.abort(new Error('stop')))).rejects.toThrow('stop');
  });
});
