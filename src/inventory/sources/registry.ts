/**
 * `registry:HOST/REPO[:TAG|@DIGEST]`: pulls an image over the OCI distribution API, streaming
 * each layer straight into the walk (nothing is stored). Anonymous, basic and bearer-token
 * auth; credentials from options, the environment or `~/.docker/config.json` (the CLI), or
 * only those given (the server, under its outbound policy: see {@link RegistryOptions.outbound}).
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { AddressPolicy } from '../../net/addresses.js';
import { describeConnectionError, hostMatches, outboundRequest, OutboundError, type OutboundResponse } from '../../net/outbound.js';
import { TargetError } from '../errors.js';
import { walkLayers } from '../layers.js';
import type { ScanLimits } from '../limits.js';
import type { TargetInfo } from '../types.js';
import type { Source, WalkHandlers, WalkOptions } from '../walk.js';
import { checkDigest, digestOf, MEDIA_TYPES, resolveImage, verified, type BlobStore, type Descriptor, type ManifestDoc, type ResolvedImage } from './image.js';
import type { Platform } from './platform.js';

/** Credentials for a registry; any of them may come from flags, environment or docker config. */
export interface RegistryCredentials {
  username?: string;
  password?: string;
  /** A bearer token used as is (no token exchange). */
  token?: string;
}

/**
 * How a server reaches a registry: the addresses it may connect to, the other hosts it may
 * be sent to, and no credentials but those given.
 */
export interface OutboundRegistryPolicy {
  policy: AddressPolicy;
  /**
   * Hosts besides the registry's own that redirects and token realms may name (`host` or
   * `*.domain`); credentials go to a token realm only on the registry's host or one of these.
   */
  trustedHosts?: readonly string[];
}

/** How to reach registries. */
export interface RegistryOptions {
  credentials?: RegistryCredentials;
  /**
   * Reach the registry over plain HTTP. The CLI allows it for loopback registries only; a
   * server allows it for registries configured with an `http://` URL.
   */
  insecure?: boolean;
  /** Where `config.json` lives (default `$DOCKER_CONFIG` or `~/.docker`). */
  dockerConfigDir?: string;
  env?: NodeJS.ProcessEnv;
  /**
   * Set by the server: destinations are checked against the policy, redirects and realms stay
   * on the registry's host (or trusted hosts), and no ambient credentials (environment,
   * docker config) are used. Unset (the CLI): any destination, ambient credentials.
   */
  outbound?: OutboundRegistryPolicy;
}

/**
 * Hosts well-known public registries send token requests and blob downloads to, trusted for
 * redirects and realms of server-side pulls without configuration.
 */
const WELL_KNOWN_TRUSTED: Record<string, readonly string[]> = {
  'registry-1.docker.io': ['auth.docker.io', 'production.cloudflare.docker.com'],
  'ghcr.io': ['pkg-containers.githubusercontent.com'],
  'quay.io': ['*.quay.io'],
  'gcr.io': ['*.gcr.io', 'storage.googleapis.com'],
  'registry.gitlab.com': ['gitlab.com', '*.gitlab-static.net'],
};

/** A parsed image reference. */
export interface ImageReference {
  /** Registry host as written (`127.0.0.1:5000`, `docker.io`). */
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
}

/** Parses `HOST/REPO[:TAG|@DIGEST]` the way Docker does (no host means Docker Hub). */
export function parseImageReference(ref: string): ImageReference {
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    checkDigest(digest, ref);
  }
  let tag: string | undefined;
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > slash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const first = rest.indexOf('/');
  let registry = 'docker.io';
  let repository = rest;
  if (first >= 0) {
    const head = rest.slice(0, first);
    if (head.includes('.') || head.includes(':') || head === 'localhost') {
      registry = head;
      repository = rest.slice(first + 1);
    }
  }
  if (registry === 'docker.io' && !repository.includes('/')) repository = `library/${repository}`;
  if (!/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(repository)) {
    throw new TargetError(ref, `invalid repository name "${repository}"`);
  }
  if (tag !== undefined && !/^[\w][\w.-]{0,127}$/.test(tag)) throw new TargetError(ref, `invalid tag "${tag}"`);
  if (!tag && !digest) tag = 'latest';
  return { registry, repository, tag, digest };
}

function isLoopback(host: string): boolean {
  const name = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return name === 'localhost' || name === '::1' || /^127\./.test(name);
}

/** Credentials for `registry` from `config.json` (`auths[host].auth` or username/password). */
async function dockerConfigCredentials(registry: string, dir: string): Promise<RegistryCredentials | undefined> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
  } catch {
    return undefined;
  }
  const auths = (json as { auths?: Record<string, { auth?: string; username?: string; password?: string; registrytoken?: string }> }).auths ?? {};
  const keys = registry === 'docker.io' ? ['https://index.docker.io/v1/', 'docker.io', 'index.docker.io'] : [registry, `https://${registry}`, `http://${registry}`];
  for (const key of keys) {
    const entry = auths[key];
    if (!entry) continue;
    if (entry.registrytoken) return { token: entry.registrytoken };
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const i = decoded.indexOf(':');
      if (i > 0) return { username: decoded.slice(0, i), password: decoded.slice(i + 1) };
    }
    if (entry.username) return { username: entry.username, password: entry.password };
  }
  return undefined;
}

/** Resolves credentials: explicit options first, then environment, then docker config. */
export async function findCredentials(registry: string, opts: RegistryOptions): Promise<RegistryCredentials | undefined> {
  const c = opts.credentials;
  if (c && (c.username || c.token)) return c;
  // A server never lends its own credentials to whichever host a caller names.
  if (opts.outbound) return undefined;
  const env = opts.env ?? process.env;
  if (env.VIGIL_REGISTRY_TOKEN) return { token: env.VIGIL_REGISTRY_TOKEN };
  if (env.VIGIL_REGISTRY_USERNAME) return { username: env.VIGIL_REGISTRY_USERNAME, password: env.VIGIL_REGISTRY_PASSWORD ?? '' };
  const dir = opts.dockerConfigDir ?? env.DOCKER_CONFIG ?? join(homedir(), '.docker');
  return dockerConfigCredentials(registry, dir);
}

function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const space = header.indexOf(' ');
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const params: Record<string, string> = {};
  for (const m of header.slice(space + 1).matchAll(/(\w+)="([^"]*)"/g)) params[m[1].toLowerCase()] = m[2];
  return { scheme, params };
}

/** A minimal OCI distribution client for one repository. */
export class RegistryClient {
  private authorization?: string;
  readonly base: string;
  private readonly hostname: string;

  constructor(
    readonly ref: ImageReference,
    private readonly credentials: RegistryCredentials | undefined,
    private readonly insecure: boolean,
    private readonly label: string,
    private readonly signal?: AbortSignal,
    private readonly outbound?: OutboundRegistryPolicy,
  ) {
    const host = ref.registry === 'docker.io' ? 'registry-1.docker.io' : ref.registry;
    if (insecure && !outbound && !isLoopback(host)) {
      throw new TargetError(label, `--insecure-registry is only allowed for loopback registries, not ${host}`);
    }
    this.base = `${insecure ? 'http' : 'https'}://${host}/v2/${ref.repository}`;
    this.hostname = new URL(this.base).hostname;
  }

  /** Whether a redirect or token realm may take us to `hostname`. */
  private mayVisit(hostname: string): boolean {
    if (!this.outbound) return true;
    if (hostname === this.hostname) return true;
    return hostMatches(hostname, [...(this.outbound.trustedHosts ?? []), ...(WELL_KNOWN_TRUSTED[this.hostname] ?? [])]);
  }

  private send(url: string | URL, headers: Record<string, string>): Promise<OutboundResponse> {
    return outboundRequest(url, {
      headers,
      signal: this.signal,
      // The CLI reaches whatever the user names; a server only what its policy allows.
      policy: this.outbound?.policy ?? { allowLoopback: true, allowPrivate: true, allowLinkLocal: true },
      allowHttp: this.insecure,
      maxRedirects: 5,
      redirectAllowed: (h) => this.mayVisit(h),
      // Generous: the walk may pause reading a layer (backpressure) while it extracts a large file.
      idleTimeoutMs: 300_000,
    });
  }

  private async request(path: string, accept?: string): Promise<OutboundResponse> {
    const url = `${this.base}${path}`;
    const headers = (): Record<string, string> => ({ ...(accept ? { accept } : {}), ...(this.authorization ? { authorization: this.authorization } : {}) });
    const send = async (): Promise<OutboundResponse> => {
      try {
        return await this.send(url, headers());
      } catch (err) {
        if (this.signal?.aborted) throw this.signal.reason;
        throw new TargetError(this.label, `cannot reach registry ${new URL(url).host}: ${describeConnectionError(err)}`);
      }
    };
    let res = await send();
    // Credentials go out only once the registry asks for them (never a bearer token up front).
    if (res.status === 401 && !this.authorization) {
      res.discard();
      await this.authenticate(res.header('www-authenticate') ?? '');
      res = await send();
    }
    if (res.status === 401 || res.status === 403) {
      res.discard();
      throw new TargetError(this.label, `registry refused access (HTTP ${res.status})${this.credentials ? '' : '; no credentials were found'}`);
    }
    return res;
  }

  private async authenticate(header: string): Promise<void> {
    const { scheme, params } = parseChallenge(header);
    const basic = this.credentials?.username
      ? `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password ?? ''}`).toString('base64')}`
      : undefined;
    if (scheme === 'basic') {
      if (!basic) throw new TargetError(this.label, 'registry requires a username and password (basic auth); none were found');
      this.authorization = basic;
      return;
    }
    if (scheme !== 'bearer') throw new TargetError(this.label, `registry asks for unsupported authentication${/^[a-z-]{1,20}$/.test(scheme) ? ` "${scheme}"` : ''}`);
    if (this.credentials?.token) {
      this.authorization = `Bearer ${this.credentials.token}`;
      return;
    }
    if (!params.realm) throw new TargetError(this.label, 'registry asks for a bearer token without naming a token service (realm)');
    let url: URL;
    try {
      url = new URL(params.realm);
    } catch {
      throw new TargetError(this.label, 'registry names an invalid token service URL (realm)');
    }
    if (!this.mayVisit(url.hostname)) {
      throw new TargetError(this.label, `token service on another host (${url.hostname}) refused by policy; trust it in the registry's configuration`);
    }
    if (params.service) url.searchParams.set('service', params.service);
    url.searchParams.set('scope', params.scope ?? `repository:${this.ref.repository}:pull`);
    let res: OutboundResponse;
    try {
      res = await this.send(url, basic ? { authorization: basic } : {});
    } catch (err) {
      if (this.signal?.aborted) throw this.signal.reason;
      throw new TargetError(this.label, `cannot reach token service ${url.host}: ${describeConnectionError(err)}`);
    }
    if (res.status < 200 || res.status >= 300) {
      res.discard();
      throw new TargetError(this.label, `token service ${url.host} refused (HTTP ${res.status})`);
    }
    const body = (await res.json(1024 * 1024).catch(() => ({}))) as { token?: unknown; access_token?: unknown };
    const token = body.token ?? body.access_token;
    if (typeof token !== 'string' || !token || token.length > 64 * 1024 || !/^[\x21-\x7e]+$/.test(token)) throw new TargetError(this.label, `token service ${url.host} returned no usable token`);
    this.authorization = `Bearer ${token}`;
  }

  /** Fetches a manifest or index by tag or digest, checking its digest. */
  async manifest(reference: string, limit: number): Promise<ManifestDoc> {
    const accept = [MEDIA_TYPES.ociIndex, MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerList, MEDIA_TYPES.dockerManifest].join(', ');
    const res = await this.request(`/manifests/${reference}`, accept);
    const what = `${this.label} manifest ${reference}`;
    if (res.status === 404) {
      res.discard();
      throw new TargetError(what, 'not found in the registry');
    }
    if (res.status < 200 || res.status >= 300) {
      res.discard();
      throw new TargetError(what, `registry answered HTTP ${res.status}`);
    }
    const data = await readBody(res, limit, what, this.signal);
    const mediaType = res.header('content-type')?.split(';')[0].trim();
    if (mediaType === 'application/vnd.docker.distribution.manifest.v1+prettyjws' || mediaType === 'application/vnd.docker.distribution.manifest.v1+json') {
      throw new TargetError(what, 'Docker schema 1 manifests are not supported (deprecated); push the image again with a current tool');
    }
    const digest = digestOf(data);
    if (reference.includes(':') && reference !== digest) throw new TargetError(what, `digest mismatch: got ${digest}`);
    const claimed = res.header('docker-content-digest');
    if (claimed && claimed.startsWith('sha256:') && claimed !== digest) throw new TargetError(what, `digest mismatch: registry says ${claimed}, content is ${digest}`);
    return { data, digest, mediaType };
  }

  /** Streams a blob, checked against its digest. */
  async blob(digest: string, size?: number): Promise<Readable> {
    checkDigest(digest, this.label);
    const res = await this.request(`/blobs/${digest}`);
    const what = `${this.label} blob ${digest}`;
    if (res.status === 404) {
      res.discard();
      throw new TargetError(what, 'missing blob (HTTP 404)');
    }
    if (res.status < 200 || res.status >= 300) {
      res.discard();
      throw new TargetError(what, `registry answered HTTP ${res.status}`);
    }
    return verified(res.body, digest, what, size);
  }
}

async function readBody(res: OutboundResponse, limit: number, label: string, signal?: AbortSignal): Promise<Buffer> {
  try {
    return await res.bytes(limit);
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    if (err instanceof OutboundError && /limit/.test(err.message)) throw new TargetError(label, `document larger than ${limit} bytes (limit maxDocumentBytes)`);
    throw new TargetError(label, `reading the answer failed: ${describeConnectionError(err)}`);
  }
}

/** An image pulled from a registry. */
export class RegistrySource implements Source {
  readonly totalBytes?: number;

  private constructor(
    readonly target: TargetInfo,
    private readonly image: ResolvedImage,
  ) {
    this.totalBytes = image.layers.reduce((n, l) => n + (l.size ?? 0), 0) || undefined;
  }

  /** Resolves the reference to one image manifest (choosing `platform` from an index). */
  static async open(reference: string, name: string, platform: Platform, limits: ScanLimits, opts: RegistryOptions, signal?: AbortSignal): Promise<RegistrySource> {
    const ref = parseImageReference(reference);
    const credentials = await findCredentials(ref.registry, opts);
    const client = new RegistryClient(ref, credentials, opts.insecure ?? false, name, signal, opts.outbound);
    const store: BlobStore = { open: (digest, size) => client.blob(digest, size) };
    const top = await client.manifest(ref.digest ?? ref.tag!, limits.maxDocumentBytes);
    const fetchManifest = (d: Descriptor) => client.manifest(d.digest, limits.maxDocumentBytes);
    const image = await resolveImage(top, {
      store,
      fetchManifest,
      platform,
      limits,
      label: name,
      base: { registry: ref.registry, repository: ref.repository, tags: ref.tag ? [ref.tag] : [] },
    });
    return new RegistrySource({ type: 'registry', name, digest: image.info.manifestDigest, image: image.info }, image);
  }

  walk(handlers: WalkHandlers, options: WalkOptions): Promise<void> {
    return walkLayers(this.image.layers, handlers, options);
  }

  async close(): Promise<void> {}
}
