/**
 * Layer streaming: reads each image layer once as a tar stream (gzip, zstd or plain), applies
 * whiteouts to build the final filesystem view in memory, and keeps only the bytes of files
 * an extractor asked for. Nothing is written to disk, so no name in a layer can reach outside
 * Vigil's memory, whatever it says.
 */
import type { FileHandle } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { PassThrough, Readable, Transform, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Decompress } from 'fzstd';
import { LimitExceededError, type ScanLimits } from './limits.js';
import { TargetError, describeError } from './errors.js';
import { bufferRef, heldPartsRef, type HeldParts } from './buffer-ref.js';
import { isProgramHead, programLookup, PROGRAM_HEAD_BYTES } from './extractors/elf.js';
import { debug } from '../debug.js';
import { chosenTool, ToolInflate } from './inflate.js';
import { baseName, cleanEntryPath, parentPath, resolveLinkTarget } from './paths.js';
import { TarReader, type EntrySink, type TarHeader } from './tar-reader.js';
import type { FileVersion, FileView, WalkHandlers, WalkOptions } from './walk.js';

/** One layer of an image, as stored (compressed or not). */
export interface LayerBlob {
  /** Digest recorded for attribution (the manifest's layer digest). */
  digest: string;
  mediaType?: string;
  size?: number;
  /** Opens the stored bytes; the stream errors if they do not match their digest. */
  open(): Promise<Readable>;
  /** Opens a blob stored whole in a local file, so that an inflater tool can read it itself. */
  openFile?(): Promise<LocalBlob>;
}

/**
 * A layer blob in a local file. An inflater tool reads the file itself (no compressed byte
 * passes through Node), so the digest is checked apart, by reading the file again in Node:
 * the layer counts as read only once both the tool and that check have succeeded.
 */
export interface LocalBlob {
  /** The open file; read by position only, so a tool given its descriptor reads from the start. */
  file: FileHandle;
  /** Resolves when the file matches the blob's digest (and size); rejects naming the blob otherwise. */
  verify(onBytes?: (n: number) => void, signal?: AbortSignal): Promise<void>;
}

type NodeKind = 'file' | 'dir' | 'symlink' | 'other';

interface Node {
  kind: NodeKind;
  /** Index of the last layer that wrote this node or anything below it. */
  touched: number;
  /** Layer the node's current content came from. */
  layer: number;
  size: number;
  /** `st_mode` from the tar header (files only). */
  mode?: number;
  children?: Map<string, Node>;
  linkTarget?: string;
  data?: Buffer;
  /** The parts kept of a file only program extractors want and need only part of (see {@link readProgram}), instead of `data`. */
  held?: HeldParts;
  /** Earlier versions from lower layers, oldest first. */
  history?: { layer: number; data: Buffer }[];
  /** Why a wanted file's bytes were not kept. */
  skipped?: string;
}

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
const MAX_SYMLINK_HOPS = 40;

/** A Transform that decompresses zstd through fzstd (Node 20's zlib has no zstd). */
class ZstdDecompress extends Transform {
  private readonly decoder = new Decompress((chunk) => {
    if (chunk.length > 0) this.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
  });

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.decoder.push(chunk);
      cb();
    } catch (err) {
      cb(new Error(describeError(err)));
    }
  }

  override _flush(cb: TransformCallback): void {
    try {
      this.decoder.push(new Uint8Array(0), true);
      cb();
    } catch (err) {
      cb(new Error(describeError(err)));
    }
  }
}

/** Counts decompressed bytes against the scan's shared budget. */
class ByteBudget extends Transform {
  constructor(
    private readonly budget: { remaining: number; limit: number },
    private readonly label: string,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.budget.remaining -= chunk.length;
    if (this.budget.remaining < 0) {
      cb(
        new LimitExceededError(
          'maxDecompressedBytes',
          `${this.label}: layers decompress to more than ${this.budget.limit} bytes (limit maxDecompressedBytes); a decompression bomb or an image larger than allowed`,
        ),
      );
      return;
    }
    cb(null, chunk);
  }
}

/**
 * Reads the first bytes of a stream and puts them back, so the stream can be piped whole;
 * returns them and the stream to read (a fresh one holding everything when the source
 * already ended, which tiny blobs do).
 */
async function sniff(raw: Readable, want: number): Promise<{ head: Buffer; stream: Readable }> {
  const chunks: Buffer[] = [];
  let have = 0;
  while (true) {
    // Drain the buffer completely: a 'readable' listener added while bytes are buffered fires
    // at once, which would spin without ever letting the stream read further.
    let chunk: Buffer | null;
    while ((chunk = raw.read() as Buffer | null) !== null) {
      chunks.push(chunk);
      have += chunk.length;
    }
    if (have >= want || raw.readableEnded || raw.destroyed) break;
    await new Promise<void>((resolve, reject) => {
      const done = (): void => {
        raw.off('readable', done);
        raw.off('end', done);
        raw.off('error', fail);
        resolve();
      };
      const fail = (err: Error): void => {
        raw.off('readable', done);
        raw.off('end', done);
        reject(err);
      };
      raw.once('readable', done);
      raw.once('end', done);
      raw.once('error', fail);
    });
  }
  const head = Buffer.concat(chunks, have);
  if (!raw.readableEnded) {
    if (have > 0) raw.unshift(head);
    return { head, stream: raw };
  }
  return { head, stream: Readable.from(have > 0 ? [head] : []) };
}

/** Largest zstd window accepted: zstd's own default limit for decompression (`--long` needs opt-in). */
export const MAX_ZSTD_WINDOW = 128 * 1024 * 1024;

/**
 * The memory a zstd frame asks for (its window, or its content size for single-segment
 * frames), from the frame header at the start of `head`; undefined when it cannot be told.
 * fzstd allocates that much up front, so a tiny blob could otherwise claim gigabytes.
 */
export function zstdFrameMemory(head: Buffer): number | undefined {
  if (head.length < 6 || !head.subarray(0, 4).equals(ZSTD_MAGIC)) return undefined;
  const flags = head[4];
  const singleSegment = (flags >> 5) & 1;
  if (!singleSegment) {
    const wd = head[5];
    const base = 2 ** (10 + (wd >> 3));
    return base + (base / 8) * (wd & 7);
  }
  const dictBytes = [0, 1, 2, 4][flags & 3];
  const fcsField = flags >> 6;
  const fcsBytes = fcsField === 0 ? 1 : 2 ** fcsField;
  const at = 5 + dictBytes;
  if (head.length < at + fcsBytes) return undefined;
  let size = 0;
  for (let i = fcsBytes - 1; i >= 0; i--) size = size * 256 + head[at + i];
  return fcsField === 1 ? size + 256 : size;
}

/** Which compression a blob uses, judged by its magic bytes (media types lie more often). */
export function detectCompression(head: Buffer): 'gzip' | 'zstd' | 'none' {
  if (head.subarray(0, 2).equals(GZIP_MAGIC)) return 'gzip';
  if (head.subarray(0, 4).equals(ZSTD_MAGIC)) return 'zstd';
  return 'none';
}

/** Where a source's bytes come from, for messages. */
function layerLabel(index: number, layer: LayerBlob): string {
  return `layer ${index + 1} (${layer.digest})`;
}

/** The final filesystem view being built from the layers, with the wanted files' bytes. */
class LayerTree {
  readonly root: Node = { kind: 'dir', touched: -1, layer: -1, size: 0, children: new Map() };
  buffered = 0;
  /** The directory {@link dirFor} found last, and for which layer. */
  private lastDir?: { path: string; layer: number; node: Node };

  constructor(private readonly limits: ScanLimits) {}

  lookup(path: string): Node | undefined {
    let node: Node | undefined = this.root;
    for (const part of path.split('/')) {
      if (part === '') continue;
      node = node?.children?.get(part);
      if (!node) return undefined;
    }
    return node;
  }

  /** The directory at `path`, creating missing (or replacing non-directory) ancestors. */
  private dirFor(path: string, layer: number): Node {
    // Tar entries come directory by directory: the last directory found serves the next entries
    // of the same layer (its ancestors' `touched` already count the layer) until any node is
    // released, which may have detached it.
    const last = this.lastDir;
    if (last && last.path === path && last.layer === layer) return last.node;
    let node = this.root;
    node.touched = Math.max(node.touched, layer);
    for (const part of path.split('/')) {
      if (part === '') continue;
      let child = node.children!.get(part);
      if (!child || child.kind !== 'dir') {
        if (child) this.release(child);
        child = { kind: 'dir', touched: layer, layer, size: 0, children: new Map() };
        node.children!.set(part, child);
      }
      child.touched = Math.max(child.touched, layer);
      node = child;
    }
    this.lastDir = { path, layer, node };
    return node;
  }

  /** Puts a node at `path`, replacing what was there; returns the replaced node. */
  set(path: string, node: Node): Node | undefined {
    const dir = this.dirFor(parentPath(path), node.layer);
    const name = baseName(path);
    const old = dir.children!.get(name);
    if (old?.kind === 'dir' && node.kind === 'dir') {
      old.touched = Math.max(old.touched, node.layer);
      return undefined;
    }
    dir.children!.set(name, node);
    return old;
  }

  /** Forgets a node and its subtree, returning the bytes it held to the budget. */
  release(node: Node): void {
    this.lastDir = undefined;
    // A stack, not recursion: a layer may nest directories deeper than the call stack.
    const pending = [node];
    for (let n = pending.pop(); n; n = pending.pop()) {
      if (n.data) this.buffered -= n.data.length;
      if (n.held) this.buffered -= heldBytes(n.held);
      for (const v of n.history ?? []) this.buffered -= v.data.length;
      // One push per child: spreading a directory of a million entries would overflow the stack too.
      for (const child of n.children?.values() ?? []) pending.push(child);
    }
  }

  /** A `.wh.NAME` whiteout in `layer`: hides NAME from lower layers. */
  whiteout(path: string, layer: number): void {
    const dir = this.lookup(parentPath(path));
    const name = baseName(path);
    const node = dir?.children?.get(name);
    if (!node) return;
    if (node.touched < layer) {
      this.release(node);
      dir!.children!.delete(name);
    } else if (node.kind === 'dir') {
      // Written in this same layer: whiteouts only hide what lies below.
      this.prune(node, layer);
    }
  }

  /** A `.wh..wh..opq` opaque whiteout in `layer`: hides the directory's lower-layer content. */
  opaque(dirPath: string, layer: number): void {
    this.prune(this.dirFor(dirPath, layer), layer);
  }

  private prune(top: Node, layer: number): void {
    const pending = [top];
    for (let dir = pending.pop(); dir; dir = pending.pop()) {
      for (const [name, child] of dir.children ?? []) {
        if (child.touched < layer) {
          this.release(child);
          dir.children!.delete(name);
        } else if (child.kind === 'dir') {
          pending.push(child);
        }
      }
    }
  }

  keep(bytes: number, label: string): void {
    this.buffered += bytes;
    if (this.buffered > this.limits.maxBufferedBytes) {
      throw new LimitExceededError(
        'maxBufferedBytes',
        `${label}: files wanted by extractors exceed ${this.limits.maxBufferedBytes} bytes held at once (limit maxBufferedBytes)`,
      );
    }
  }
  /** Gives back bytes {@link keep} counted that are no longer held. */
  unkeep(bytes: number): void {
    this.buffered -= bytes;
  }


  /** Resolves symlinks along `path` inside the view; at most {@link MAX_SYMLINK_HOPS} hops. */
  resolve(path: string): { node?: Node; path: string; problem?: string } {
    let pending = path.split('/').filter((p) => p !== '');
    let done: string[] = [];
    let hops = 0;
    let node: Node = this.root;
    while (pending.length > 0) {
      const part = pending.shift()!;
      if (part === '.') continue;
      if (part === '..') {
        done.pop();
        node = this.lookup('/' + done.join('/')) ?? this.root;
        continue;
      }
      const child = node.children?.get(part);
      if (!child) return { path: '/' + [...done, part, ...pending].join('/'), problem: 'missing' };
      if (child.kind === 'symlink') {
        if (++hops > MAX_SYMLINK_HOPS) return { path, problem: 'loop' };
        const target = resolveLinkTarget('/' + [...done, part].join('/'), child.linkTarget ?? '');
        pending = [...target.split('/').filter((p) => p !== ''), ...pending];
        done = [];
        node = this.root;
        continue;
      }
      done.push(part);
      node = child;
    }
    return { node, path: '/' + done.join('/') };
  }
}

/**
 * Walks image layers bottom to top, each read once as a stream, and hands the wanted files
 * of the final view to the handlers (`aheadBytes`: see {@link AHEAD_BYTES}). Throws {@link TargetError} (naming the layer) for a
 * layer that cannot be read, and {@link LimitExceededError} past a limit.
 */
export async function walkLayers(layers: readonly LayerBlob[], handlers: WalkHandlers, options: WalkOptions, aheadBytes = AHEAD_BYTES): Promise<void> {
  const { limits, signal } = options;
  if (layers.length > limits.maxLayers) {
    throw new LimitExceededError('maxLayers', `image has ${layers.length} layers, more than the limit of ${limits.maxLayers} (maxLayers)`);
  }
  const tree = new LayerTree(limits);
  const budget = { remaining: limits.maxDecompressedBytes, limit: limits.maxDecompressedBytes };
  const entries = { count: 0 };
  let bytesRead = 0;
  const onBytes = (n: number): void => {
    bytesRead += n;
    handlers.progress?.(bytesRead);
  };
  const state: ReadState = { limits, signal, budget, entries, onBytes };
  // Layers are inflated and tar-parsed ahead of the one being applied, up to one being read per
  // core, and at most twice that many read and not yet applied; what an ahead layer's entries do
  // to the view waits in its own list (bounded, see LayerOps) and is done in layer order, so
  // whiteouts keep their meaning and the result is the sequential one.
  const cores = Math.max(1, availableParallelism());
  const reading: Promise<void>[] = [];
  const ops: LayerOps[] = [];
  const inflating: (InflatingLayer | undefined)[] = [];
  let beingRead = 0;
  let stopped = false;
  const startMore = (): void => {
    while (!stopped && reading.length < layers.length && beingRead < cores && reading.length < index + 2 * cores) start(reading.length);
  };
  const start = (i: number): void => {
    beingRead++;
    ops[i] = new LayerOps(aheadBytes);
    reading[i] = readLayer(layers[i], i, layerLabel(i, layers[i]), tree, handlers, state, ops[i], (layer) => (inflating[i] = layer));
    // A layer read whole (or failed) frees its core for the next; its error is reported in its
    // turn (or dropped when an earlier layer fails).
    const done = (): void => {
      beingRead--;
      startMore();
    };
    reading[i].then(done, done);
  };
  let index = 0;
  try {
    for (; index < layers.length; index++) {
      signal?.throwIfAborted();
      startMore();
      const label = layerLabel(index, layers[index]);
      try {
        ops[index].takeTurn();
        await reading[index];
      } catch (err) {
        inflating[index]?.stop();
        if (err instanceof LimitExceededError || err instanceof TargetError || signal?.aborted) throw err;
        throw new TargetError(label, `cannot read layer: ${describeError(err)}`, { cause: err });
      }
    }
  } finally {
    // Layers read ahead of a failure: stop their inflaters, and start no more.
    stopped = true;
    for (let i = index + 1; i < reading.length; i++) {
      ops[i]?.abandon();
      inflating[i]?.stop();
    }
  }
  await handOver(tree, layers, handlers, signal);
}

interface ReadState {
  limits: ScanLimits;
  signal?: AbortSignal;
  budget: { remaining: number; limit: number };
  entries: { count: number };
  onBytes(n: number): void;
}

/**
 * Bytes (estimated) of pending entries a layer parsed ahead of its turn may hold before its
 * inflater is paused. Wanted files' bytes are counted apart, by `maxBufferedBytes`.
 */
export const AHEAD_BYTES = 16 * 1024 * 1024;

/** Estimated bytes of one pending entry beyond its names (closure, header fields, node). */
const ENTRY_COST = 256;

/**
 * What a layer's entries do to the view, in tar order. Until the layer's turn the operations
 * wait in a list; when the list holds more than its budget the layer is full and its inflater
 * waits. In its turn the list is done and later operations are done at once.
 */
export class LayerOps {
  private pending: (() => void)[] | undefined = [];
  private pendingBytes = 0;
  private queued = 0;
  private onTurn?: () => void;
  private abandoned = false;

  constructor(private readonly budget: number) {}

  /** Does `op` now in the layer's turn, else queues it, counting `cost` bytes. */
  emit(op: () => void, cost: number): void {
    if (this.abandoned) return;
    if (!this.pending) {
      op();
      return;
    }
    this.pending.push(op);
    this.pendingBytes += cost;
    this.queued++;
  }

  /** Operations that waited for the layer's turn, for `--debug`. */
  get queuedOps(): number {
    return this.queued;
  }

  /** True while the queued operations exceed the budget (the inflater should wait). */
  get full(): boolean {
    return this.pending !== undefined && this.pendingBytes > this.budget;
  }

  /** Bytes (estimated) of queued operations, for tests of the bound. */
  get queuedBytes(): number {
    return this.pendingBytes;
  }

  /** Called once, when the turn comes (to resume a waiting inflater). */
  whenTurn(resume: () => void): void {
    this.onTurn = resume;
  }

  /** The layer's turn: does the queued operations, in order, and those to come at once. */
  takeTurn(): void {
    const queued = this.pending ?? [];
    this.pending = undefined;
    this.pendingBytes = 0;
    for (const op of queued) op();
    this.onTurn?.();
  }

  /** An earlier layer failed: drop what is queued and what comes. */
  abandon(): void {
    this.abandoned = true;
    this.pending = [];
    this.pendingBytes = 0;
  }
}

/**
 * A layer being inflated. {@link deliver} hands its tar bytes on as they come; the consumer
 * returns false to make the inflater wait until {@link resume}.
 */
interface InflatingLayer {
  /** Hands every tar byte of the layer to `consume`, in order; settles when they have all come (or the first error). */
  deliver(consume: (chunk: Buffer) => boolean): Promise<void>;
  /** Reads on after `consume` returned false. */
  resume(): void;
  /** Stops the inflater, the input and the digest check. */
  stop(): void;
  /** The digest check of a blob a tool reads by itself (see {@link LocalBlob}). */
  verified?: Promise<void>;
}

/**
 * The error to report for a failed layer: a digest mismatch when the blob's check finds one
 * (corrupt bytes are then the symptom, not the cause), else `err`.
 */
async function blame(layer: InflatingLayer, err: unknown, signal?: AbortSignal): Promise<unknown> {
  if (!layer.verified || signal?.aborted) return err;
  const problem = await layer.verified.then(
    () => undefined,
    (e: unknown) => e,
  );
  return problem instanceof TargetError ? problem : err;
}

/** Starts inflating a layer, from its local file when a tool can read that itself, else from its stream. */
async function startLayer(blob: LayerBlob, label: string, state: ReadState): Promise<InflatingLayer> {
  if (blob.openFile) {
    const local = await blob.openFile();
    const layer = await inflateFile(local, label, state).catch(async (err: unknown) => {
      await local.file.close();
      throw err;
    });
    if (layer) return layer;
    await local.file.close();
  }
  const raw = await blob.open();
  return inflateStream(raw, label, state).catch((err: unknown) => {
    raw.destroy();
    throw err;
  });
}

/** Refuses a zstd frame whose window would take more memory than allowed. */
function checkZstdWindow(head: Buffer, label: string): void {
  const frameMemory = zstdFrameMemory(head);
  if (frameMemory !== undefined && frameMemory > MAX_ZSTD_WINDOW) {
    throw new TargetError(label, `zstd frame asks for a ${frameMemory}-byte window, more than the ${MAX_ZSTD_WINDOW} bytes allowed (a memory bomb or a --long=31 layer)`);
  }
}

/** Counts decompressed bytes against the scan's shared budget; throws past it. */
function spend(state: ReadState, label: string, bytes: number): void {
  state.budget.remaining -= bytes;
  if (state.budget.remaining < 0) {
    throw new LimitExceededError(
      'maxDecompressedBytes',
      `${label}: layers decompress to more than ${state.budget.limit} bytes (limit maxDecompressedBytes); a decompression bomb or an image larger than allowed`,
    );
  }
}

/** Why a layer's inflater failed, the same words whichever inflater ran, with its own after. */
function corrupt(compression: string, inflater: string, cause: unknown): Error {
  return new Error(`${compression} data corrupt or truncated (${inflater}: ${describeError(cause)})`, { cause });
}

/**
 * Starts an inflater tool reading a local blob file itself, with the digest checked beside it;
 * undefined when the blob is not compressed or no tool is chosen for its compression.
 */
async function inflateFile(local: LocalBlob, label: string, state: ReadState): Promise<InflatingLayer | undefined> {
  const head = Buffer.alloc(18);
  const { bytesRead } = await local.file.read(head, 0, head.length, 0);
  const compression = detectCompression(head.subarray(0, bytesRead));
  const tool = compression === 'none' ? undefined : chosenTool(compression);
  if (compression === 'none' || !tool) return undefined;
  if (compression === 'zstd') checkZstdWindow(head.subarray(0, bytesRead), label);
  const stopVerify = new AbortController();
  let verified: Promise<void> | undefined;
  // The check starts once the tool has its own copy of the descriptor: it closes the file when done.
  const check = (): Promise<void> => {
    verified = local.verify(state.onBytes, stopVerify.signal);
    verified.then(
      () => local.file.close(),
      () => local.file.close(),
    );
    return verified;
  };
  const layer = await toolLayer(tool, compression, local.file.fd, label, state, { stop: () => stopVerify.abort(), check });
  layer.verified = verified;
  return layer;
}

/**
 * Starts inflating a layer stream: sniffs its compression, then feeds it to the chosen
 * inflater (a tool, or Node's own zlib / fzstd, see inflate.ts).
 */
async function inflateStream(raw: Readable, label: string, state: ReadState): Promise<InflatingLayer> {
  const { head, stream: all } = await sniff(raw, 18);
  // Bytes are counted from when the stream is piped on, not before: a 'data' listener would set
  // it flowing (again, once sniff's 'readable' listener is gone) while the tool is being started,
  // and what flowed by then would never reach the tool.
  const count = (): void => void all.on('data', (c: Buffer) => state.onBytes(c.length));
  const compression = detectCompression(head);
  if (compression === 'zstd') checkZstdWindow(head, label);
  const tool = compression === 'none' ? undefined : chosenTool(compression);
  if (compression !== 'none' && tool) {
    // Errors of the stored bytes (a digest mismatch, a dropped connection) are the layer's.
    const input = new Promise<void>((resolve, reject) => {
      all.once('end', resolve);
      all.once('error', reject);
      if (raw !== all) raw.once('error', reject);
    });
    const layer = await toolLayer(tool, compression, 'pipe', label, state, {
      stop: () => {
        raw.destroy();
        all.destroy();
      },
      check: () => input,
      feed: all,
      count,
    });
    return layer;
  }
  const inflater = compression === 'none' ? undefined : builtinInflater(compression);
  count();
  return streamLayer(inflater ? [all, inflater.stream] : [all], inflater, compression, label, state, raw);
}

/**
 * A layer inflated by a tool. Each read goes straight from the reused buffer to the consumer
 * (the few reads that may come before {@link InflatingLayer.deliver} are copied and kept).
 */
async function toolLayer(
  tool: string,
  compression: 'gzip' | 'zstd',
  input: 'pipe' | number,
  label: string,
  state: ReadState,
  source: { stop(): void; check(): Promise<void>; feed?: Readable; count?: () => void },
): Promise<InflatingLayer> {
  let early: Buffer[] = [];
  let consumer: ((chunk: Buffer) => boolean) | undefined;
  let failure: unknown;
  let onFailure: ((err: unknown) => void) | undefined;
  const fail = (err: unknown): void => {
    failure ??= err;
    // The input (and a digest check) is stopped with the layer, once blame has had its say.
    running?.stop();
    onFailure?.(failure);
  };
  // eslint-disable-next-line prefer-const -- assigned once the tool has started; `fail` may run before
  let running: ToolInflate | undefined;
  const inflater = await ToolInflate.start(tool, input, (chunk) => {
    if (failure !== undefined) return false;
    try {
      spend(state, label, chunk.length);
      if (consumer) return consumer(chunk);
    } catch (err) {
      fail(err);
      return false;
    }
    early.push(Buffer.from(chunk));
    return false;
  });
  running = inflater;
  // Node passes the stored bytes to the tool when it cannot read them itself (a registry, an archive member).
  if (source.feed && inflater.stdin) {
    source.count?.();
    source.feed.pipe(inflater.stdin);
  }
  const checked = source.check();
  inflater.done.catch((err: unknown) => fail(corrupt(compression, tool, err)));
  checked.catch((err: unknown) => fail(err));
  return {
    stop: () => {
      inflater.stop();
      source.stop();
    },
    resume: () => inflater.resume(),
    deliver(consume) {
      return new Promise<void>((resolve, reject) => {
        onFailure = reject;
        if (failure !== undefined) {
          reject(failure);
          return;
        }
        let more = true;
        try {
          for (const chunk of early) more = consume(chunk) && more;
        } catch (err) {
          fail(err);
          return;
        }
        early = [];
        consumer = consume;
        if (more) inflater.resume();
        Promise.all([inflater.done, checked]).then(() => {
          if (failure === undefined) resolve();
        }, () => undefined);
      });
    },
  };
}

/**
 * A layer inflated by Node's own zlib or fzstd (or not compressed): a chain of streams,
 * recording the first error.
 */
function streamLayer(
  chain: Readable[],
  inflater: { stream: Readable; name: string } | undefined,
  compression: string,
  label: string,
  state: ReadState,
  raw: Readable,
): InflatingLayer {
  const buffer = new PassThrough({ highWaterMark: 1024 * 1024 });
  const streams = [...chain, new ByteBudget(state.budget, label), buffer];
  let failure: unknown;
  let onFailure: ((err: unknown) => void) | undefined;
  const stop = (): void => {
    for (const s of streams) s.destroy();
    raw.destroy();
  };
  for (const s of streams) {
    s.on('error', (cause: Error) => {
      failure ??= inflater && s === inflater.stream ? corrupt(compression, inflater.name, cause) : cause;
      onFailure?.(failure);
    });
  }
  let tail: Readable = streams[0];
  for (const s of streams.slice(1)) tail = tail.pipe(s as Transform);
  return {
    stop,
    resume: () => buffer.resume(),
    deliver(consume) {
      return new Promise<void>((resolve, reject) => {
        const fail = (err: unknown): void => {
          buffer.off('data', onData);
          buffer.pause();
          reject(err);
        };
        const onData = (chunk: Buffer): void => {
          try {
            if (!consume(chunk)) buffer.pause();
          } catch (err) {
            fail(err);
          }
        };
        if (failure !== undefined) {
          fail(failure);
          return;
        }
        onFailure = fail;
        buffer.on('data', onData);
        buffer.once('end', () => (failure === undefined ? resolve() : fail(failure)));
      });
    },
  };
}

/** Node's own inflater for a compression and its name for messages. */
function builtinInflater(compression: 'gzip' | 'zstd'): { stream: Transform; name: string } {
  return compression === 'gzip' ? { stream: createGunzip({ chunkSize: 256 * 1024 }), name: 'zlib' } : { stream: new ZstdDecompress(), name: 'fzstd' };
}

/**
 * Inflates and parses one layer, perhaps ahead of its turn: each entry's effect on the view goes
 * through `ops`, done at once in the layer's turn and queued before it (the inflater waits while
 * the queue is full). Settles when the layer has been read whole and its turn has come.
 */
async function readLayer(
  blob: LayerBlob,
  index: number,
  label: string,
  tree: LayerTree,
  handlers: WalkHandlers,
  state: ReadState,
  ops: LayerOps,
  started: (layer: InflatingLayer) => void,
): Promise<void> {
  const begun = performance.now();
  const layer = await startLayer(blob, label, state);
  started(layer);
  ops.whenTurn(() => layer.resume());
  const gather = new Gather();
  const reader = new TarReader((header) => {
    if (++state.entries.count > state.limits.maxEntries) {
      throw new LimitExceededError('maxEntries', `${label}: more than ${state.limits.maxEntries} entries across all layers (limit maxEntries)`);
    }
    return readEntry(header, index, label, tree, handlers, state.limits, ops, gather);
  });
  try {
    // Parsing is synchronous, so the bytes are taken as they come: no promise per chunk or entry.
    await layer.deliver((chunk) => {
      state.signal?.throwIfAborted();
      reader.push(chunk);
      return !ops.full;
    });
    reader.end();
    // Nothing is gathered once the tar has ended. (A failed layer's memory is left to the
    // collector: its reader may be inside an entry.)
    gather.release();
    await layer.verified;
    // Per-layer timings for `--debug`: how long the layer took to read, and how many of its
    // entries' operations waited for its turn (0 when it was read in its turn).
    debug('layer read', { layer: label, ms: Math.round(performance.now() - begun), opsQueued: ops.queuedOps });
  } catch (err) {
    const reported = await blame(layer, err, state.signal);
    layer.stop();
    throw reported;
  }
}

/**
 * Reads one tar entry: what it does to the view (and any warning) goes through `ops`, in tar
 * order; returns where a wanted file's bytes go, or undefined to let the entry's bytes go by.
 * Only what depends on the entry alone is decided here, as the layer may be ahead of its turn.
 */
function readEntry(header: TarHeader, index: number, label: string, tree: LayerTree, handlers: WalkHandlers, limits: ScanLimits, ops: LayerOps, gather: Gather): EntrySink | undefined {
  const cost = ENTRY_COST + 2 * (header.name.length + (header.linkname?.length ?? 0));
  const tooLong = overLong(header.name, limits) ? header.name : header.linkname !== undefined && overLong(header.linkname, limits) ? header.linkname : undefined;
  if (tooLong !== undefined) {
    const what = tooLong === header.name ? 'name' : 'link target';
    deferWarn(handlers, ops, cost, {
      path: shortName(header.name),
      reason: `${label}: entry skipped: ${what} is ${Buffer.byteLength(tooLong)} bytes, more than the limit of ${limits.maxPathBytes} (maxPathBytes)`,
    });
    return undefined;
  }
  const cleaned = cleanEntryPath(header.name);
  if (!cleaned.ok) {
    deferWarn(handlers, ops, cost, { path: header.name, reason: `${label}: entry skipped: ${cleaned.reason}` });
    return undefined;
  }
  const path = cleaned.path;
  const depth = countSlashes(path);
  if (depth > limits.maxPathDepth) {
    deferWarn(handlers, ops, cost, {
      path: shortName(path),
      reason: `${label}: entry skipped: name has ${depth} components, more than the limit of ${limits.maxPathDepth} (maxPathDepth)`,
    });
    return undefined;
  }
  if (cleaned.escaped) {
    // `../` or an absolute name: a runtime would clamp it at the root, but no honest image
    // builder writes one, so say so and leave it out of the view.
    deferWarn(handlers, ops, cost, { path: header.name, reason: `${label}: entry skipped: name climbs out of the image root (path traversal)` });
    return undefined;
  }
  if (path.includes('\uFFFD')) {
    deferWarn(handlers, ops, cost, { path, reason: `${label}: file name is not valid UTF-8 (shown with replacement characters)` });
  }
  if (path === '/') return undefined;
  const name = baseName(path);
  if (name.startsWith('.wh.')) {
    if (name === '.wh..wh..opq') ops.emit(() => tree.opaque(parentPath(path), index), cost);
    else ops.emit(() => tree.whiteout(`${parentPath(path)}/${name.slice(4)}`.replace(/^\/\//, '/'), index), cost);
    return undefined;
  }
  switch (header.type) {
    case 'directory':
      ops.emit(() => release(tree, tree.set(path, { kind: 'dir', touched: index, layer: index, size: 0, children: new Map() })), cost);
      return undefined;
    case 'symlink':
      ops.emit(() => release(tree, tree.set(path, { kind: 'symlink', touched: index, layer: index, size: 0, linkTarget: header.linkname ?? '' })), cost);
      return undefined;
    case 'link':
      // The target may be in a lower layer: looked up in the layer's turn.
      ops.emit(() => applyHardLink(header, path, index, label, tree, handlers), cost);
      return undefined;
    case 'file':
    case 'contiguous-file':
      return readFile(path, header.size, header.mode, index, label, tree, handlers, limits, ops, cost, gather);
    default: {
      // Devices, FIFOs and the like: part of the view (whiteouts may name them), never read.
      if (handlers.wanted(path, 0)) deferWarn(handlers, ops, cost, { path, reason: `${label}: wanted file is a ${header.type}, not a regular file; not read` });
      ops.emit(() => release(tree, tree.set(path, { kind: 'other', touched: index, layer: index, size: 0 })), cost);
      return undefined;
    }
  }
}

/** True for a name longer than `maxPathBytes` in UTF-8 (counted only when it may be). */
function overLong(name: string, limits: ScanLimits): boolean {
  return name.length * 3 > limits.maxPathBytes && Buffer.byteLength(name) > limits.maxPathBytes;
}

/** A warning, given in tar order with the layer's other effects. */
function deferWarn(handlers: WalkHandlers, ops: LayerOps, cost: number, warning: { path: string; reason: string }): void {
  ops.emit(() => handlers.warn(warning), cost);
}

/** A name cut short enough for a warning (the limit it broke may be kilobytes). */
function shortName(name: string): string {
  return name.length <= 200 ? name : `${name.slice(0, 200)}… (${name.length} characters)`;
}

function countSlashes(path: string): number {
  let n = 0;
  for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) n++;
  return n;
}

function release(tree: LayerTree, old: Node | undefined): void {
  if (old) tree.release(old);
}

/**
 * Reads a regular file entry; its node is placed in the view through `ops`, once its bytes (if
 * wanted) are in. A file only extractors of ELF programs want ({@link WalkHandlers.elfSectionsOnly})
 * is read by {@link readProgram}: gathered in reused memory and kept whole only when its section
 * table has one of their sections or cannot be read, or it is a PE or Mach-O program; otherwise
 * as what they read to learn it holds nothing for them: the header, section table and section
 * names of most programs of a distribution (C programs and libraries), the first bytes of a
 * file that is no program.
 */
function readFile(path: string, size: number, mode: number, index: number, label: string, tree: LayerTree, handlers: WalkHandlers, limits: ScanLimits, ops: LayerOps, cost: number, gather: Gather): EntrySink | undefined {
  const node: Node = { kind: 'file', touched: index, layer: index, size, mode };
  if (handlers.wanted(path, size, mode)) {
    const sections = handlers.elfSectionsOnly?.(path, size, mode);
    if (sections) return readProgram(path, node, sections, label, tree, limits, ops, cost, gather);
    if (size > limits.maxFileBytes) {
      node.skipped = tooLarge(size, limits);
    } else {
      tree.keep(size, label);
      return (data) => {
        node.data = data;
        ops.emit(() => placeFile(tree, path, node), cost);
      };
    }
  }
  ops.emit(() => placeFile(tree, path, node), cost);
  return undefined;
}

function tooLarge(size: number, limits: ScanLimits): string {
  return `file is ${size} bytes, more than the limit of ${limits.maxFileBytes} (maxFileBytes)`;
}

/**
 * Reads a file only extractors of programs want (see {@link readFile}). Its first bytes say
 * whether it is a program at all: a file that is none (a database's data file, which is named
 * like a program) is kept as those bytes and the rest goes by, whatever its size; a program is
 * gathered whole, unless it is larger than `maxFileBytes`.
 */
function readProgram(path: string, node: Node, sections: readonly string[], label: string, tree: LayerTree, limits: ScanLimits, ops: LayerOps, cost: number, gather: Gather): EntrySink {
  const size = node.size;
  // Bytes counted against maxBufferedBytes for this file: its head, then the rest if gathered.
  let kept = Math.min(size, PROGRAM_HEAD_BYTES);
  tree.keep(kept, label);
  const sink: EntrySink = (data) => {
    const lookup = node.skipped ? undefined : programLookup(data, sections);
    if (lookup) {
      node.held = { size, parts: lookup.ranges.map((r) => ({ offset: r.offset, bytes: Buffer.from(data.subarray(r.offset, r.offset + r.length)) })), why: lookup.why };
      tree.unkeep(kept - heldBytes(node.held));
    } else if (node.skipped) {
      tree.unkeep(kept);
    } else {
      // Out of the gathering memory, which the next program reuses.
      node.data = Buffer.from(data);
    }
    ops.emit(() => placeFile(tree, path, node), cost);
  };
  sink.head = {
    bytes: PROGRAM_HEAD_BYTES,
    decide(head) {
      if (!isProgramHead(head)) return undefined;
      if (size > limits.maxFileBytes) {
        node.skipped = tooLarge(size, limits);
        return undefined;
      }
      tree.keep(size - kept, label);
      kept = size;
      return gather.memory(size);
    },
  };
  return sink;
}

/** Bytes held of a program kept in parts. */
function heldBytes(held: HeldParts): number {
  return held.parts.reduce((n, p) => n + p.bytes.length, 0);
}

/** Gathering memory given back by layers read, for later ones (see {@link Gather}). */
const spareGatherMemory: Buffer[] = [];
/** Gathering memory larger than this is not kept for later layers. */
const MAX_SPARE_GATHER = 16 * 1024 * 1024;

/**
 * Memory one layer gathers programs' bytes in, one entry at a time, before {@link readFile}
 * decides what of them to keep; reused by later layers and scans. Fresh memory costs a page
 * fault per 4 KiB on first touch: copying the five programs of Debian's minimal image (8.8 MB)
 * into buffers of their own took 25–34 ms of the main thread per scan and, as external memory,
 * set off a full garbage collection per scan.
 */
class Gather {
  private buffer?: Buffer;

  /** At least `size` bytes, valid until the entry's sink returns. */
  memory(size: number): Buffer {
    if (!this.buffer || this.buffer.length < size) {
      const spare = spareGatherMemory.findIndex((b) => b.length >= size);
      this.buffer = spare >= 0 ? spareGatherMemory.splice(spare, 1)[0]! : Buffer.allocUnsafe(Math.max(size, 4 * 1024 * 1024));
    }
    return this.buffer;
  }

  /** Gives the memory back for later layers, once the layer is read (or failed). */
  release(): void {
    if (this.buffer && this.buffer.length <= MAX_SPARE_GATHER && spareGatherMemory.length < 2 * availableParallelism()) spareGatherMemory.push(this.buffer);
    this.buffer = undefined;
  }
}

/** Puts a file's node in the view, keeping the replaced file's bytes as its history. */
function placeFile(tree: LayerTree, path: string, node: Node): void {
  const old = tree.set(path, node);
  if (old?.kind === 'file' && old.data && node.data) {
    // Keep the lower versions so packages can be attributed to the layer that added them.
    node.history = [...(old.history ?? []), { layer: old.layer, data: old.data }];
    old.history = undefined;
    old.data = undefined;
  }
  release(tree, old);
}

function applyHardLink(header: TarHeader, path: string, index: number, label: string, tree: LayerTree, handlers: WalkHandlers): void {
  const cleaned = cleanEntryPath(header.linkname ?? '');
  const target = cleaned.ok && !cleaned.escaped ? tree.lookup(cleaned.path) : undefined;
  if (!target || target.kind !== 'file') {
    handlers.warn({ path, reason: `${label}: hard link to missing target ${header.linkname ?? '(none)'}; skipped` });
    return;
  }
  const node: Node = { kind: 'file', touched: index, layer: index, size: target.size, ...(target.mode !== undefined ? { mode: target.mode } : {}) };
  if (handlers.wanted(path, target.size, target.mode)) {
    if (target.data) {
      tree.keep(target.data.length, label);
      node.data = target.data;
    } else if (target.held && handlers.elfSectionsOnly?.(path, target.size, target.mode)) {
      tree.keep(heldBytes(target.held), label);
      node.held = target.held;
    } else if (target.held) {
      // Wanted under this name by an extractor that reads more than a program's ELF headers.
      node.skipped = `hard link to ${cleaned.ok ? cleaned.path : ''}, ${target.held.why}`;
    } else {
      node.skipped = target.skipped ?? `hard link to ${cleaned.ok ? cleaned.path : ''}, whose bytes were not kept`;
    }
  }
  release(tree, tree.set(path, node));
}

/** Hands the final view's wanted files to the handlers, in path order. */
async function handOver(tree: LayerTree, layers: readonly LayerBlob[], handlers: WalkHandlers, signal?: AbortSignal): Promise<void> {
  const view: FileView = {
    async readFile(path) {
      const r = tree.resolve(path);
      return r.node?.kind === 'file' ? r.node.data : undefined;
    },
  };
  const files: { path: string; node: Node }[] = [];
  const links: { path: string; node: Node }[] = [];
  // Depth first in name order, as recursion would go, but with a stack of directories being
  // listed: a layer may nest directories deeper than the call stack.
  const stack: { dir: Node; prefix: string; names: string[]; next: number }[] = [];
  const enter = (dir: Node, prefix: string): number => stack.push({ dir, prefix, names: [...dir.children!.keys()].sort(), next: 0 });
  enter(tree.root, '');
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (top.next >= top.names.length) {
      stack.pop();
      continue;
    }
    const name = top.names[top.next++];
    const node = top.dir.children!.get(name)!;
    // Most files were not read: no path is made for them.
    if (node.kind === 'file' && !(node.data || node.held || node.skipped)) continue;
    const path = `${top.prefix}/${name}`;
    if (node.kind === 'dir') enter(node, path);
    else if (node.kind === 'file') files.push({ path, node });
    else if (node.kind === 'symlink' && handlers.wanted(path, 0)) links.push({ path, node });
  }
  for (const { path, node } of files) {
    signal?.throwIfAborted();
    if (node.held) {
      await handlers.file(heldPartsRef(path, node.held, layers[node.layer].digest, node.mode), [], view);
      continue;
    }
    if (!node.data) {
      handlers.warn({ path, reason: `not read: ${node.skipped}` });
      continue;
    }
    const history: FileVersion[] = (node.history ?? []).map((v) => ({ layer: layers[v.layer].digest, data: v.data }));
    await handlers.file(bufferRef(path, node.data, layers[node.layer].digest, node.mode), history, view);
  }
  for (const { path } of links) {
    const r = tree.resolve(path);
    if (r.problem === 'loop') handlers.warn({ path, reason: 'symlink loop; not followed' });
    else if (r.problem === 'missing') handlers.warn({ path, reason: `symlink to missing ${r.path}; not followed` });
    else if (r.node?.kind === 'file' && !r.node.data && !handlers.wanted(r.path, r.node.size)) {
      // The target was not asked for under its own name, so its bytes went by unread; the
      // file at the target path, when wanted, was handed over itself.
      handlers.warn({ path, reason: `symlink to ${r.path}, which was not read` });
    }
  }
}
