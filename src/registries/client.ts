import { imageManifestTypes, indexManifestTypes } from './notifications.js';

/** Credentials for a registry. */
export interface RegistryCredentials {
  username?: string;
  password?: string;
}

/** A page-limited, authenticated reader of the Docker Registry HTTP API v2. */
export class RegistryClient {
  private readonly base: URL;
  private bearer: string | undefined;

  constructor(
    baseUrl: string,
    private readonly creds: RegistryCredentials = {},
    private readonly opts: { timeoutMs?: number; signal?: AbortSignal } = {},
  ) {
    this.base = new URL(baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  }

  /** Every repository from `/v2/_catalog`, following `Link` pagination. */
  async catalog(pageSize = 1000): Promise<string[]> {
    const out: string[] = [];
    let next: string | undefined = `v2/_catalog?n=${pageSize}`;
    while (next) {
      const res = await this.get(next);
      const body = (await res.json()) as { repositories?: unknown };
      if (!Array.isArray(body.repositories)) throw new Error(`${this.base.host}: /v2/_catalog answered without a repositories list`);
      for (const r of body.repositories) if (typeof r === 'string') out.push(r);
      next = nextLink(res.headers.get('link'));
    }
    return out;
  }

  /** Every tag of a repository. */
  async tags(repository: string, pageSize = 1000): Promise<string[]> {
    const out: string[] = [];
    let next: string | undefined = `v2/${repository}/tags/list?n=${pageSize}`;
    while (next) {
      const res = await this.get(next, { allow404: true });
      if (res.status === 404) return out;
      const body = (await res.json()) as { tags?: unknown };
      if (Array.isArray(body.tags)) for (const t of body.tags) if (typeof t === 'string') out.push(t);
      next = nextLink(res.headers.get('link'));
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
    if (res.status === 404) return undefined;
    const digest = res.headers.get('docker-content-digest');
    if (!digest) throw new Error(`${this.base.host}/${repository}:${reference}: no Docker-Content-Digest header`);
    return { digest, mediaType: (res.headers.get('content-type') ?? '').split(';')[0].trim() };
  }

  private async get(path: string, o: { method?: string; allow404?: boolean; accept?: string } = {}): Promise<Response> {
    const url = new URL(path, this.base);
    for (let attempt = 0; attempt < 2; attempt++) {
      const headers: Record<string, string> = { 'user-agent': 'vigil' };
      if (o.accept) headers.accept = o.accept;
      if (this.bearer) headers.authorization = `Bearer ${this.bearer}`;
      else if (this.creds.username !== undefined) headers.authorization = `Basic ${Buffer.from(`${this.creds.username}:${this.creds.password ?? ''}`).toString('base64')}`;
      const signals = [AbortSignal.timeout(this.opts.timeoutMs ?? 30_000), ...(this.opts.signal ? [this.opts.signal] : [])];
      const res = await fetch(url, { method: o.method ?? 'GET', headers, redirect: 'follow', signal: AbortSignal.any(signals) });
      if (res.status === 401 && attempt === 0) {
        const challenge = res.headers.get('www-authenticate') ?? '';
        await res.body?.cancel();
        if (/^bearer/i.test(challenge)) {
          this.bearer = await this.token(challenge);
          continue;
        }
        throw new Error(`${this.base.host}: authentication failed for ${url.pathname} (${challenge || 'no challenge'})`);
      }
      if (res.ok || (o.allow404 && res.status === 404)) return res;
      await res.body?.cancel();
      throw new Error(`${this.base.host}: ${o.method ?? 'GET'} ${url.pathname} answered HTTP ${res.status}`);
    }
    throw new Error(`${this.base.host}: authentication failed for ${url.pathname}`);
  }

  /** Fetches a bearer token as the `WWW-Authenticate: Bearer realm=…,service=…,scope=…` challenge says. */
  private async token(challenge: string): Promise<string> {
    const params: Record<string, string> = {};
    for (const m of challenge.slice(challenge.indexOf(' ') + 1).matchAll(/(\w+)="([^"]*)"/g)) params[m[1]] = m[2];
    if (!params.realm) throw new Error(`${this.base.host}: bearer challenge without realm`);
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set('service', params.service);
    if (params.scope) url.searchParams.set('scope', params.scope);
    const headers: Record<string, string> = {};
    if (this.creds.username !== undefined) headers.authorization = `Basic ${Buffer.from(`${this.creds.username}:${this.creds.password ?? ''}`).toString('base64')}`;
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(this.opts.timeoutMs ?? 30_000) });
    if (!res.ok) throw new Error(`${this.base.host}: token endpoint ${url.host} answered HTTP ${res.status}`);
    const body = (await res.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new Error(`${this.base.host}: token endpoint returned no token`);
    return token;
  }
}

/** The next page path from a `Link: </v2/_catalog?last=x&n=100>; rel="next"` header. */
function nextLink(link: string | null): string | undefined {
  if (!link) return undefined;
  const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(link);
  return m ? m[1].replace(/^\//, '') : undefined;
}
