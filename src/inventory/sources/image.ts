/**
 * What every image source shares: digest checks, the OCI/Docker manifest and config
 * documents (parsed through schemas), platform selection in indexes, and the image metadata
 * kept with an inventory. A source supplies a {@link BlobStore}; this module turns a
 * manifest into layers.
 */
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { z } from 'zod';
import { TargetError, describeJsonError } from '../errors.js';
import { LimitExceededError, type ScanLimits } from '../limits.js';
import type { LayerBlob, LocalBlob } from '../layers.js';
import type { ImageInfo } from '../types.js';
import { hashFile } from './file-digest.js';
import type { Platform } from './platform.js';

/** Media types Vigil reads. */
export const MEDIA_TYPES = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
} as const;

const LAYER_TYPES = new Set([
  'application/vnd.oci.image.layer.v1.tar',
  'application/vnd.oci.image.layer.v1.tar+gzip',
  'application/vnd.oci.image.layer.v1.tar+zstd',
  'application/vnd.oci.image.layer.nondistributable.v1.tar',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
  'application/vnd.docker.image.rootfs.diff.tar',
  'application/vnd.docker.image.rootfs.diff.tar.gzip',
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  'application/vnd.docker.image.rootfs.diff.tar.zstd',
]);

const DIGEST_RE = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

/** True for a well-formed `sha256:`/`sha512:` digest (also what keeps digests safe as file names). */
export function isDigest(value: string): boolean {
  return DIGEST_RE.test(value);
}

/** Throws unless `digest` is well formed, naming where it came from. */
export function checkDigest(digest: string, where: string): void {
  if (!isDigest(digest)) throw new TargetError(where, `malformed digest "${digest.slice(0, 80)}"`);
}

/** The digest of bytes in memory. */
export function digestOf(data: Buffer, algorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
}

/** Passes bytes through and fails at the end unless they match `digest` (and `size`, when given). */
export class VerifyDigest extends Transform {
  private readonly hash;
  private seen = 0;

  constructor(
    private readonly digest: string,
    private readonly label: string,
    private readonly size?: number,
  ) {
    super();
    this.hash = createHash(digest.slice(0, digest.indexOf(':')));
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.seen += chunk.length;
    if (this.size !== undefined && this.seen > this.size) {
      cb(new TargetError(this.label, `blob is larger than its descriptor says (${this.size} bytes)`));
      return;
    }
    this.hash.update(chunk);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    cb(digestProblem(this.hash.digest('hex'), this.digest, this.label, this.seen, this.size));
  }
}

/** Why hashed bytes are not the blob they should be (digest, then size), or undefined. */
function digestProblem(hex: string, digest: string, label: string, seen: number, size?: number): TargetError | undefined {
  const got = `${digest.slice(0, digest.indexOf(':'))}:${hex}`;
  if (got !== digest) return new TargetError(label, `digest mismatch: expected ${digest}, got ${got}`);
  if (size !== undefined && seen !== size) return new TargetError(label, `blob is ${seen} bytes, its descriptor says ${size} (truncated?)`);
  return undefined;
}

/**
 * Reads an open blob file whole (by position, on the digest worker: see file-digest.ts) and
 * resolves when it matches `digest` (and `size`, when given); rejects with a
 * {@link TargetError} naming the blob otherwise. For blobs that an inflater reads by itself:
 * their bytes never pass through Node's main thread.
 */
export async function verifyFile(file: FileHandle, digest: string, label: string, size?: number, onBytes?: (n: number) => void, signal?: AbortSignal): Promise<void> {
  const result = await hashFile(file.fd, digest.slice(0, digest.indexOf(':')), size, onBytes, signal);
  if (result.tooLarge) throw new TargetError(label, `blob is larger than its descriptor says (${size} bytes)`);
  const problem = digestProblem(result.hex, digest, label, result.bytes, size);
  if (problem) throw problem;
}

/** Pipes `source` through a digest check; errors in either end up on the returned stream. */
export function verified(source: Readable, digest: string, label: string, size?: number): Readable {
  const check = new VerifyDigest(digest, label, size);
  source.on('error', (err) => check.destroy(err));
  // A reader that gives up early (a failed or aborted scan) must release the file or socket too.
  check.on('close', () => source.destroy());
  return source.pipe(check);
}

/** Reads a stream whole, refusing more than `limit` bytes. */
export async function readLimited(stream: Readable, limit: number, label: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of stream as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > limit) {
      stream.destroy();
      throw new LimitExceededError('maxDocumentBytes', `${label}: document larger than ${limit} bytes (limit maxDocumentBytes)`);
    }
    chunks.push(c);
  }
  return Buffer.concat(chunks, size);
}

/** Content-addressed storage of one image: an OCI layout, an archive, a registry. */
export interface BlobStore {
  /** Opens a blob, checked against its digest (and size when given) as it streams. */
  open(digest: string, size?: number, mediaType?: string): Promise<Readable>;
  /** Opens a blob stored whole in a local file, for an inflater to read by itself (see {@link LocalBlob}). */
  openFile?(digest: string, size?: number): Promise<LocalBlob>;
}

const descriptorSchema = z.object({
  mediaType: z.string().optional(),
  digest: z.string(),
  size: z.number().int().nonnegative().optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  platform: z
    .object({ os: z.string().optional(), architecture: z.string().optional(), variant: z.string().optional() })
    .loose()
    .optional(),
  urls: z.array(z.string()).optional(),
});

/** One OCI descriptor. */
export type Descriptor = z.infer<typeof descriptorSchema>;

const indexSchema = z.object({ mediaType: z.string().optional(), manifests: z.array(descriptorSchema), annotations: z.record(z.string(), z.string()).optional() }).loose();
const manifestSchema = z
  .object({
    schemaVersion: z.number().optional(),
    mediaType: z.string().optional(),
    config: descriptorSchema,
    layers: z.array(descriptorSchema),
    annotations: z.record(z.string(), z.string()).optional(),
  })
  .loose();
const configSchema = z
  .object({
    created: z.string().optional(),
    os: z.string().optional(),
    architecture: z.string().optional(),
    variant: z.string().optional(),
    config: z.object({ Labels: z.record(z.string(), z.string()).nullish() }).loose().nullish(),
    rootfs: z.object({ type: z.string().optional(), diff_ids: z.array(z.string()).optional() }).loose().optional(),
    history: z
      .array(
        z
          .object({
            created: z.string().optional(),
            created_by: z.string().optional(),
            empty_layer: z.boolean().optional(),
            comment: z.string().optional(),
          })
          .loose(),
      )
      .optional(),
  })
  .loose();

/** The image configuration, as far as Vigil uses it. */
export type ImageConfig = z.infer<typeof configSchema>;

/** Parses JSON through a schema, naming the document on failure. */
export function parseDocument<T extends z.ZodType>(data: Buffer, schema: T, label: string, what: string): z.infer<T> {
  let json: unknown;
  try {
    json = JSON.parse(data.toString('utf8'));
  } catch (err) {
    throw new TargetError(label, `${what} is not valid JSON: ${describeJsonError(err)}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TargetError(label, `not a valid ${what}: ${issue?.message ?? 'invalid'}${issue?.path.length ? ` at ${issue.path.join('.')}` : ''}`);
  }
  return parsed.data;
}

function formatPlatform(p: { os?: string; architecture?: string; variant?: string } | undefined): string {
  return [p?.os ?? '?', p?.architecture ?? '?', p?.variant].filter(Boolean).join('/');
}

/** True for index/list media types (or documents that look like one). */
function isIndex(mediaType: string | undefined, json: Record<string, unknown>): boolean {
  if (mediaType === MEDIA_TYPES.ociIndex || mediaType === MEDIA_TYPES.dockerList) return true;
  if (mediaType === MEDIA_TYPES.ociManifest || mediaType === MEDIA_TYPES.dockerManifest) return false;
  return Array.isArray(json.manifests) && !('layers' in json);
}

/** Picks the manifest for `platform` from an index; names the choices when none fits. */
export function selectPlatform(manifests: Descriptor[], platform: Platform, label: string): Descriptor {
  const images = manifests.filter((m) => m.platform || m.mediaType !== undefined);
  const fits = images.filter(
    (m) =>
      m.platform?.os === platform.os &&
      m.platform?.architecture === platform.architecture &&
      (platform.variant === undefined || m.platform?.variant === platform.variant),
  );
  if (fits.length > 0) return fits[0];
  // An index without platforms (as umoci and skopeo write for one image) holds one image.
  const unplatformed = manifests.filter((m) => !m.platform);
  if (unplatformed.length === 1 && manifests.length === 1) return unplatformed[0];
  throw new TargetError(
    label,
    `no image for platform ${formatPlatform(platform)}; available: ${manifests.map((m) => formatPlatform(m.platform)).join(', ') || 'none'}`,
  );
}

/** A manifest document located in a store. */
export interface ManifestDoc {
  data: Buffer;
  digest: string;
  mediaType?: string;
}

/** Everything needed to walk an image: its metadata and its layers, bottom to top. */
export interface ResolvedImage {
  info: ImageInfo;
  layers: LayerBlob[];
}

/** How a source fetches a manifest by descriptor (registries fetch by URL, layouts by blob). */
export type ManifestFetcher = (descriptor: Descriptor) => Promise<ManifestDoc>;

/**
 * Turns a manifest (or an index, choosing `platform`) into image metadata and layers.
 * `fetchManifest` loads a child manifest of an index; `store` loads config and layers.
 */
export async function resolveImage(
  doc: ManifestDoc,
  opts: { store: BlobStore; fetchManifest: ManifestFetcher; platform: Platform; limits: ScanLimits; label: string; base?: Partial<ImageInfo> },
): Promise<ResolvedImage> {
  let current = doc;
  for (let depth = 0; ; depth++) {
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(current.data.toString('utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new TargetError(`${opts.label} manifest ${current.digest}`, `not valid JSON: ${describeJsonError(err)}`);
    }
    if (json === null || typeof json !== 'object') throw new TargetError(`${opts.label} manifest ${current.digest}`, 'not a JSON object');
    const mediaType = current.mediaType ?? (typeof json.mediaType === 'string' ? json.mediaType : undefined);
    if (!isIndex(mediaType, json)) break;
    if (depth >= 2) throw new TargetError(opts.label, 'indexes nested more than two deep');
    const index = parseDocument(current.data, indexSchema, `${opts.label} index ${current.digest}`, 'image index');
    const chosen = selectPlatform(index.manifests, opts.platform, opts.label);
    checkDigest(chosen.digest, `${opts.label} index`);
    current = await opts.fetchManifest(chosen);
  }
  const label = `${opts.label} manifest ${current.digest}`;
  const manifest = parseDocument(current.data, manifestSchema, label, 'image manifest');
  if (manifest.layers.length > opts.limits.maxLayers) {
    throw new LimitExceededError('maxLayers', `${label}: ${manifest.layers.length} layers, more than the limit of ${opts.limits.maxLayers} (maxLayers)`);
  }
  checkDigest(manifest.config.digest, `${label} config`);
  const configStream = await opts.store.open(manifest.config.digest, manifest.config.size);
  const configData = await readLimited(configStream, opts.limits.maxDocumentBytes, `${opts.label} config ${manifest.config.digest}`);
  const config = parseDocument(configData, configSchema, `${opts.label} config ${manifest.config.digest}`, 'image config');
  const diffIds = config.rootfs?.diff_ids ?? [];
  const layers: LayerBlob[] = manifest.layers.map((d, i) => {
    checkDigest(d.digest, `${label} layer ${i + 1}`);
    if (d.mediaType && !LAYER_TYPES.has(d.mediaType)) {
      throw new TargetError(`${label} layer ${i + 1} (${d.digest})`, `unsupported layer media type ${d.mediaType}`);
    }
    const { store } = opts;
    const openFile = store.openFile?.bind(store);
    return {
      digest: d.digest,
      mediaType: d.mediaType,
      size: d.size,
      open: () => store.open(d.digest, d.size, d.mediaType),
      ...(openFile ? { openFile: () => openFile(d.digest, d.size) } : {}),
    };
  });
  const info = imageInfo(config, manifest.annotations, {
    ...opts.base,
    manifestDigest: current.digest,
    configDigest: manifest.config.digest,
    layers: manifest.layers.map((d, i) => ({ digest: d.digest, diffId: diffIds[i], size: d.size, mediaType: d.mediaType })),
  });
  return { info, layers };
}

/** Builds {@link ImageInfo} from a config (and manifest annotations), keeping what users ask about. */
export function imageInfo(config: ImageConfig, annotations: Record<string, string> | undefined, base: Partial<ImageInfo>): ImageInfo {
  const labels = config.config?.Labels ?? {};
  const baseName = labels['org.opencontainers.image.base.name'] ?? annotations?.['org.opencontainers.image.base.name'];
  const baseDigest = labels['org.opencontainers.image.base.digest'] ?? annotations?.['org.opencontainers.image.base.digest'];
  return {
    registry: base.registry,
    repository: base.repository,
    tags: base.tags ?? [],
    manifestDigest: base.manifestDigest,
    configDigest: base.configDigest,
    os: config.os,
    architecture: config.architecture,
    variant: config.variant,
    created: config.created,
    labels,
    history: (config.history ?? []).map((h) => ({ created: h.created, createdBy: h.created_by, emptyLayer: h.empty_layer, comment: h.comment })),
    layers: base.layers ?? [],
    baseImage: baseName || baseDigest ? { name: baseName, digest: baseDigest } : undefined,
  };
}

/** The schema of an image config, for sources that read it themselves (docker-archive). */
export const imageConfigSchema = configSchema;
/** The schema of an OCI image index (`index.json`). */
export const imageIndexSchema = indexSchema;
