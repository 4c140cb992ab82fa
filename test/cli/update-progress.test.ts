import { describe, expect, it } from 'vitest';
import { progressLog } from '../../src/cli/update-progress.js';
import type { UpdateProgress } from '../../src/vulndb/update.js';

describe('db update progress when stderr is not a terminal', () => {
  it("logs each unit's first event and outcome, and in between one line per unit every interval", () => {
    const lines: string[] = [];
    let t = 0;
    const log = progressLog((l) => lines.push(l), 10_000, () => t);
    const events: [number, UpdateProgress][] = [
      [0, { phase: 'download', unit: 'osv=x/npm', received: 0, total: 4 * 1048576 }],
      [2_000, { phase: 'download', unit: 'osv=x/npm', received: 1048576, total: 4 * 1048576 }],
      // Another unit is not held back by the first one's interval; no total: a byte count, no percentage.
      [3_000, { phase: 'download', unit: 'epss=y', received: 524288 }],
      [10_500, { phase: 'download', unit: 'osv=x/npm', received: 3 * 1048576, total: 4 * 1048576 }],
      [12_000, { phase: 'import', unit: 'osv=x/npm', records: 1200 }],
      [14_000, { phase: 'done', unit: 'osv=x/npm', status: 'updated' }],
      [15_000, { phase: 'done', unit: 'epss=y', status: 'failed' }],
    ];
    for (const [at, p] of events) {
      t = at;
      log.update(p);
    }
    expect(lines).toEqual([
      'vigil: db update: osv=x/npm: downloading, 0.0 MiB of 4.0 MiB (0%)\n',
      'vigil: db update: epss=y: downloading, 0.5 MiB so far\n',
      'vigil: db update: osv=x/npm: downloading, 3.0 MiB of 4.0 MiB (75%)\n',
      'vigil: db update: osv=x/npm: updated\n',
      'vigil: db update: epss=y: failed\n',
    ]);
  });
});
