/**
 * A real Vigil for the dashboard tests: the built dashboard, the advisory database made from
 * all of `../shared/vulndata`, a `vigil server` process on a free loopback port with a fresh
 * SQLite database, and headless Chromium. Seeding goes through the public API with
 * inventories of real targets (the debootstrapped Debian image and the npm demo project).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { importVulndata } from '../../src/vulndb/update.js';
import { sharedDir } from '../helpers/cli.js';
import { freePort, testWorkDir, withLock } from '../helpers/images.js';
import { requireComponent } from '../helpers/components.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Where the tests write screenshots (gitignored). */
export const screenshotDir = join(root, 'test-output', 'screenshots');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Builds `web/dist` when it is missing or older than the sources (under a lock: one build at a time). */
export async function ensureWebBuilt(): Promise<void> {
  const dist = join(root, 'web', 'dist', 'index.html');
  const fresh = () => existsSync(dist) && statSync(dist).mtimeMs >= Math.max(newestMtime(join(root, 'web', 'src')), statSync(join(root, 'web', 'index.html')).mtimeMs);
  if (fresh()) return;
  await withLock('web-dist', async () => {
    if (fresh()) return;
    const { build } = await import('vite');
    await build({ root: join(root, 'web'), configFile: join(root, 'web', 'vite.config.ts'), logLevel: 'warn' });
  });
}

/** The advisory database of all shared vulndata, built once per data and importer version. */
export async function vulndataDb(): Promise<string> {
  const dir = join(sharedDir, 'vulndata');
  const hash = createHash('sha256');
  hash.update(await readFile(join(dir, 'SHA256SUMS')));
  const src = fileURLToPath(new URL('../../src/vulndb', import.meta.url));
  const files = (function walk(d: string): string[] {
    return readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : e.name.endsWith('.ts') ? [join(d, e.name)] : []));
  })(src).sort();
  for (const f of files) hash.update(await readFile(f));
  const path = join(testWorkDir, `vulndb-full-${hash.digest('hex').slice(0, 16)}.sqlite`);
  if (existsSync(path)) return path;
  await mkdir(testWorkDir, { recursive: true });
  return withLock(`vulndb-full-${path.slice(-23, -7)}`, async () => {
    if (existsSync(path)) return path;
    const result = await importVulndata(dir, path);
    if (result.failed > 0) {
      await rm(path, { force: true });
      throw new Error(`importing ${dir} failed`);
    }
    return path;
  });
}

/** A running `vigil server`. */
export interface VigilServer {
  url: string;
  /** The bootstrap key of the delegated administrator. */
  adminKey: string;
  /** Calls the API as `key`; throws with the problem document on an error status. */
  api<T>(key: string, method: string, path: string, body?: unknown): Promise<T>;
  stop(): Promise<void>;
}

/** Starts `vigil server` (the real CLI, from source) on a fresh database. */
export async function startVigil(vulndb: string): Promise<VigilServer> {
  const work = mkdtempSync(join(tmpdir(), 'vigil-web-'));
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'server', '--listen', `127.0.0.1:${port}`, '--database', `sqlite:${join(work, 'vigil.db')}`, '--vulndb', vulndb],
    { cwd: root, env: { ...process.env, VIGIL_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const started = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 120_000);
    const check = () => {
      if (/Vigil is running at/.test(out)) {
        clearTimeout(timer);
        resolve(true);
      }
    };
    child.stdout!.on('data', check);
    child.on('exit', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
  if (!started) {
    child.kill('SIGKILL');
    throw new Error(`vigil server did not start:\n${out}\n${err}`);
  }
  const adminKey = /^\s+(vgl_\S+)\s*$/m.exec(out)?.[1];
  if (!adminKey) throw new Error(`no bootstrap key in the server's output:\n${out}`);
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    adminKey,
    async api<T>(key: string, method: string, path: string, body?: unknown): Promise<T> {
      const res = await fetch(url + path, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status}: ${text}`);
      return (text ? JSON.parse(text) : undefined) as T;
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      await rm(work, { recursive: true, force: true });
    },
  };
}

/**
 * Headless Chromium as the shared recipe runs it (Debian's binary). `launch` gives every
 * browser a fresh temporary profile (Playwright refuses a `--user-data-dir` argument).
 */
export async function launchBrowser(): Promise<{ browser: Browser; newContext(key?: string, theme?: 'light' | 'dark'): Promise<BrowserContext>; close(): Promise<void> }> {
  requireComponent('chromium', 'fonts-dejavu-core');
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return {
    browser,
    async newContext(key?: string, theme: 'light' | 'dark' = 'light') {
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      await ctx.addInitScript(
        ([k, t]) => {
          if (k) sessionStorage.setItem('vigil.apiKey', k);
          localStorage.setItem('vigil.theme', t);
        },
        [key ?? '', theme] as const,
      );
      return ctx;
    },
    async close() {
      await browser.close();
    },
  };
}
