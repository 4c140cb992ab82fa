/**
 * Dashboard benchmark: seeds 1,000,000 findings (10,000 resources, 100 accounts) into a
 * SQLite service database, serves it with the real app and the built dashboard on
 * loopback, and measures in headless Chromium the time from navigation to the first
 * complete render of the overview and of the explorer grouped by vulnerability, as the
 * delegated administrator (every account). Also the gzipped size of the built app.
 */
import { readdirSync, readFileSync, rmSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium, type Page } from 'playwright-core';
import { openDatabase } from '../src/db/connect.js';
import { bootstrapOrganization } from '../src/server/accounts.js';
import { buildApp } from '../src/server/app.js';
import { log } from '../src/log.js';
import { seedFindings, DEFAULT_SEED } from '../scripts/seed-findings.js';
import type { Bench } from './benches.js';
import { report } from './report.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const FINDINGS = Number(process.env.VIGIL_BENCH_FINDINGS ?? DEFAULT_SEED.findings);
const RUNS = 3;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Gzipped bytes of the built app: everything (lazy chunks too), and what the first page load fetches. */
async function appSize(dist: string): Promise<{ total: number; initial: number }> {
  const all = files(dist).filter((f) => /\.(js|css|html)$/.test(f));
  const gz = (f: string) => gzipSync(readFileSync(f), { level: 9 }).length;
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  const initialFiles = [join(dist, 'index.html'), ...[...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => join(dist, m[1]))];
  return { total: all.reduce((a, f) => a + gz(f), 0), initial: initialFiles.reduce((a, f) => a + gz(f), 0) };
}

/** When each script, stylesheet and API call of the page's load started and ended (ms from navigation). */
async function loadTimeline(page: Page): Promise<string> {
  const entries = await page.evaluate(() =>
    performance.getEntriesByType('resource').map((e) => ({ name: e.name, start: e.startTime, end: (e as PerformanceResourceTiming).responseEnd })),
  );
  return entries
    .filter((e) => !e.name.includes('/events'))
    .map((e) => `${new URL(e.name).pathname.replace(/^\/api\/v1\//, '').replace(/^\/assets\//, '')} ${Math.round(e.start)}–${Math.round(e.end)}`)
    .join(', ');
}

/** The dashboard benchmark. */
export const dashboardBench: Bench = {
  name: 'dashboard',
  async run() {
    const { build } = await import('vite');
    await build({ root: join(root, 'web'), configFile: join(root, 'web', 'vite.config.ts'), logLevel: 'warn' });
    const dist = join(root, 'web', 'dist');
    const size = await appSize(dist);
    report('built app, gzipped (all chunks)', Math.round(size.total / 1024), 'KB', { atMost: 500 });
    report('first page load, gzipped (html + entry js + css)', Math.round(size.initial / 1024), 'KB');

    const work = mkdtempSync(join(tmpdir(), 'vigil-bench-dashboard-'));
    const db = await openDatabase(`sqlite:${join(work, 'vigil.db')}`);
    try {
      const seedStart = performance.now();
      await seedFindings(db, { ...DEFAULT_SEED, findings: FINDINGS });
      const boot = await bootstrapOrganization(db);
      if (!boot) throw new Error('the fresh database already had an organization');
      report(`seeded findings (${(statSync(join(work, 'vigil.db')).size / 1e6).toFixed(0)} MB database)`, FINDINGS, `in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);

      // Request logs would bury the figures: warnings and errors only.
      const { app } = await buildApp({ db, webRoot: dist, log: log.child({ component: 'server' }, { level: 'warn' }) });
      await app.listen({ host: '127.0.0.1', port: 0 });
      const address = app.server.address();
      const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      const browser = await chromium.launch({
        executablePath: '/usr/bin/chromium',
        headless: true,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      });
      try {
        const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
        // A signed-in tab, as the dashboard leaves it after sign-in: the key and who it is.
        const principal = await (await fetch(`${url}/api/v1/dashboard/session`, { headers: { authorization: `Bearer ${boot.key}` } })).text();
        await ctx.addInitScript(
          ([k, p]) => {
            sessionStorage.setItem('vigil.apiKey', k);
            sessionStorage.setItem('vigil.principal', p);
          },
          [boot.key, principal],
        );
        const page = await ctx.newPage();
        // Navigation start → the page's content is on screen (ms, the page's own clock, read
        // in the animation frame where every selector first matches).
        async function firstRender(path: string, ready: string[]): Promise<number> {
          await page.goto('about:blank');
          await page.goto(url + path, { waitUntil: 'commit' });
          const at = await page.waitForFunction((sels) => sels.every((s) => document.querySelector(s)) && performance.now(), ready, { polling: 'raf', timeout: 120_000 });
          return (await at.jsonValue()) as number;
        }
        const overview = ['[data-testid="stat-total"]', '#top-vulns table', '#trend [data-testid="trend-chart"] svg', '#mttr [data-testid="mttr"]', '#risk-images ol'];
        const grouped = ['table[aria-label="Findings grouped by vulnerability"] tbody tr td:not(.empty-cell)'];
        const o: number[] = [];
        const g: number[] = [];
        let firstLoad = '';
        for (let i = 0; i < RUNS; i++) {
          o.push(await firstRender('/overview', overview));
          if (i === 0) firstLoad = await loadTimeline(page);
          g.push(await firstRender('/findings?status=ACTIVE&group=VULNERABILITY', grouped));
        }
        report(`overview, first render (first of ${RUNS})`, Math.round(o[0]), 'ms', { atMost: 1000 });
        console.log(`  where the first render's time went: ${firstLoad}`);
        report(`overview, first render (median of ${RUNS})`, Math.round(median(o)), 'ms', { atMost: 1000 });
        report(`explorer grouped by vulnerability, first render (first of ${RUNS})`, Math.round(g[0]), 'ms', { atMost: 1000 });
        report(`explorer grouped by vulnerability, first render (median of ${RUNS})`, Math.round(median(g)), 'ms', { atMost: 1000 });
      } finally {
        await browser.close();
        await app.close();
      }
    } finally {
      await db.close();
      rmSync(work, { recursive: true, force: true });
    }
  },
};
