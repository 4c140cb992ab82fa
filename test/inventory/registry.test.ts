/**
 * The extractor registry's conformance: every entry has a path-shaped unique id whose file
 * exists, a positive integer version, and answers `fileRequired` without throwing; the OS
 * extractors come first (the builder reads OS packages before language ones).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { extractors } from '../../src/inventory/registry.js';
import type { Extractor } from '../../src/inventory/types.js';

const root = fileURLToPath(new URL('../../src/inventory/extractors/', import.meta.url));

describe('extractor registry', () => {
  it('has unique ids', () => {
    const ids = extractors.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each(extractors.map((e): [string, Extractor] => [e.id, e]))('%s follows the contract', (id, e) => {
    expect(id).toMatch(/^[a-z0-9]+\/[a-z0-9-]+$/);
    expect(existsSync(`${root}${id}.ts`), `src/inventory/extractors/${id}.ts exists`).toBe(true);
    expect(Number.isInteger(e.version) && e.version > 0).toBe(true);
    expect(typeof e.fileRequired('/nothing/to/see.txt', 10)).toBe('boolean');
    expect(e.fileRequired('/', 0)).toBe(false);
    if (e.auxiliaryFile) expect(typeof e.auxiliaryFile('/nothing', 0)).toBe('boolean');
  });

  it('lists the OS package databases first', () => {
    expect(extractors.slice(0, 3).map((e) => e.id)).toEqual(['os/dpkg-status', 'os/apk-installed', 'os/rpm-db']);
  });
});
