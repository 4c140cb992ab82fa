/**
 * `@cyclonedx/cdxgen`, the peer the inventory benchmarks compare against: not a dependency,
 * installed on first use into a cache under the temp dir.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const CDXGEN_DIR = join(tmpdir(), 'vigil-lang-work', 'cdxgen');

/** The cdxgen executable; undefined when it cannot be installed (offline, say). */
export async function cdxgen(): Promise<string | undefined> {
  const bin = join(CDXGEN_DIR, 'node_modules/.bin/cdxgen');
  if (existsSync(bin)) return bin;
  try {
    await mkdir(CDXGEN_DIR, { recursive: true });
    await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', '--prefix', CDXGEN_DIR, '@cyclonedx/cdxgen@12'], { maxBuffer: 64 * 1024 * 1024 });
    return existsSync(bin) ? bin : undefined;
  } catch {
    return undefined;
  }
}

/** Runs cdxgen with `args`; returns its wall seconds and the components it found. */
export async function runCdxgen(bin: string, args: string[], out: string): Promise<{ seconds: number; components: number }> {
  const start = performance.now();
  await run(bin, [...args, '-o', out], { env: { ...process.env, FETCH_LICENSE: 'false' }, maxBuffer: 64 * 1024 * 1024 });
  const seconds = (performance.now() - start) / 1000;
  const components = ((JSON.parse(await readFile(out, 'utf8')) as { components?: unknown[] }).components ?? []).length;
  return { seconds, components };
}
