/**
 * `registry:HOST/REPO[:TAG|@DIGEST]`: pulls an image over the OCI distribution API, streaming
 * each layer straight into the walk (nothing is stored). Anonymous, basic and bearer-token
 * auth; credentials from options, the environment or `~/.docker/config.json`.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { TargetError, describeError } from '../errors.js';
import { walkLayers } from '../layers.js';
import type { ScanLimits } from '../limits.js';
import type { TargetInfo } from '../types.js';
import type { Source, WalkHandlers, WalkOptions } from '../walk.js';
import { checkDigest, digestOf, MEDIA_TYPES, resolveImage, verified, type BlobStore, type Descriptor, type ManifestDoc, type Platform, type ResolvedImage } from './image.js';

/** Credentials for a registry; any of them may come from flags, environment or docker config. */
export interface RegistryCredentials {
  username?: string;
  password?: string;
  /** A bearer token used as is (no token exchange). */
  token?: string;
}

/** How to reach registries. */
export interface RegistryOptions {
  credentials?: RegistryCredentials;
  /** Hosts (`host[:port]`) to reach over plain HTTP; only honoured for loopback addresses. */
  insecure?: boolean;
  /** Where `config.json` lives (default `$DOCKER_CONFIG` or `~/.docker`). */
  dockerConfigDir?: string;
  env?: NodeJS.ProcessEnv;
}

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

  constructor(
    readonly ref: ImageReference,
    private readonly credentials: RegistryCredentials | undefined,
    insecure: boolean,
    private readonly label: string,
    private readonly signal?: AbortSignal,
  ) {
    const host = ref.registry === 'docker.io' ? 'registry-1.docker.io' : ref.registry;
    if (insecure && !isLoopback(host)) {
      throw new TargetError(label, `--insecure-registry is only allowed for loopback registries, not ${host}`);
    }
    this.base = `${insecure ? 'http' : 'https'}://${host}/v2/${ref.repository}`;
    if (credentials?.token) this.authorization = `Bearer ${credentials.token}`;
  }

  private async request(path: string, accept?: string): Promise<Response> {
    const url = `${this.base}${path}`;
    const send = (): Promise<Response> => {
      const headers: Record<string, string> = {};
      if (accept) headers.accept = accept;
      if (this.authorization) headers.authorization = this.authorization;
      return fetch(url, { headers, signal: this.signal, redirect: 'follow' });
    };
    let res: Response;
    try {
      res = await send();
    } catch (err) {
      throw new TargetError(this.label, `cannot reach registry: ${describeError((err as { cause?: unknown }).cause ?? err)}`);
    }
    if (res.status === 401 && !this.credentials?.token) {
      await res.body?.cancel();
      await this.authenticate(res.headers.get('www-authenticate') ?? '');
      res = await send();
    }
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel();
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
    if (scheme !== 'bearer' || !params.realm) throw new TargetError(this.label, `registry asks for unsupported authentication "${header.slice(0, 80)}"`);
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set('service', params.service);
    url.searchParams.set('scope', params.scope ?? `repository:${this.ref.repository}:pull`);
    let res: Response;
    try {
      res = await fetch(url, { headers: basic ? { authorization: basic } : {}, signal: this.signal });
    } catch (err) {
      throw new TargetError(this.label, `cannot reach token service ${url.origin}: ${describeError((err as { cause?: unknown }).cause ?? err)}`);
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new TargetError(this.label, `token service ${url.origin} refused (HTTP ${res.status})`);
    }
    const body = (await res.json().catch(() => ({}))) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new TargetError(this.label, `token service ${url.origin} returned no token`);
    this.authorization = `Bearer ${token}`;
  }

  /** Fetches a manifest or index by tag or digest, checking its digest. */
  async manifest(reference: string, limit: number): Promise<ManifestDoc> {
    const accept = [MEDIA_TYPES.ociIndex, MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerList, MEDIA_TYPES.dockerManifest].join(', ');
    const res = await this.request(`/manifests/${reference}`, accept);
    const what = `${this.label} manifest ${reference}`;
    if (res.status === 404) {
      await res.body?.cancel();
      throw new TargetError(what, 'not found in the registry');
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new TargetError(what, `registry answered HTTP ${res.status}`);
    }
    const data = await readBody(res, limit, what);
    const mediaType = res.headers.get('content-type')?.split(';')[0].trim();
    if (mediaType === 'application/vnd.docker.distribution.manifest.v1+prettyjws' || mediaType === 'application/vnd.docker.distribution.manifest.v1+json') {
      throw new TargetError(what, 'Docker schema 1 manifests are not supported (deprecated); push the image again with a current tool');
    }
    const digest = digestOf(data);
    if (reference.includes(':') && reference !== digest) throw new TargetError(what, `digest mismatch: got ${digest}`);
    const claimed = res.headers.get('docker-content-digest');
    if (claimed && claimed.startsWith('sha256:') && claimed !== digest) throw new TargetError(what, `digest mismatch: registry says ${claimed}, content is ${digest}`);
    return { data, digest, mediaType };
  }

  /** Streams a blob, checked against its digest. */
  async blob(digest: string, size?: number): Promise<Readable> {
    checkDigest(digest, this.label);
    const res = await this.request(`/blobs/${digest}`);
    const what = `${this.label} blob ${digest}`;
    if (res.status === 404) {
      await res.body?.cancel();
      throw new TargetError(what, 'missing blob (HTTP 404)');
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      throw new TargetError(what, `registry answered HTTP ${res.status}`);
    }
    return verified(Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>), digest, what, size);
  }
}

async function readBody(res: Response, limit: number, label: string): Promise<Buffer> {
  const length = Number(res.headers.get('content-length') ?? 0);
  if (length > limit) {
    await res.body?.cancel();
    throw new TargetError(label, `document is ${length} bytes, more than the limit of ${limit} (maxDocumentBytes)`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += c.length;
    if (size > limit) throw new TargetError(label, `document larger than ${limit} bytes (limit maxDocumentBytes)`);
    chunks.push(Buffer.from(c));
  }
  return Buffer.concat(chunks, size);
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
    const client = new RegistryClient(ref, credentials, opts.insecure ?? false, name, signal);
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
