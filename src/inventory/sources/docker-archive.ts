/**
 * `docker-archive:FILE`: a `docker save` / `skopeo copy … docker-archive:` tarball. Its
 * `manifest.json` names the config and the layer files; legacy layers are plain tars whose
 * sha256 is the config's diff id, newer ones are `blobs/sha256/…` named by their digest.
 * Either way each layer is verified as it streams.
 */
import { z } from 'zod';
import { TargetError } from '../errors.js';
import { walkLayers, type LayerBlob } from '../layers.js';
import { LimitExceededError, type ScanLimits } from '../limits.js';
import type { TargetInfo } from '../types.js';
import type { Source, WalkHandlers, WalkOptions } from '../walk.js';
import { digestOf, imageConfigSchema, imageInfo, isDigest, parseDocument, readLimited, verified, type ResolvedImage } from './image.js';
import { TarIndex } from './tar-index.js';

const manifestSchema = z.array(
  z
    .object({
      Config: z.string(),
      RepoTags: z.array(z.string()).nullish(),
      Layers: z.array(z.string()),
    })
    .loose(),
);

/** The digest a layer file is named by (`blobs/sha256/<hex>`), if it is named by one. */
function digestFromPath(path: string): string | undefined {
  const m = /(?:^|\/)blobs\/(sha256|sha512)\/([a-f0-9]+)$/.exec(path);
  const digest = m ? `${m[1]}:${m[2]}` : undefined;
  return digest && isDigest(digest) ? digest : undefined;
}

/** An image read from a docker-archive tarball. */
export class DockerArchiveSource implements Source {
  readonly totalBytes?: number;

  private constructor(
    readonly target: TargetInfo,
    private readonly image: ResolvedImage,
  ) {
    this.totalBytes = image.layers.reduce((n, l) => n + (l.size ?? 0), 0) || undefined;
  }

  /** Opens the archive and reads its manifest and config. */
  static async open(file: string, name: string, limits: ScanLimits, warn: (reason: string) => void): Promise<DockerArchiveSource> {
    const index = await TarIndex.build(file, name, limits.maxArchiveMembers);
    const manifestMember = index.find('/manifest.json');
    if (!manifestMember) throw new TargetError(name, 'not a docker archive (no manifest.json inside)');
    const manifests = parseDocument(
      await readLimited(index.stream(manifestMember), limits.maxDocumentBytes, `${name} manifest.json`),
      manifestSchema,
      `${name} manifest.json`,
      'docker-archive manifest',
    );
    if (manifests.length === 0) throw new TargetError(name, 'manifest.json lists no images');
    if (manifests.length > 1) warn(`archive holds ${manifests.length} images; scanning the first (${manifests[0].RepoTags?.[0] ?? manifests[0].Config})`);
    const entry = manifests[0];
    if (entry.Layers.length > limits.maxLayers) {
      throw new LimitExceededError('maxLayers', `${name}: ${entry.Layers.length} layers, more than the limit of ${limits.maxLayers} (maxLayers)`);
    }
    const configMember = index.find(`/${entry.Config}`);
    if (!configMember) throw new TargetError(`${name} ${entry.Config}`, 'missing config blob');
    const configData = await readLimited(index.stream(configMember), limits.maxDocumentBytes, `${name} ${entry.Config}`);
    const configDigest = digestOf(configData);
    const named = digestFromPath(entry.Config);
    if (named && named !== configDigest) throw new TargetError(`${name} ${entry.Config}`, `digest mismatch: expected ${named}, got ${configDigest}`);
    const config = parseDocument(configData, imageConfigSchema, `${name} ${entry.Config}`, 'image config');
    const diffIds = config.rootfs?.diff_ids ?? [];
    const layers: LayerBlob[] = entry.Layers.map((path, i) => {
      const member = index.find(`/${path}`);
      const label = `${name} layer ${i + 1} (${path})`;
      if (!member) throw new TargetError(label, 'missing layer blob');
      // Legacy layers are uncompressed, so their digest is the diff id; newer ones are named by digest.
      const expected = digestFromPath(path) ?? diffIds[i];
      if (!expected || !isDigest(expected)) throw new TargetError(label, 'no digest to verify the layer against (config lists too few diff ids)');
      return { digest: expected, size: member.size, open: async () => verified(index.stream(member), expected, label, member.size) };
    });
    const info = imageInfo(config, undefined, {
      tags: entry.RepoTags ?? [],
      configDigest,
      layers: layers.map((l, i) => ({ digest: l.digest, diffId: diffIds[i], size: l.size })),
    });
    return new DockerArchiveSource({ type: 'docker-archive', name, image: info }, { info, layers });
  }

  walk(handlers: WalkHandlers, options: WalkOptions): Promise<void> {
    return walkLayers(this.image.layers, handlers, options);
  }

  async close(): Promise<void> {}
}
