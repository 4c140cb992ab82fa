import { describe, expect, it } from 'vitest';
import { BoundedCache } from '../src/bounded-cache.js';

describe('BoundedCache', () => {
  it('keeps at most its size and forgets the least recently used first', () => {
    const cache = new BoundedCache<number, string>(4);
    for (let i = 0; i < 4; i++) cache.set(i, `v${i}`);
    // 0 and 1 are the old generation now; using 0 promotes it.
    expect(cache.get(0)).toBe('v0');
    cache.set(4, 'v4');
    cache.set(5, 'v5');
    expect(cache.get(1)).toBeUndefined();
    expect(cache.get(0)).toBe('v0');
    const kept = [0, 1, 2, 3, 4, 5].filter((k) => cache.get(k) !== undefined);
    expect(kept.length).toBeLessThanOrEqual(4);
    expect(kept).toContain(5);
  });

  it('stores null as a value, distinct from a miss', () => {
    const cache = new BoundedCache<string, number | null>(10);
    cache.set('invalid', null);
    expect(cache.get('invalid')).toBeNull();
    expect(cache.get('absent')).toBeUndefined();
  });

  it('holds a bounded number of entries however many are set', () => {
    const cache = new BoundedCache<number, number>(1000);
    for (let i = 0; i < 100_000; i++) cache.set(i, i);
    let held = 0;
    for (let i = 0; i < 100_000; i++) if (cache.get(i) !== undefined) held++;
    expect(held).toBeLessThanOrEqual(1000);
    expect(held).toBeGreaterThanOrEqual(500);
  });
});
