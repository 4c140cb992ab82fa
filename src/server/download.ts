/**
 * The client side of the server's export routes (findings, VEX, SBOMs): one request whose
 * answer is streamed to a file or standard output as it arrives, never held in memory.
 */
import { createWriteStream } from 'node:fs';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

/** What {@link download} needs. */
export interface DownloadOptions {
  /** Base URL of the server, e.g. `http://127.0.0.1:8080`. */
  server: string;
  apiKey: string;
  method: 'GET' | 'POST';
  /** Path below the base URL, e.g. `api/v1/findings/export`. */
  path: string;
  /** A JSON body for POST. */
  body?: unknown;
  /** A file path, or a stream (standard output). */
  to: string | Writable;
  signal?: AbortSignal;
}

function problemText(text: string): string {
  try {
    const p = JSON.parse(text) as { detail?: string; title?: string; errors?: { pointer: string; detail: string }[] };
    return [p.detail ?? p.title, ...(p.errors ?? []).map((e) => `${e.pointer}: ${e.detail}`)].filter(Boolean).join('; ');
  } catch {
    return text.slice(0, 500);
  }
}

/** Sends the request and streams a successful answer to `to`; an error answer throws with its problem detail. */
export async function download(opts: DownloadOptions): Promise<void> {
  const base = new URL(opts.server.endsWith('/') ? opts.server : `${opts.server}/`);
  const url = new URL(opts.path, base);
  let res: Response;
  try {
    res = await fetch(url, {
      method: opts.method,
      headers: { authorization: `Bearer ${opts.apiKey}`, ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      signal: opts.signal,
    });
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause?.message;
    throw new Error(`cannot reach the Vigil server at ${url.origin}: ${cause ?? (err as Error).message}`);
  }
  if (!res.ok || !res.body) throw new Error(`the Vigil server refused ${opts.method} ${url.pathname} (HTTP ${res.status}): ${problemText(await res.text())}`);
  const source = Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
  // Standard output stays open after the copy: the process may still print.
  if (typeof opts.to === 'string') await pipeline(source, createWriteStream(opts.to));
  else await pipeline(source, opts.to, { end: false });
}
