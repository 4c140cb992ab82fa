/**
 * The one table of system components the tests use (scripts/test-components.txt): npm
 * test's pretest (`install-test-deps.sh --ensure`) checks and installs from it, and
 * requireComponent() fails a test that needs a missing one, naming it. Never a silent skip.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readComponents, requireComponent } from '../helpers/components.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const script = join(root, 'scripts', 'install-test-deps.sh');
const work = mkdtempSync(join(tmpdir(), 'vigil-components-'));
const missingTable = join(work, 'missing.txt');
writeFileSync(missingTable, '# a component no machine has, beside one every Debian has\nno-such-package  no-such-command /no/such/*/file\ndpkg  dpkg\n');
// Readable by the unprivileged user the pretest case runs as.
chmodSync(work, 0o755);
afterAll(() => rmSync(work, { recursive: true, force: true }));

function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return testFiles(path);
    // The helper and this file name components only as examples.
    return path.endsWith('.ts') && !path.endsWith('helpers/components.ts') && !path.endsWith('test-components.test.ts') ? [path] : [];
  });
}

describe('the component table', () => {
  it('has every component on this machine (what the pretest checks)', () => {
    for (const c of readComponents()) expect(() => requireComponent(c.package)).not.toThrow();
    const check = spawnSync('bash', [script, '--check'], { encoding: 'utf8' });
    expect(check).toMatchObject({ status: 0, stderr: '' });
  });

  it('knows every component a test asks for', () => {
    const names = testFiles(join(root, 'test')).flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/requireComponent\(([^)]*)\)/g)].flatMap((m) => [...m[1].matchAll(/'([^']+)'/g)].map((q) => q[1])));
    expect(names.length).toBeGreaterThan(15);
    const table = readComponents();
    const unknown = names.filter((n) => !table.some((c) => c.package === n || c.probes.some((p) => p === n || p.endsWith(`/${n}`))));
    expect(unknown).toEqual([]);
  });
});

describe('a missing component', () => {
  it('fails the test that needs it, naming it, its package and the command to run', () => {
    process.env.VIGIL_TEST_COMPONENTS = missingTable;
    try {
      expect(() => requireComponent('no-such-command', 'dpkg')).toThrow(
        'this test needs no-such-command (Debian package no-such-package), which is missing: run `sudo bash scripts/install-test-deps.sh`',
      );
      expect(() => requireComponent('dpkg')).not.toThrow();
      expect(() => requireComponent('php')).toThrow(/requireComponent\('php'\): not in scripts\/test-components\.txt/);
    } finally {
      delete process.env.VIGIL_TEST_COMPONENTS;
    }
  });

  it('makes --check list it and fail', () => {
    const check = spawnSync('bash', [script, '--check'], { encoding: 'utf8', env: { ...process.env, VIGIL_TEST_COMPONENTS: missingTable } });
    expect(check.status).toBe(1);
    expect(check.stderr).toBe('missing test components (Debian package and what the tests use from it):\n  no-such-package (no-such-command /no/such/*/file)\n');
  });

  it('makes the pretest fail at once with the one command to run where it cannot install', () => {
    // As an unprivileged user without sudo (root here runs it as nobody).
    const asRoot = process.getuid?.() === 0;
    const env = { ...process.env, VIGIL_TEST_COMPONENTS: missingTable };
    const res = asRoot
      ? spawnSync('su', ['nobody', '-s', '/bin/bash', '-c', `VIGIL_TEST_COMPONENTS=${missingTable} bash ${script} --ensure`], { encoding: 'utf8' })
      : spawnSync('bash', [script, '--ensure'], { encoding: 'utf8', env });
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(/no-such-package \(no-such-command/);
    expect(res.stderr).toMatch(/\n {2}sudo bash scripts\/install-test-deps\.sh\n$/);
  });
});
