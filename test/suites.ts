/**
 * Which test files are unit tests (`npm run test:quick`) and which are integration tests
 * (only in `npm test`), decided from what a file uses rather than from a list to keep up:
 * a test file is an integration test when it, or a test module it imports (transitively,
 * type-only imports aside), imports one of INTEGRATION_MARKERS — the helper every real
 * component goes through (`requireComponent`), the real CLI run as a child process
 * (`runVigil`), or the full import of the shared advisory data. Everything else runs in
 * process on fixtures and tiny advisory sets.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** Test modules whose use makes a test file an integration test (paths under test/). */
export const INTEGRATION_MARKERS = ['helpers/components.ts', 'helpers/cli.ts#runVigil', 'vulndb/shared-db.ts'];

function listTests(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return listTests(path);
    return /\.test\.tsx?$/.test(name) ? [path] : [];
  });
}

/** The test modules a file imports (relative, not type-only), as absolute `.ts` paths with the names imported. */
function importsOf(file: string): { path: string; names: string[] }[] {
  const text = readFileSync(file, 'utf8');
  const out: { path: string; names: string[] }[] = [];
  for (const m of text.matchAll(/^import\s+(?!type\b)([^;]*?)\s*from\s*'(\.{1,2}\/[^']+)';/gms)) {
    const path = resolve(dirname(file), m[2].replace(/\.js$/, '.ts'));
    const names = [...m[1].matchAll(/\b(?<!type\s)([A-Za-z_$][\w$]*)\b/g)].map((n) => n[1]);
    if (existsSync(path)) out.push({ path, names });
  }
  return out;
}

/** Splits the test files under `testDir` into unit and integration tests. */
export function classifyTests(testDir: string): { unit: string[]; integration: string[] } {
  const memo = new Map<string, boolean>();
  const markers = INTEGRATION_MARKERS.map((m) => {
    const [path, name] = m.split('#');
    return { path: join(testDir, path), name };
  });
  const usesMarker = (file: string, seen: Set<string>): boolean => {
    const known = memo.get(file);
    if (known !== undefined) return known;
    if (seen.has(file)) return false;
    seen.add(file);
    const result = importsOf(file).some(
      (imp) => markers.some((mk) => mk.path === imp.path && (!mk.name || imp.names.includes(mk.name))) || (imp.path.startsWith(testDir) && usesMarker(imp.path, seen)),
    );
    memo.set(file, result);
    return result;
  };
  const unit: string[] = [];
  const integration: string[] = [];
  for (const file of listTests(testDir)) (usesMarker(file, new Set()) ? integration : unit).push(relative(dirname(testDir), file));
  return { unit: unit.sort(), integration: integration.sort() };
}
