/**
 * The client side of `POST /api/v1/scans`, for `vigil scan --server URL`: sends a local
 * inventory to a Vigil server, which matches, scores and stores it, and returns the scan
 * result in the same shape a local scan produces.
 */
import type { Inventory } from '../inventory/types.js';
import type { ScanContext, ScanResult } from '../matching/types.js';
import type { ResourceInput } from '../findings/resources.js';
import type { FindingVerdict } from '../findings/verdicts.js';

/** What {@link submitInventory} needs. */
export interface SubmitOptions {
  /** Base URL of the server, e.g. `http://127.0.0.1:8080`. */
  server: string;
  /** An API key with the scanner (or admin) role. */
  apiKey: string;
  inventory: Inventory;
  context?: ScanContext;
  /** The resource to file it under (default: derived by the server from the inventory). */
  resource?: ResourceInput;
  /** Another account (delegated administrator keys only). */
  accountId?: string;
  signal?: AbortSignal;
  /** Milliseconds before giving up (default 5 minutes). */
  timeoutMs?: number;
}

/** What the server answers. */
export interface SubmitResult {
  scanId: string;
  resource: { id: string; type: string; name: string; accountId: string };
  inventoryVersion: number;
  summary: Record<string, number>;
  result: ScanResult;
  /** The resource's open findings with the server's status (absent from servers before it was added). */
  findings?: FindingVerdict[];
}

/** An error answer from the server, with its problem details. */
export class ServerError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ServerError';
  }
}

/** Posts the inventory and returns the server's scan result. */
export async function submitInventory(opts: SubmitOptions): Promise<SubmitResult> {
  let url: URL;
  try {
    url = new URL('/api/v1/scans', opts.server.endsWith('/') ? opts.server : `${opts.server}/`);
  } catch {
    throw new Error(`--server ${opts.server} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`--server ${opts.server}: use an http:// or https:// URL`);
  const timeout = AbortSignal.timeout(opts.timeoutMs ?? 5 * 60_000);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${opts.apiKey}`, accept: 'application/json' },
      body: JSON.stringify({ inventory: opts.inventory, context: opts.context, resource: opts.resource, accountId: opts.accountId }),
      signal,
    });
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause?.message;
    throw new Error(`cannot reach the Vigil server at ${url.origin}: ${cause ?? (err as Error).message}`);
  }
  const text = await res.text();
  if (!res.ok) {
    let detail = text.slice(0, 500);
    try {
      const problem = JSON.parse(text) as { detail?: string; title?: string; errors?: { pointer: string; detail: string }[] };
      detail = [problem.detail ?? problem.title, ...(problem.errors ?? []).map((e) => `${e.pointer}: ${e.detail}`)].filter(Boolean).join('; ');
    } catch {
      // Not problem+json: show the start of the body.
    }
    throw new ServerError(res.status, `the Vigil server refused the scan (HTTP ${res.status}): ${detail}`);
  }
  try {
    return JSON.parse(text) as SubmitResult;
  } catch {
    throw new Error(`the Vigil server at ${url.origin} answered with something that is not JSON`);
  }
}
