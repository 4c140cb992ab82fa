/**
 * The client side of `POST /api/v1/scans`, for `vigil scan --server URL` and the host agent:
 * sends a local inventory to a Vigil server, which matches, scores and stores it, and
 * returns the scan result in the same shape a local scan produces (following an answer of
 * 202 by polling, and reading findings beyond the answer's first page).
 */
import type { Inventory } from '../inventory/types.js';
import { compareFindings, resultFrame } from '../matching/engine.js';
import type { Finding, ScanContext, ScanResult } from '../matching/types.js';
import type { ResourceInput } from '../findings/resources.js';
import type { FindingVerdict } from '../findings/verdicts.js';
import type { HostNetworkReport } from '../network/host/collect.js';

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
  /** How many findings the server stored for this scan (absent from servers before it was added). */
  findingCount?: number;
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

/** How the client talks to one server: base URL, key, deadline. */
interface Conn {
  base: URL;
  apiKey: string;
  signal: AbortSignal;
}

function describeProblem(text: string): string {
  try {
    const problem = JSON.parse(text) as { detail?: string; title?: string; errors?: { pointer: string; detail: string }[] };
    return [problem.detail ?? problem.title, ...(problem.errors ?? []).map((e) => `${e.pointer}: ${e.detail}`)].filter(Boolean).join('; ');
  } catch {
    // Not problem+json: show the start of the body.
    return text.slice(0, 500);
  }
}

/** One request; returns status, headers and the parsed JSON body (errors other than `accept` statuses throw). */
async function call(conn: Conn, path: string, init: { method?: string; body?: string; accept?: number[] } = {}): Promise<{ status: number; headers: Headers; json: unknown }> {
  const url = new URL(path, conn.base);
  let res: Response;
  try {
    res = await fetch(url, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${conn.apiKey}`, accept: 'application/json', ...(init.body ? { 'content-type': 'application/json' } : {}) },
      ...(init.body ? { body: init.body } : {}),
      signal: conn.signal,
    });
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause?.message;
    throw new Error(`cannot reach the Vigil server at ${url.origin}: ${cause ?? (err as Error).message}`);
  }
  const text = await res.text();
  if (!res.ok) throw new ServerError(res.status, `the Vigil server refused ${init.method ?? 'GET'} ${url.pathname} (HTTP ${res.status}): ${describeProblem(text)}`);
  try {
    return { status: res.status, headers: res.headers, json: JSON.parse(text) as unknown };
  } catch {
    throw new Error(`the Vigil server at ${url.origin} answered ${url.pathname} with something that is not JSON`);
  }
}

/** Every finding of a stored scan, read page by page, in the order a scan reports them. */
async function allFindings(conn: Conn, scanId: string): Promise<Finding[]> {
  const out: Finding[] = [];
  let token: string | undefined;
  do {
    const q = new URLSearchParams({ limit: '1000', ...(token ? { nextToken: token } : {}) });
    const page = (await call(conn, `api/v1/scans/${encodeURIComponent(scanId)}/findings?${q}`)).json as { findings: Finding[]; nextToken?: string };
    out.push(...page.findings);
    token = page.nextToken;
  } while (token);
  return out.sort(compareFindings);
}

/** A stored scan as `GET /scans/{id}` shows it. */
interface ScanState {
  status: string;
  resourceId?: string;
  resourceType?: string;
  resourceName?: string;
  accountId: string;
  inventoryVersion?: number;
  error?: string;
  warnings?: ScanResult['warnings'];
  summary?: Record<string, number>;
  coverage?: ScanResult['coverage'];
  findingCount?: number;
}

/** Polls an accepted scan until it is done (1 s, growing to 5 s between polls). */
async function waitForScan(conn: Conn, scanId: string): Promise<ScanState> {
  let delay = 1000;
  for (;;) {
    const scan = (await call(conn, `api/v1/scans/${encodeURIComponent(scanId)}`)).json as ScanState;
    if (scan.status !== 'QUEUED' && scan.status !== 'IN_PROGRESS') return scan;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, delay);
      conn.signal.addEventListener('abort', () => reject(new Error(`gave up waiting for scan ${scanId}: ${String(conn.signal.reason)}`)), { once: true });
      timer.unref?.();
    });
    delay = Math.min(delay * 1.5, 5000);
  }
}

/** The connection for a `--server` URL, or an error naming it. */
function connect(server: string, apiKey: string, signal: AbortSignal | undefined, timeoutMs: number): Conn {
  let base: URL;
  try {
    base = new URL(server.endsWith('/') ? server : `${server}/`);
  } catch {
    throw new Error(`--server ${server} is not a URL`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new Error(`--server ${server}: use an http:// or https:// URL`);
  const timeout = AbortSignal.timeout(timeoutMs);
  return { base, apiKey, signal: signal ? AbortSignal.any([signal, timeout]) : timeout };
}

/**
 * What the server did with a host network report: queued (or joined) its account's analysis
 * (`analysisId`, to poll at `location`), or nothing for a report identical to the stored one.
 */
export interface HostNetworkResult {
  resourceId: string;
  analysisId?: string;
  status?: string;
  location?: string;
}

/** Posts a host's network report (`vigil network collect` output) for the HOST resource `name`. */
export async function submitHostNetwork(opts: { server: string; apiKey: string; name: string; report: HostNetworkReport; accountId?: string; signal?: AbortSignal; timeoutMs?: number }): Promise<HostNetworkResult> {
  const conn = connect(opts.server, opts.apiKey, opts.signal, opts.timeoutMs ?? 60_000);
  const posted = await call(conn, 'api/v1/network/host-reports', { method: 'POST', body: JSON.stringify({ resource: { name: opts.name }, report: opts.report, accountId: opts.accountId }) });
  return posted.json as HostNetworkResult;
}

/**
 * Posts the inventory and returns the server's scan result. A server that accepts it as a
 * job (202) is polled until the scan is done; findings beyond the first page of the answer
 * are read from `GET /scans/{id}/findings`.
 */
export async function submitInventory(opts: SubmitOptions): Promise<SubmitResult> {
  const conn = connect(opts.server, opts.apiKey, opts.signal, opts.timeoutMs ?? 5 * 60_000);
  let posted;
  try {
    posted = await call(conn, 'api/v1/scans', {
      method: 'POST',
      body: JSON.stringify({ inventory: opts.inventory, context: opts.context, resource: opts.resource, accountId: opts.accountId }),
    });
  } catch (err) {
    if (err instanceof ServerError) throw new ServerError(err.status, err.message.replace(/^the Vigil server refused POST \S+/, 'the Vigil server refused the scan'));
    throw err;
  }
  if (posted.status === 202) {
    const { scanId } = posted.json as { scanId: string };
    const scan = await waitForScan(conn, scanId);
    if (scan.status === 'SCAN_FAILED') throw new ServerError(500, `the Vigil server could not scan the inventory (scan ${scanId}): ${scan.error ?? 'no reason given'}`);
    const findings = await allFindings(conn, scanId);
    return {
      scanId,
      resource: { id: scan.resourceId ?? '', type: scan.resourceType ?? '', name: scan.resourceName ?? '', accountId: scan.accountId },
      inventoryVersion: scan.inventoryVersion ?? 0,
      summary: scan.summary ?? {},
      ...(scan.findingCount !== undefined ? { findingCount: scan.findingCount } : {}),
      result: { ...resultFrame(opts.inventory), ...(scan.coverage ? { coverage: scan.coverage } : {}), findings, warnings: scan.warnings ?? [] },
    };
  }
  const answer = posted.json as SubmitResult & { truncated?: boolean };
  if (answer.truncated) answer.result = { ...answer.result, findings: await allFindings(conn, answer.scanId) };
  delete answer.truncated;
  return answer;
}
