/**
 * HTML to PDF with headless Chromium (playwright-core driving the system's Chromium, as the
 * browser tests do). One render at a time: each starts a browser, and the reports are rare.
 * playwright-core is loaded on the first render: compiling its bundles took ≈ 0.4 s of every
 * server's start.
 */
import { existsSync } from 'node:fs';

/** The Chromium binary: $VIGIL_CHROMIUM or Debian's. */
export function chromiumPath(): string {
  return process.env.VIGIL_CHROMIUM ?? '/usr/bin/chromium';
}

/** Thrown when no Chromium is installed; the API answers 503. */
export class PdfUnavailableError extends Error {}

let queue: Promise<unknown> = Promise.resolve();

/** Prints a self-contained HTML page to an A4 PDF. Scripts are off and every network request is refused. */
export function renderPdf(html: string, opts: { signal?: AbortSignal } = {}): Promise<Buffer> {
  const run = queue.then(() => render(html, opts.signal));
  queue = run.catch(() => undefined);
  return run;
}

async function render(html: string, signal?: AbortSignal): Promise<Buffer> {
  const path = chromiumPath();
  if (!existsSync(path)) throw new PdfUnavailableError(`PDF rendering needs Chromium at ${path} (set VIGIL_CHROMIUM)`);
  signal?.throwIfAborted();
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: path,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const context = await browser.newContext({ javaScriptEnabled: false, offline: true });
    const page = await context.newPage();
    await page.route('**/*', (route) => route.abort());
    await page.setContent(html, { waitUntil: 'load' });
    signal?.throwIfAborted();
    return await page.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true });
  } finally {
    await browser.close();
  }
}
