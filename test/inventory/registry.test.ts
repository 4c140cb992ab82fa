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

  // Paths each extractor family wants, and some no one does: a walk skips the stat of a file
  // that `mayRequire` (or, without it, `fileRequired` at size 0) refuses, so an extractor whose
  // answer depends on size or mode must say so through `mayRequire`.
  const samplePaths = [
    '/var/lib/dpkg/status', '/var/lib/dpkg/info/bash.list', '/lib/apk/db/installed', '/var/lib/rpm/rpmdb.sqlite',
    '/srv/app/node_modules/left-pad/package.json', '/srv/app/package-lock.json', '/srv/app/yarn.lock', '/srv/app/pnpm-lock.yaml',
    '/usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA', '/srv/app/requirements.txt', '/srv/app/poetry.lock',
    '/srv/app/go.mod', '/srv/app/go.sum', '/usr/local/bin/kubectl', '/usr/bin/rg', '/opt/app/server', '/opt/app/run.exe',
    '/srv/app/lib/app.jar', '/srv/app/pom.xml', '/srv/app/Cargo.lock', '/srv/app/Gemfile.lock', '/srv/app/composer.lock',
    '/usr/share/doc/bash/README', '/usr/share/man/man1/ls.1.gz', '/srv/app/src/index.ts', '/srv/app/data.bin',
    '/opt/tool/run.py', '/opt/rust/share/doc/rust/html/index.html', '/usr/lib/libfoo.so.1', '/srv/app/Cargo.toml',
  ]; // prettier-ignore

  it.each(extractors.map((e): [string, Extractor] => [e.id, e]))('%s may be asked for a path before the stat', (_id, e) => {
    for (const path of samplePaths) {
      const wanted = [0, 1, 600 * 1024, 2 ** 30].some((size) => [undefined, 0o644, 0o755].some((mode) => e.fileRequired(path, size, mode) || (e.auxiliaryFile?.(path, size) ?? false)));
      const asked = e.mayRequire ? e.mayRequire(path) : e.fileRequired(path, 0) || (e.auxiliaryFile?.(path, 0) ?? false);
      if (wanted) expect(asked, `${path} is wanted at some size or mode`).toBe(true);
    }
  });

  it('lists the OS package databases first', () => {
    expect(extractors.slice(0, 3).map((e) => e.id)).toEqual(['os/dpkg-status', 'os/apk-installed', 'os/rpm-db']);
  });
});
