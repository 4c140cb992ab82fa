/**
 * `oci-dir:PATH[:TAG]` and `oci-archive:FILE[:TAG]`: an OCI image layout, as a directory or
 * as a tar of one. Blobs are named by digest; digests are checked for form before they
 * become file names, and every blob is verified as it streams.
 */
import { constants, type Stats } from 'node:fs';
import { open, realpath, type FileHandle } from 'node:fs/promises';
import { join, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { TargetError, describeError } from '../errors.js';
import { walkLayers, type LocalBlob } from '../layers.js';
import { LimitExceededError, type ScanLimits } from '../limits.js';
import type { TargetInfo } from '../types.js';
import type { Source, WalkHandlers, WalkOptions } from '../walk.js';
import {
  checkDigest,
  imageIndexSchema,
  parseDocument,
  readLimited,
  resolveImage,
  verified,
  verifyFile,
  type BlobStore,
  type Descriptor,
  type ResolvedImage,
} from './image.js';
import type { Platform } from './platform.js';
import { TarIndex } from './tar-index.js';

const REF_NAME = 'org.opencontainers.image.ref.name';

function fileKind(st: Stats): string {
  if (st.isDirectory()) return 'directory';
  if (st.isFIFO()) return 'FIFO';
  if (st.isCharacterDevice()) return 'character device';
  if (st.isBlockDevice()) return 'block device';
  if (st.isSocket()) return 'socket';
  return 'special file';
}

/**
 * Opens a file of a layout directory: it must resolve inside the layout (a symlink may point
 * at another file of the layout, never out of it) and be a regular file, so neither a link to
 * `/dev/zero` or a host file nor a FIFO that never ends can stand in for a blob. Undefined
 * when the file does not exist.
 */
async function openInside(root: string, relative: string, label: string): Promise<{ handle: FileHandle; size: number } | undefined> {
  let real: string;
  let realRoot: string;
  try {
    realRoot = await realpath(root);
    real = await realpath(join(root, relative));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TargetError(label, `cannot open: ${describeError(err)}`);
  }
  if (!real.startsWith(realRoot + sep)) throw new TargetError(label, 'a symlink out of the layout; not read');
  let handle: FileHandle;
  try {
    // No following a link swapped in since realpath; no blocking on a FIFO's open.
    handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    throw new TargetError(label, `cannot open: ${describeError(err)}`);
  }
  const st = await handle.stat();
  if (!st.isFile()) {
    await handle.close();
    throw new TargetError(label, `a ${fileKind(st)}, not a regular file; not read`);
  }
  return { handle, size: st.size };
}

/** Blobs of a layout directory on disk. */
class DirectoryBlobs implements BlobStore {
  constructor(
    private readonly root: string,
    private readonly label: string,
  ) {}

  async open(digest: string, size?: number): Promise<Readable> {
    const { handle, label } = await this.openBlob(digest, size);
    return verified(handle.createReadStream({ highWaterMark: 1024 * 1024 }), digest, label, size);
  }

  async openFile(digest: string, size?: number): Promise<LocalBlob> {
    const { handle, label } = await this.openBlob(digest, size);
    return { file: handle, verify: (onBytes, signal) => verifyFile(handle, digest, label, size, onBytes, signal) };
  }

  private async openBlob(digest: string, size?: number): Promise<{ handle: FileHandle; label: string }> {
    checkDigest(digest, this.label);
    const [alg, hex] = digest.split(':');
    const label = `${this.label} blob ${digest}`;
    const file = await openInside(this.root, join('blobs', alg, hex), label);
    if (!file) throw new TargetError(label, 'missing blob');
    if (size !== undefined && file.size !== size) {
      await file.handle.close();
      throw new TargetError(label, `blob is ${file.size} bytes, its descriptor says ${size}`);
    }
    return { handle: file.handle, label };
  }
}

/** Blobs of a layout inside a tar archive. */
export class ArchiveBlobs implements BlobStore {
  constructor(
    private readonly index: TarIndex,
    private readonly prefix = '',
  ) {}

  async open(digest: string, size?: number): Promise<Readable> {
    checkDigest(digest, this.index.label);
    const [alg, hex] = digest.split(':');
    const member = this.index.find(`${this.prefix}/blobs/${alg}/${hex}`);
    if (!member) throw new TargetError(`${this.index.label} blob ${digest}`, 'missing blob');
    return verified(this.index.stream(member), digest, `${this.index.label} blob ${digest}`, size);
  }
}

/** Reads the layout's `index.json` and picks the image named `tag` (or the only one). */
async function chooseManifest(indexData: Buffer, label: string, tag: string | undefined): Promise<Descriptor> {
  const index = parseDocument(indexData, imageIndexSchema, `${label} index.json`, 'OCI image index');
  if (tag !== undefined) {
    const named = index.manifests.filter((m) => m.annotations?.[REF_NAME] === tag);
    if (named.length === 0) {
      const tags = index.manifests.map((m) => m.annotations?.[REF_NAME]).filter(Boolean);
      throw new TargetError(label, `no image tagged "${tag}"; tags in the layout: ${tags.join(', ') || 'none'}`);
    }
    return named[0];
  }
  if (index.manifests.length === 1) return index.manifests[0];
  if (index.manifests.length === 0) throw new TargetError(label, 'the layout holds no images');
  const tags = index.manifests.map((m) => m.annotations?.[REF_NAME] ?? m.digest);
  throw new TargetError(label, `the layout holds ${index.manifests.length} images; name one with :TAG (${tags.join(', ')})`);
}

/** An image read from an OCI layout (directory or archive). */
export class LayoutImageSource implements Source {
  readonly totalBytes?: number;

  private constructor(
    readonly target: TargetInfo,
    private readonly image: ResolvedImage,
  ) {
    this.totalBytes = image.layers.reduce((n, l) => n + (l.size ?? 0), 0) || undefined;
  }

  /** Opens `oci-dir:PATH[:TAG]`. */
  static async fromDirectory(path: string, tag: string | undefined, name: string, platform: Platform, limits: ScanLimits): Promise<LayoutImageSource> {
    const index = await openInside(path, 'index.json', `${name} index.json`);
    if (!index) throw new TargetError(name, 'not an OCI image layout (no index.json)');
    if (index.size > limits.maxDocumentBytes) {
      await index.handle.close();
      throw new LimitExceededError('maxDocumentBytes', `${name} index.json: document larger than ${limits.maxDocumentBytes} bytes (limit maxDocumentBytes)`);
    }
    const indexData = await readLimited(index.handle.createReadStream(), limits.maxDocumentBytes, `${name} index.json`);
    const store = new DirectoryBlobs(path, name);
    return LayoutImageSource.resolve(store, indexData, tag, name, 'oci-dir', platform, limits);
  }

  /** Opens `oci-archive:FILE[:TAG]`. */
  static async fromArchive(file: string, tag: string | undefined, name: string, platform: Platform, limits: ScanLimits): Promise<LayoutImageSource> {
    const index = await TarIndex.build(file, name, limits.maxArchiveMembers);
    const member = index.find('/index.json');
    if (!member) throw new TargetError(name, 'not an OCI archive (no index.json inside)');
    const indexData = await readLimited(index.stream(member), limits.maxDocumentBytes, `${name} index.json`);
    return LayoutImageSource.resolve(new ArchiveBlobs(index), indexData, tag, name, 'oci-archive', platform, limits);
  }

  private static async resolve(
    store: BlobStore,
    indexData: Buffer,
    tag: string | undefined,
    name: string,
    type: 'oci-dir' | 'oci-archive',
    platform: Platform,
    limits: ScanLimits,
  ): Promise<LayoutImageSource> {
    const chosen = await chooseManifest(indexData, name, tag);
    const fetchManifest = async (d: Descriptor) => {
      checkDigest(d.digest, name);
      const data = await readLimited(await store.open(d.digest, d.size), limits.maxDocumentBytes, `${name} manifest ${d.digest}`);
      return { data, digest: d.digest, mediaType: d.mediaType };
    };
    const doc = await fetchManifest(chosen);
    const refName = chosen.annotations?.[REF_NAME];
    const image = await resolveImage(doc, { store, fetchManifest, platform, limits, label: name, base: { tags: refName ? [refName] : tag ? [tag] : [] } });
    return new LayoutImageSource({ type, name, digest: image.info.manifestDigest, image: image.info }, image);
  }

  walk(handlers: WalkHandlers, options: WalkOptions): Promise<void> {
    return walkLayers(this.image.layers, handlers, options);
  }

  async close(): Promise<void> {}
}
