/**
 * The one way the service makes HTTP requests on someone else's behalf (registry pulls and
 * catalog syncs, token endpoints, webhooks). Destinations are checked at connect time
 * against an {@link AddressPolicy}: the host is resolved, every address is checked, and the
 * socket's peer is checked again once connected, so a name that re-resolves to a private
 * address (DNS rebinding) is still refused. Redirects stay on the request's host unless the
 * caller allows another, credentials never follow a redirect to another host, plain http
 * needs the caller's consent, and every request has a total deadline, not only an idle one.
 *
 * Errors are {@link OutboundError}s whose messages say what failed in words safe to show
 * to a caller ("connection refused by policy: 10.0.0.5 is a private address", "timed out
 * after 30 s"): never the remote's body, never raw socket errors.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP, type Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { refuseAddress, type AddressPolicy } from './addresses.js';

/** A failed outbound request, with a message safe to show to the caller. */
export class OutboundError extends Error {
  constructor(
    message: string,
    /** True when the policy (not the network or the remote) refused the request. */
    readonly refused = false,
  ) {
    super(message);
    this.name = 'OutboundError';
  }
}

/** How one request may go out. */
export interface OutboundOptions {
  method?: 'GET' | 'HEAD' | 'POST';
  headers?: Record<string, string>;
  body?: string | Buffer;
  policy: AddressPolicy;
  /** Plain http allowed (otherwise https only, also for redirects). */
  allowHttp?: boolean;
  /** Redirects followed; 0 (the default) returns a 3xx answer as it is. */
  maxRedirects?: number;
  /** Whether a redirect may leave the request's host for `hostname` (default: never). */
  redirectAllowed?: (hostname: string) => boolean;
  /** Total time for the answer, headers and body (ms). Default: none (use `signal`). */
  deadlineMs?: number;
  /** Longest silence on the connection (ms). Default 30 s. */
  idleTimeoutMs?: number;
  signal?: AbortSignal;
}

/** An answer; read its body with `bytes`/`json` (bounded) or stream `body`. */
export interface OutboundResponse {
  status: number;
  /** Where the answer came from (after redirects). */
  url: URL;
  headers: IncomingHttpHeaders;
  /** One header, repeated values joined with ", ". */
  header(name: string): string | undefined;
  body: Readable;
  /** The whole body, refusing more than `limit` bytes. */
  bytes(limit: number): Promise<Buffer>;
  /** The body parsed as JSON, refusing more than `limit` bytes or non-JSON. */
  json(limit: number): Promise<unknown>;
  /** Drops the body (the connection is closed). */
  discard(): void;
}

/** True for a URL whose scheme is http or https and that carries no credentials. */
export function checkOutboundUrl(url: URL, allowHttp: boolean): void {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new OutboundError(`${url.protocol} URLs are not allowed (http or https only)`, true);
  if (url.protocol === 'http:' && !allowHttp) throw new OutboundError(`plain http to ${url.host} refused by policy: https is required unless the registry is configured as insecure`, true);
  if (url.username || url.password) throw new OutboundError(`URLs with credentials in them are not allowed (${url.host})`, true);
}

/**
 * A `lookup` for `http.request` that refuses the host when any address it resolves to is
 * refused by the policy.
 */
export function guardedLookup(policy: AddressPolicy): typeof dnsLookup {
  const fn = (hostname: string, options: unknown, callback: unknown): void => {
    const cb = (typeof options === 'function' ? options : callback) as (err: Error | null, address: string | LookupAddress[], family?: number) => void;
    const opts = (typeof options === 'object' && options !== null ? options : {}) as { all?: boolean };
    dnsLookup(hostname, { all: true }, (err, addrs) => {
      if (err) return cb(err, '', 0);
      for (const a of addrs) {
        const why = refuseAddress(a.address, policy);
        if (why) return cb(new OutboundError(`connection refused by policy: ${hostname} resolves to ${why.replace(/^\S+ is /, `${a.address}, `)}`, true), '', 0);
      }
      if (opts.all) return cb(null, addrs);
      cb(null, addrs[0].address, addrs[0].family);
    });
  };
  return fn as unknown as typeof dnsLookup;
}

/** What went wrong on the wire, in words that reveal nothing beyond the failure's kind. */
export function describeConnectionError(err: unknown): string {
  if (err instanceof OutboundError) return err.message;
  const e = err as { code?: string; name?: string; cause?: unknown };
  const code = e.code ?? (e.cause as { code?: string } | undefined)?.code;
  if (e.name === 'AbortError') return 'cancelled';
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'connection reset';
    case 'ETIMEDOUT':
    case 'ESOCKETTIMEDOUT':
      return 'connection timed out';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return 'host not found';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    case 'HPE_INVALID_CONSTANT':
    case 'HPE_INVALID_STATUS':
    case 'HPE_INVALID_HEADER_TOKEN':
      return 'the answer was not valid HTTP';
    default:
      if (code && /CERT|SELF_SIGNED|TLS|SSL|UNABLE_TO_VERIFY/.test(code)) return `TLS failed (${code})`;
      return 'connection failed';
  }
}

/** True when `hostname` is one of `patterns` (`host` or `*.domain`), case-insensitively. */
export function hostMatches(hostname: string, patterns: readonly string[]): boolean {
  const h = hostname.toLowerCase();
  return patterns.some((p) => {
    const q = p.toLowerCase();
    return q.startsWith('*.') ? h.endsWith(q.slice(1)) : h === q;
  });
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Sends one request under the policy, following redirects as allowed. */
export async function outboundRequest(target: string | URL, opts: OutboundOptions): Promise<OutboundResponse> {
  const first = new URL(target);
  const deadlineAt = opts.deadlineMs ? Date.now() + opts.deadlineMs : undefined;
  let url = first;
  let method = opts.method ?? 'GET';
  let body = opts.body;
  let headers = { ...opts.headers };
  for (let hop = 0; ; hop++) {
    checkOutboundUrl(url, opts.allowHttp ?? false);
    const res = await once(url, method, headers, body, opts, deadlineAt);
    const location = res.header('location');
    if (!REDIRECTS.has(res.status) || !location || (opts.maxRedirects ?? 0) === 0) return res;
    res.discard();
    if (hop >= (opts.maxRedirects ?? 0)) throw new OutboundError(`more than ${opts.maxRedirects} redirects`);
    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      throw new OutboundError('redirect to an invalid URL');
    }
    if (next.hostname !== first.hostname && !opts.redirectAllowed?.(next.hostname)) {
      throw new OutboundError(`redirect to another host (${next.hostname}) refused by policy`, true);
    }
    if (next.protocol === 'http:' && url.protocol === 'https:' && !opts.allowHttp) throw new OutboundError(`redirect from https to plain http refused by policy`, true);
    // Credentials were given for the first host: never hand them to another.
    if (next.hostname !== first.hostname) {
      headers = Object.fromEntries(Object.entries(headers).filter(([k]) => !/^(authorization|cookie|proxy-authorization)$/i.test(k)));
    }
    if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
      method = 'GET';
      body = undefined;
      headers = Object.fromEntries(Object.entries(headers).filter(([k]) => !/^content-/i.test(k)));
    }
    url = next;
  }
}

function once(url: URL, method: string, headers: Record<string, string>, body: string | Buffer | undefined, opts: OutboundOptions, deadlineAt: number | undefined): Promise<OutboundResponse> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  // Literal addresses never reach `lookup`: check them here.
  if (isIP(host)) {
    const why = refuseAddress(host, opts.policy);
    if (why) return Promise.reject(new OutboundError(`connection refused by policy: ${why}`, true));
  }
  opts.signal?.throwIfAborted();
  const idleMs = opts.idleTimeoutMs ?? 30_000;
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise<OutboundResponse>((resolve, reject) => {
    let res: IncomingMessage | undefined;
    let settled = false;
    const fail = (err: Error): void => {
      const e = err instanceof OutboundError ? err : new OutboundError(describeConnectionError(err));
      req.destroy(e);
      res?.destroy(e);
      if (!settled) {
        settled = true;
        reject(e);
      }
    };
    const onAbort = (): void => fail(new OutboundError('cancelled'));
    let deadline: NodeJS.Timeout | undefined;
    const done = (): void => {
      if (deadline) clearTimeout(deadline);
      opts.signal?.removeEventListener('abort', onAbort);
    };
    if (deadlineAt !== undefined) {
      const ms = Math.max(0, deadlineAt - Date.now());
      deadline = setTimeout(() => fail(new OutboundError(`timed out after ${Math.round((opts.deadlineMs ?? ms) / 100) / 10} s`)), ms);
    }
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const req = mod.request(url, {
      method,
      headers: { 'user-agent': 'vigil', ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) },
      lookup: guardedLookup(opts.policy),
      agent: false,
      timeout: idleMs,
    });
    req.on('socket', (socket: Socket) => {
      // The address actually connected to, whatever resolved it.
      socket.once('connect', () => {
        const peer = socket.remoteAddress;
        const why = peer ? refuseAddress(peer, opts.policy) : 'no peer address';
        if (why) fail(new OutboundError(`connection refused by policy: ${why}`, true));
      });
    });
    req.on('timeout', () => fail(new OutboundError(`no answer for ${Math.round(idleMs / 100) / 10} s`)));
    req.on('error', (err) => {
      done();
      fail(err);
    });
    req.on('response', (r) => {
      res = r;
      r.on('end', done);
      r.on('close', done);
      r.on('error', done);
      settled = true;
      resolve(toResponse(r, url));
    });
    req.end(body);
  });
}

function toResponse(r: IncomingMessage, url: URL): OutboundResponse {
  const header = (name: string): string | undefined => {
    const v = r.headers[name.toLowerCase()];
    return Array.isArray(v) ? v.join(', ') : v;
  };
  const bytes = async (limit: number): Promise<Buffer> => {
    const length = Number(header('content-length') ?? 0);
    if (length > limit) {
      r.destroy();
      throw new OutboundError(`answer of ${length} bytes is larger than the limit of ${limit}`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const c of r as AsyncIterable<Buffer>) {
        size += c.length;
        if (size > limit) {
          r.destroy();
          throw new OutboundError(`answer larger than the limit of ${limit} bytes`);
        }
        chunks.push(c);
      }
    } catch (err) {
      throw err instanceof OutboundError ? err : new OutboundError(describeConnectionError(err));
    }
    return Buffer.concat(chunks, size);
  };
  return {
    status: r.statusCode ?? 0,
    url,
    headers: r.headers,
    header,
    body: r,
    bytes,
    async json(limit) {
      const data = await bytes(limit);
      try {
        return JSON.parse(data.toString('utf8')) as unknown;
      } catch {
        // Never quote the body: it may be a page the caller should not read through us.
        throw new OutboundError(`answer is not valid JSON (HTTP ${r.statusCode}, ${data.length} bytes)`);
      }
    },
    discard() {
      r.destroy();
    },
  };
}
