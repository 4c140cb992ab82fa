import type { AddressPolicy } from '../net/addresses.js';
import { describeConnectionError, hostMatches, outboundRequest, OutboundError, type OutboundResponse } from '../net/outbound.js';
import { imageManifestTypes, indexManifestTypes } from './notifications.js';

/** Credentials for a registry. */
export interface RegistryCredentials {
  username?: string;
  password?: string;
}

/** How a catalog client reaches its registry. */
export interface RegistryClientOptions {
  /** Addresses it may connect to (see src/net/addresses.ts). */
  policy: AddressPolicy;
  /** Hosts besides the registry's own that redirects and token realms may name. */
  trustedHosts?: readonly string[];
  /** Total time of one request (ms). Default 30 s. */
  timeoutMs?: number;
  /** Largest answer of one request (bytes). Default 4 MiB. */
  maxPageBytes?: number;
  /** Pages of one listing followed at most. Default 1000. */
  maxPages?: number;
  /** Tags of one repository kept at most. Default 100,000. */
  maxTags?: number;
  signal?: AbortSignal;
}

/** The error of a catalog request, with a message safe to show the account's viewers. */
export class RegistryRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegistryRequestError';
  }
}

/**
 * A page-limited, authenticated reader of the Docker Registry HTTP API v2, under the outbound
 * policy: destinations checked at connect time, https unless the registry URL is http
 * (configured insecure), redirects, token realms and `Link` pages only on the registry's host
 * (or trusted hosts), credentials only to the registry's host and trusted token realms, every
 * answer and the number of pages bounded.
 */
export class RegistryClient {
  private readonly base: URL;
  private bearer: string | undefined;
  private readonly maxPageBytes: number;
  private readonly maxPages: number;

  constructor(
    baseUrl: string,
    private readonly creds: RegistryCredentials = {},
    private readonly opts: RegistryClientOptions,
  ) {
    this.base = new URL(baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
    this.maxPageBytes = opts.maxPageBytes ?? 4 * 1024 * 1024;
    this.maxPages = opts.maxPages ?? 1000;
  }

  /** Every repository from `/v2/_catalog`, page by page, following `Link` pagination. */
  async *repositories(pageSize = 1000): AsyncGenerator<string> {
    for await (const body of this.pages(`v2/_catalog?n=${pageSize}`, '/v2/_catalog')) {
      const repos = (body as { repositories?: unknown } | undefined)?.repositories;
      if (!Array.isArray(repos)) throw new RegistryRequestError(`${this.base.host}: /v2/_catalog answered without a repositories list`);
      for (const r of repos) if (typeof r === 'string') yield r;
    }
  }

  /** Every repository (see {@link repositories}). */
  async catalog(pageSize = 1000): Promise<string[]> {
    const out: string[] = [];
    for await (const r of this.repositories(pageSize)) out.push(r);
    return out;
  }

  /** Every tag of a repository. */
  async tags(repository: string, pageSize = 1000): Promise<string[]> {
    const out: string[] = [];
    for await (const body of this.pages(`v2/${repository}/tags/list?n=${pageSize}`, `/v2/${repository}/tags/list`, true)) {
      const tags = (body as { tags?: unknown } | undefined)?.tags;
      if (Array.isArray(tags)) for (const t of tags) if (typeof t === 'string') out.push(t);
      const max = this.opts.maxTags ?? 100_000;
      if (out.length > max) throw new RegistryRequestError(`${this.base.host}: /v2/${repository}/tags/list has more than ${max} tags; stopped`);
    }
    return out;
  }

  /** The manifest digest and media type a tag points to (HEAD: no blob is read). */
  async resolve(repository: string, reference: string): Promise<{ digest: string; mediaType: string } | undefined> {
    const res = await this.get(`v2/${repository}/manifests/${reference}`, {
      method: 'HEAD',
      allow404: true,
      accept: [...imageManifestTypes, ...indexManifestTypes].join(', '),
    });
    res.discard();
    if (res.status === 404) return undefined;
    const digest = res.header('docker-content-digest');
    if (!digest || !/^sha256:[0-9a-f]{64}$/.test(digest)) throw new RegistryRequestError(`${this.base.host}/${repository}:${reference}: no valid Docker-Content-Digest header`);
    return { digest, mediaType: (res.header('content-type') ?? '').split(';')[0].trim() };
  }

  /** JSON pages of a listing: bounded in bytes each and in number, `Link`s only on the registry's host. */
  private async *pages(first: string, what: string, allow404 = false): AsyncGenerator<unknown> {
    let next: string | undefined = first;
    for (let page = 0; next; page++) {
      if (page >= this.maxPages) throw new RegistryRequestError(`${this.base.host}: ${what} has more than ${this.maxPages} pages; stopped`);
      const res = await this.get(next, { allow404 });
      if (res.status === 404) {
        res.discard();
        return;
      }
      let body: unknown;
      try {
        body = await res.json(this.maxPageBytes);
      } catch (err) {
        throw new RegistryRequestError(`${this.base.host}: ${what}: ${describeConnectionError(err)}`);
      }
      yield body;
      next = this.nextLink(res.header('link'), what);
    }
  }

  /** The next page from a `Link: </v2/_catalog?last=x&n=100>; rel="next"` header, on this registry only. */
  private nextLink(link: string | undefined, what: string): string | undefined {
    if (!link) return undefined;
    const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(link);
    if (!m) return undefined;
    let url: URL;
    try {
      url = new URL(m[1], this.base);
    } catch {
      throw new RegistryRequestError(`${this.base.host}: ${what}: invalid Link header`);
    }
    if (url.origin !== this.base.origin) throw new RegistryRequestError(`${this.base.host}: ${what}: pagination to another host (${url.host}) refused by policy`);
    return url.href;
  }

  private mayVisit(hostname: string): boolean {
    return hostname === this.base.hostname || hostMatches(hostname, this.opts.trustedHosts ?? []);
  }

  private async send(url: URL, headers: Record<string, string>, method: 'GET' | 'HEAD' = 'GET'): Promise<OutboundResponse> {
    try {
      return await outboundRequest(url, {
        method,
        headers,
        policy: this.opts.policy,
        allowHttp: this.base.protocol === 'http:',
        maxRedirects: 5,
        redirectAllowed: (h) => this.mayVisit(h),
        deadlineMs: this.opts.timeoutMs ?? 30_000,
        signal: this.opts.signal,
      });
    } catch (err) {
      if (this.opts.signal?.aborted) throw this.opts.signal.reason;
      const host = url.host === this.base.host ? url.host : `token service ${url.host}`;
      throw new RegistryRequestError(`${this.base.host}: cannot reach ${host}: ${err instanceof OutboundError ? err.message : describeConnectionError(err)}`);
    }
  }

  private basic(): string | undefined {
    return this.creds.username !== undefined ? `Basic ${Buffer.from(`${this.creds.username}:${this.creds.password ?? ''}`).toString('base64')}` : undefined;
  }

  private async get(path: string, o: { method?: 'GET' | 'HEAD'; allow404?: boolean; accept?: string } = {}): Promise<OutboundResponse> {
    const url = new URL(path, this.base);
    for (let attempt = 0; attempt < 2; attempt++) {
      const headers: Record<string, string> = { 'user-agent': 'vigil' };
      if (o.accept) headers.accept = o.accept;
      // Nothing is sent before the registry asks (a 401 challenge) on the first request.
      if (this.bearer) headers.authorization = `Bearer ${this.bearer}`;
      else if (attempt > 0 && this.basic()) headers.authorization = this.basic()!;
      const res = await this.send(url, headers, o.method);
      if (res.status === 401 && attempt === 0) {
        const challenge = res.header('www-authenticate') ?? '';
        res.discard();
        if (/^bearer/i.test(challenge)) {
          this.bearer = await this.token(challenge);
          continue;
        }
        if (/^basic/i.test(challenge) && this.basic()) continue;
        throw new RegistryRequestError(`${this.base.host}: authentication failed for ${url.pathname}${this.basic() ? '' : ' (no credentials configured)'}`);
      }
      if ((res.status >= 200 && res.status < 300) || (o.allow404 && res.status === 404)) return res;
      res.discard();
      throw new RegistryRequestError(`${this.base.host}: ${o.method ?? 'GET'} ${url.pathname} answered HTTP ${res.status}`);
    }
    throw new RegistryRequestError(`${this.base.host}: authentication failed for ${url.pathname}`);
  }

  /** Fetches a bearer token as the `WWW-Authenticate: Bearer realm=…,service=…,scope=…` challenge says. */
  private async token(challenge: string): Promise<string> {
    const params: Record<string, string> = {};
    for (const m of challenge.slice(challenge.indexOf(' ') + 1).matchAll(/(\w+)="([^"]*)"/g)) params[m[1].toLowerCase()] = m[2];
    if (!params.realm) throw new RegistryRequestError(`${this.base.host}: bearer challenge without realm`);
    let url: URL;
    try {
      url = new URL(params.realm);
    } catch {
      throw new RegistryRequestError(`${this.base.host}: bearer challenge with an invalid realm`);
    }
    if (!this.mayVisit(url.hostname)) throw new RegistryRequestError(`${this.base.host}: token service on another host (${url.hostname}) refused by policy; add it to the registry's trustedHosts`);
    if (params.service) url.searchParams.set('service', params.service);
    if (params.scope) url.searchParams.set('scope', params.scope);
    const basic = this.basic();
    const res = await this.send(url, basic ? { authorization: basic } : {});
    if (res.status < 200 || res.status >= 300) {
      res.discard();
      throw new RegistryRequestError(`${this.base.host}: token service ${url.host} answered HTTP ${res.status}`);
    }
    const body = (await res.json(1024 * 1024).catch(() => ({}))) as { token?: unknown; access_token?: unknown };
    const token = body.token ?? body.access_token;
    if (typeof token !== 'string' || !token || !/^[\x21-\x7e]+$/.test(token)) throw new RegistryRequestError(`${this.base.host}: token service returned no usable token`);
    return token;
  }
}
