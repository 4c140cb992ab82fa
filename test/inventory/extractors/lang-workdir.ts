/**
 * A cache of expensive real-install setups (npm ci, .deb downloads, a Go build) shared by the
 * language-extractor tests and the benchmark, under the system temp dir. Each entry is built
 * once in a scratch folder and renamed into place, so concurrent test files never see half a
 * build; a failed build leaves nothing behind.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Root of the shared cache (override with `VIGIL_LANG_WORK`). */
export const langWorkDir = process.env.VIGIL_LANG_WORK ?? join(tmpdir(), 'vigil-lang-work');

/** Runs a command, failing with its stderr in the message. */
export async function sh(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  try {
    const { stdout } = await run(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, maxBuffer: 256 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${e.stderr || e.message}`);
  }
}

/** The folder for `name`, built by `build(dir)` the first time it is asked for. */
export async function cached(name: string, build: (dir: string) => Promise<void>): Promise<string> {
  const final = join(langWorkDir, name);
  if (existsSync(join(final, '.done'))) return final;
  await mkdir(langWorkDir, { recursive: true });
  const scratch = await mkdtemp(join(langWorkDir, `${name}.tmp-`));
  try {
    await build(scratch);
    await run('touch', [join(scratch, '.done')]);
    try {
      await rename(scratch, final);
    } catch {
      // Another process finished first (or a stale, unfinished copy is in the way).
      if (!existsSync(join(final, '.done'))) {
        await rm(final, { recursive: true, force: true });
        await rename(scratch, final);
      }
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return final;
}

/** Every regular file under `root`, as `/`-rooted paths relative to it. */
export async function listFiles(root: string): Promise<{ rel: string; abs: string; size: number }[]> {
  const out: { rel: string; abs: string; size: number }[] = [];
  async function walk(dir: string): Promise<void> {
    for (const ent of await readdir(dir, { withFileTypes: true })) {
      const abs = join(dir, ent.name);
      if (ent.isDirectory()) await walk(abs);
      else if (ent.isFile()) out.push({ rel: `/${relative(root, abs).split(sep).join('/')}`, abs, size: (await stat(abs)).size });
    }
  }
  await walk(root);
  return out;
}
