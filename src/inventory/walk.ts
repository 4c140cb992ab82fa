/**
 * The one walk of a target's filesystem view. A source (directory, image layers, single
 * file) walks its files once; for each regular file it asks {@link WalkHandlers.wanted}
 * whether any extractor wants it, and hands each wanted file of the final view to
 * {@link WalkHandlers.file}. Extractors never walk the tree themselves.
 */
import type { HostReader } from '../network/host/reader.js';
import type { FileRef, ScanWarning, TargetInfo } from './types.js';
import type { ScanLimits } from './limits.js';

/** An earlier version of a file in a layered image, oldest first, for layer attribution. */
export interface FileVersion {
  /** Digest of the layer this version came from. */
  layer: string;
  data: Buffer;
}

/** Read access to other wanted files of the final view, for extractors' auxiliary files. */
export interface FileView {
  /** The file's bytes, or `undefined` when the view has no such regular file (or it was not kept). */
  readFile(path: string): Promise<Buffer | undefined>;
}

/** What a source calls while walking. */
export interface WalkHandlers {
  /** True when some extractor reads this file (as its input or as an auxiliary file); `mode` is `st_mode` when the source knows it. */
  wanted(path: string, size: number, mode?: number): boolean;
  /**
   * False when {@link wanted} is false for this path whatever its size and mode, so a source
   * may skip the stat that would tell them.
   */
  mayWant?(path: string): boolean;
  /**
   * True when an extractor reads this file by seeking even though it is over `maxFileBytes`
   * (see {@link FileRef.readAt}); sources that can seek hand such files over, others warn.
   */
  wantedBeyondLimit?(path: string, size: number, mode?: number): boolean;
  /**
   * For a wanted file that only extractors of ELF programs want, the sections they look for
   * (`Extractor.elfSections`); undefined when some extractor wants more of it. A source that
   * holds files in memory may then keep an ELF program without those sections, or a file that
   * is no program, as the parts that say so (see `programLookup` and `heldPartsRef`).
   */
  elfSectionsOnly?(path: string, size: number, mode?: number): readonly string[] | undefined;
  /**
   * One wanted regular file of the final view. `history` holds earlier versions of the same
   * path from lower layers (oldest first) when the file changed between layers. A source may
   * call it again before an earlier call settles (to read a few files at once); the handler
   * keeps what it finds in call order, and orders {@link warn}s after the files before them.
   */
  file(file: FileRef, history: readonly FileVersion[], view: FileView): Promise<void>;
  /** A non-fatal problem with the target. */
  warn(warning: ScanWarning): void;
  /** Bytes of input read so far (compressed, as stored), for progress display. */
  progress?(bytesRead: number): void;
}

/** Options every source's walk takes. */
export interface WalkOptions {
  signal?: AbortSignal;
  limits: ScanLimits;
  /**
   * Leaves out part of the view: called with each directory before the walk enters it, and
   * with each wanted file before it is read; true leaves it out (a directory with all it
   * holds). Sources of a live filesystem (directories) honour it; others may not.
   */
  prune?(path: string, isDir: boolean): boolean;
  /**
   * False for a directory {@link prune} will leave out, asked without counting it as entered:
   * lets a source list directories ahead of the walk. Without it a source that is given
   * `prune` lists a directory only when the walk enters it.
   */
  mayList?(path: string): boolean;
}

/** A filesystem view of one target: a directory, an image, a single file. */
export interface Source {
  /** What was scanned (filled in as the source learns it, e.g. image metadata). */
  readonly target: TargetInfo;
  /** Total input bytes the walk will read, when known (for progress). */
  readonly totalBytes?: number;
  /** Walks the view once. */
  walk(handlers: WalkHandlers, options: WalkOptions): Promise<void>;
  /** Releases files and connections. */
  close(): Promise<void>;
  /** Read-only access to the live host's network facts, for sources that reach one (ssh:). */
  hostReader?(): HostReader;
}
