import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, resolveLimits } from '../../src/inventory/limits.js';

describe('scan limits', () => {
  it('defaults decompression to 32 GiB: above the largest real images (15–25 GB), not the 64 GiB a bomb could make a scan unpack', () => {
    expect(resolveLimits().maxDecompressedBytes).toBe(32 * 1024 ** 3);
  });

  it('bounds entry names as Linux does (PATH_MAX) and their depth', () => {
    expect(DEFAULT_LIMITS).toMatchObject({ maxPathBytes: 4096, maxPathDepth: 256 });
  });

  it('takes overrides and refuses limits that are not positive numbers', () => {
    expect(resolveLimits({ maxDecompressedBytes: 100 * 1024 ** 3 }).maxDecompressedBytes).toBe(100 * 1024 ** 3);
    expect(() => resolveLimits({ maxPathDepth: 0 })).toThrow('limit maxPathDepth must be a positive number, got 0');
    expect(() => resolveLimits({ maxDecompressedBytes: Number.NaN })).toThrow(/maxDecompressedBytes must be a positive number/);
  });
});
