/**
 * The system components tests use (php, rpm, sshd, docker-registry, PostgreSQL, Chromium…),
 * from the one table `scripts/test-components.txt` that `npm test`'s pretest checks and
 * `scripts/install-test-deps.sh` installs. A test that needs one calls
 * `requireComponent('php')` first: when it is missing, the test fails naming it and the
 * command that installs it, instead of `spawn php ENOENT` deep inside, and never skips.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One line of the table: a Debian package and what the tests use from it. */
export interface Component {
  package: string;
  probes: string[];
}

/** Reads a component table (`package probe…` per line, `#` comments). */
export function readComponents(file = process.env.VIGIL_TEST_COMPONENTS ?? fileURLToPath(new URL('../../scripts/test-components.txt', import.meta.url))): Component[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter(Boolean)
    .map((line) => {
      const [pkg, ...probes] = line.split(/\s+/);
      return { package: pkg, probes };
    });
}

/** Paths matching an absolute pattern whose `*` segments match one directory entry each. */
function expand(pattern: string): string[] {
  let paths = ['/'];
  for (const part of pattern.split('/').filter(Boolean)) {
    paths = paths.flatMap((dir) => {
      if (!part.includes('*')) return [join(dir, part)];
      const re = new RegExp(`^${part.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
      try {
        return readdirSync(dir)
          .filter((name) => re.test(name))
          .map((name) => join(dir, name));
      } catch {
        return [];
      }
    });
  }
  return paths.filter((p) => existsSync(p));
}

function isExecutable(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** True when a probe is there: an absolute path (pattern) exists, or a command is on PATH or in /usr/sbin. */
export function probePresent(probe: string): boolean {
  if (probe.startsWith('/')) return expand(probe).length > 0;
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), '/usr/sbin', '/sbin'];
  return dirs.some((dir) => isExecutable(join(dir, probe)));
}

/**
 * Fails the calling test (or hook) when a component it needs is missing, naming it, its
 * Debian package and the command that installs it. A name is a probe (`php`, `sshd`,
 * `initdb`, or an absolute path) or a package (`postgresql`).
 */
export function requireComponent(...names: string[]): void {
  const table = readComponents();
  const missing: string[] = [];
  for (const name of names) {
    const component = table.find((c) => c.package === name || c.probes.some((p) => p === name || p.endsWith(`/${name}`)));
    if (!component) throw new Error(`requireComponent('${name}'): not in scripts/test-components.txt; add the Debian package that provides it there`);
    const probes = component.package === name ? component.probes : component.probes.filter((p) => p === name || p.endsWith(`/${name}`));
    const absent = probes.filter((p) => !probePresent(p));
    if (absent.length > 0) missing.push(`${absent.join(', ')} (Debian package ${component.package})`);
  }
  if (missing.length > 0) {
    throw new Error(`this test needs ${missing.join(' and ')}, which is missing: run \`sudo bash scripts/install-test-deps.sh\` (npm test's pretest does it on Debian when it can)`);
  }
}
