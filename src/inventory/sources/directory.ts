/**
 * `dir:PATH`: a root filesystem or any directory, walked once without following symlinks
 * (so loops cannot trap the walk). Symlinks that extractors ask for are resolved inside the
 * directory as if it were `/`, never outside it.
 */
import { closeSync, createReadStream, lstatSync, openSync, readSync } from 'node:fs';
import { open, readlink, stat } from 'node:fs/promises';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { join } from 'node:path';
import { TargetError, describeError } from '../errors.js';
import { FilePool } from '../file-pool.js';
import { DirLister } from './dir-lister.js';
import { LimitExceededError } from '../limits.js';
import type { FileRef, TargetInfo } from '../types.js';
import type { FileView, Source, WalkHandlers, WalkOptions } from '../walk.js';

const MAX_SYMLINK_HOPS = 40;
/**
 * Listing and per-file calls are synchronous: each takes a few microseconds, while a
 * promise-based readdir, lstat or open/read/close costs a thread-pool round trip per call
 * (0.1–0.4 ms on a VM), which made a walk of small manifests latency-bound. The walk yields
 * to the event loop every this many entries so a server process stays responsive.
 */
const ENTRIES_PER_YIELD = 256;
/** Files below this size are read synchronously; larger ones (binaries, archives) are not. */
const SYNC_READ_BYTES = 1024 * 1024;
/**
 * Files read and extracted at once while the walk goes on (see FilePool), and the bytes they
 * may add up to: enough to overlap a program's seeks and an archive's reads with the listing,
 * few enough to keep memory near that of reading one file at a time.
 */
const FILES_IN_FLIGHT = 4;
const BYTES_IN_FLIGHT = 8 * 1024 * 1024;
/** Pseudo-filesystems of a live root: nothing installed lives there, and /proc never ends. */
export const SKIPPED_DIRS = new Set(['/proc', '/sys', '/dev']);

/** Where a path inside the root leads on disk, or why it leads nowhere. */
export type Resolved =
  | { ok: true; diskPath: string; path: string; size: number; clamped: boolean }
  | { ok: false; reason: 'missing' | 'loop' | 'not-a-file'; path: string };

/** What {@link resolveInRoot} needs of a filesystem (local, or remote over SFTP). */
export interface LinkFs {
  /** Joins path components the filesystem's way. */
  join(...parts: string[]): string;
  /** The entry itself (not what a symlink points to); throws when it does not exist. */
  lstat(path: string): Promise<{ isSymbolicLink(): boolean; isDirectory(): boolean; isFile(): boolean; size: number }>;
  readlink(path: string): Promise<string>;
}

const localFs: LinkFs = { join, lstat: async (p) => lstatSync(p), readlink };

/**
 * Resolves `path` inside `root` the way `chroot root` would: symlinks are followed one
 * component at a time, absolute targets restart at `root`, `..` stops at `root`. Every
 * component is checked with lstat, so the returned disk path contains no symlink.
 */
export async function resolveInRoot(root: string, path: string, fs: LinkFs = localFs): Promise<Resolved> {
  let pending = path.split('/').filter((p) => p !== '' && p !== '.');
  let done: string[] = [];
  let hops = 0;
  let clamped = false;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      if (done.length === 0) clamped = true;
      done.pop();
      continue;
    }
    const disk = fs.join(root, ...done, part);
    let st;
    try {
      st = await fs.lstat(disk);
    } catch {
      return { ok: false, reason: 'missing', path: '/' + [...done, part].join('/') };
    }
    if (st.isSymbolicLink()) {
      if (++hops > MAX_SYMLINK_HOPS) return { ok: false, reason: 'loop', path };
      const target = await fs.readlink(disk);
      if (target.startsWith('/')) done = [];
      pending = [...target.split('/').filter((p) => p !== ''), ...pending];
      continue;
    }
    if (pending.length > 0 && !st.isDirectory()) return { ok: false, reason: 'missing', path: '/' + [...done, part, ...pending].join('/') };
    done.push(part);
    if (pending.length === 0) {
      if (!st.isFile()) return { ok: false, reason: 'not-a-file', path: '/' + done.join('/') };
      return { ok: true, diskPath: fs.join(root, ...done), path: '/' + done.join('/'), size: st.size, clamped };
    }
  }
  return { ok: false, reason: 'not-a-file', path: '/' };
}

/**
 * A wanted symlink met by a walk: its target, resolved inside the root, is handed over under
 * the link's name (through `ref`), or a warning says why it cannot be.
 */
export async function followLink(
  root: string,
  path: string,
  fs: LinkFs,
  handlers: WalkHandlers,
  view: FileView,
  ref: (target: Extract<Resolved, { ok: true }>) => FileRef,
): Promise<void> {
  const r = await resolveInRoot(root, path, fs);
  if (!r.ok) {
    const why = r.reason === 'loop' ? 'symlink loop' : r.reason === 'missing' ? `symlink to missing ${r.path}` : `symlink to ${r.path}, not a regular file`;
    handlers.warn({ path, reason: `${why}; not followed` });
    return;
  }
  if (r.clamped) handlers.warn({ path, reason: `symlink points above the target root; resolved inside it as ${r.path}` });
  // The target, when wanted under its own name, is handed over by the walk itself.
  if (handlers.wanted(r.path, r.size)) return;
  await handlers.file(ref(r), [], view);
}

/** A {@link FileRef} over a file on disk, refusing to read past `limit` bytes. */
export function diskRef(path: string, diskPath: string, size: number, limit: number, mode?: number): FileRef {
  return {
    path,
    size,
    ...(mode !== undefined ? { mode } : {}),
    async read() {
      if (size > limit) throw new LimitExceededError('maxFileBytes', `${path}: file is ${size} bytes, more than the limit of ${limit} (maxFileBytes)`);
      const buf = size < SYNC_READ_BYTES ? readSyncBounded(diskPath, size + 1) : await readAsyncBounded(diskPath, Math.min(size, limit) + 1);
      if (buf.length > limit) throw new LimitExceededError('maxFileBytes', `${path}: file grew past the limit of ${limit} bytes (maxFileBytes)`);
      return buf;
    },
    stream: () => createReadStream(diskPath, { end: Math.max(0, Math.min(size, limit) - 1) }),
    async readAt(offset, length) {
      // A program's header, section table and notes are a few small reads each: synchronous
      // reads spare each of them three thread-pool round trips (see ENTRIES_PER_YIELD).
      if (length < SYNC_READ_BYTES) return readSyncAt(diskPath, offset, Math.max(0, Math.min(length, size - offset)));
      const handle = await open(diskPath, 'r');
      try {
        const buf = Buffer.alloc(Math.max(0, Math.min(length, size - offset)));
        const { bytesRead } = await handle.read(buf, 0, buf.length, offset);
        return buf.subarray(0, bytesRead);
      } finally {
        await handle.close();
      }
    },
  };
}

/** Up to `want` bytes of a small file, read synchronously (see ENTRIES_PER_YIELD). */
function readSyncBounded(diskPath: string, want: number): Buffer {
  return readSyncAt(diskPath, 0, want);
}

/** Up to `want` bytes at `offset`, read synchronously. */
function readSyncAt(diskPath: string, offset: number, want: number): Buffer {
  const fd = openSync(diskPath, 'r');
  try {
    const buf = Buffer.alloc(want);
    let n = 0;
    for (let got; n < want && (got = readSync(fd, buf, n, want - n, offset + n)) > 0; ) n += got;
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** Up to `want` bytes of a large file, read without blocking the event loop. */
async function readAsyncBounded(diskPath: string, want: number): Promise<Buffer> {
  const fh = await open(diskPath, 'r');
  try {
    const buf = Buffer.alloc(want);
    let n = 0;
    for (let got; n < want && (got = (await fh.read(buf, n, want - n, n)).bytesRead) > 0; ) n += got;
    return buf.subarray(0, n);
  } finally {
    await fh.close();
  }
}

/** A directory on disk as a {@link Source}. */
export class DirectorySource implements Source {
  readonly target: TargetInfo;

  constructor(
    private readonly root: string,
    name: string,
  ) {
    this.target = { type: 'dir', name };
  }

  /** Checks that the directory exists, naming it otherwise. */
  static async open(root: string, name = root): Promise<DirectorySource> {
    let st;
    try {
      st = await stat(root);
    } catch (err) {
      throw new TargetError(name, `cannot open directory: ${describeError(err)}`);
    }
    if (!st.isDirectory()) throw new TargetError(name, 'not a directory');
    return new DirectorySource(root, name);
  }

  async walk(handlers: WalkHandlers, { signal, limits, prune, mayList }: WalkOptions): Promise<void> {
    const root = this.root;
    const view: FileView = {
      async readFile(path) {
        const r = await resolveInRoot(root, path);
        if (!r.ok) return undefined;
        return diskRef(r.path, r.diskPath, r.size, limits.maxFileBytes).read();
      },
    };
    let entries = 0;
    let bytes = 0;
    const pool = new FilePool(FILES_IN_FLIGHT, BYTES_IN_FLIGHT);
    // Directories are listed ahead only when the walk can tell which it will enter.
    const lister = new DirLister(root, !prune || mayList ? (path) => !SKIPPED_DIRS.has(path) && (mayList?.(path) ?? true) : undefined);
    const visit = async (dirPath: string): Promise<void> => {
      signal?.throwIfAborted();
      let dirents;
      try {
        // Sorted by name: the walk's order, whatever the filesystem's.
        dirents = await lister.list(dirPath);
      } catch (err) {
        handlers.warn({ path: dirPath || '/', reason: `cannot list directory: ${describeError(err)}` });
        return;
      }
      for (const d of dirents) {
        if (++entries > limits.maxEntries) {
          throw new LimitExceededError('maxEntries', `${this.target.name}: more than ${limits.maxEntries} entries (limit maxEntries)`);
        }
        if (entries % ENTRIES_PER_YIELD === 0) await yieldToEventLoop();
        const path = `${dirPath}/${d.name}`;
        if (d.isDirectory()) {
          if (!SKIPPED_DIRS.has(path) && !prune?.(path, true)) await visit(path);
        } else if (d.isFile()) {
          // Most files are wanted by no extractor whatever their size: no stat for them.
          if (handlers.mayWant && !handlers.mayWant(path)) continue;
          let size;
          let mode;
          try {
            ({ size, mode } = lstatSync(join(root, path)));
          } catch (err) {
            handlers.warn({ path, reason: `cannot stat: ${describeError(err)}` });
            continue;
          }
          if (!handlers.wanted(path, size, mode) || prune?.(path, false)) continue;
          if (size > limits.maxFileBytes && !handlers.wantedBeyondLimit?.(path, size, mode)) {
            handlers.warn({ path, reason: `not read: file is ${size} bytes, more than the limit of ${limits.maxFileBytes} (maxFileBytes)` });
            continue;
          }
          bytes += size;
          handlers.progress?.(bytes);
          const ref = diskRef(path, join(root, path), size, limits.maxFileBytes, mode);
          await pool.add(size, () => handlers.file(ref, [], view));
        } else if (d.isSymbolicLink()) {
          if (!handlers.wanted(path, 0) || prune?.(path, false)) continue;
          await followLink(root, path, localFs, handlers, view, (r) => diskRef(path, r.diskPath, r.size, limits.maxFileBytes));
        } else if (handlers.wanted(path, 0)) {
          handlers.warn({ path, reason: 'wanted file is not a regular file (device, socket or FIFO); not read' });
        }
      }
    };
    try {
      await visit('');
    } catch (err) {
      // Let the files in flight finish before the error ends the walk; theirs is the lesser news.
      await pool.drain().catch(() => undefined);
      throw err;
    } finally {
      lister.close();
    }
    await pool.drain();
  }

  async close(): Promise<void> {}
}
