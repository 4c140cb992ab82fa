/**
 * A file held in memory as a {@link FileRef}: apart from the layer reader, so that matching a
 * file's versions (`build.ts`) does not load the tar and zstd readers a lockfile scan never uses.
 */
import { Readable } from 'node:stream';
import type { FileRef } from './types.js';

/** A {@link FileRef} over bytes held in memory. */
export function bufferRef(path: string, data: Buffer, layer?: string, mode?: number): FileRef {
  return {
    path,
    size: data.length,
    layer,
    ...(mode !== undefined ? { mode } : {}),
    read: async () => data,
    stream: () => Readable.from([data]),
    // Bytes in memory can be sought in: a program's build information is found without a scan.
    readAt: async (offset, length) => data.subarray(Math.min(offset, data.length), Math.min(offset + length, data.length)),
  };
}

/** Parts of a file held in memory (each part's bytes at its offset), the rest not kept. */
export interface HeldParts {
  size: number;
  parts: { offset: number; bytes: Buffer }[];
  /** Why the rest was not kept, for the error of a read outside the parts. */
  why: string;
}

/**
 * A {@link FileRef} over parts of a file: a read inside one part answers as {@link bufferRef}
 * over the whole file would; any other read fails, saying why the rest was not kept, so an
 * extractor that needed more reports it instead of finding nothing.
 */
export function heldPartsRef(path: string, held: HeldParts, layer?: string, mode?: number): FileRef {
  const missing = (what: string) => new Error(`${path}: cannot read ${what}: ${held.why}`);
  return {
    path,
    size: held.size,
    layer,
    ...(mode !== undefined ? { mode } : {}),
    read: async () => {
      throw missing('the whole file');
    },
    stream: () =>
      new Readable({
        read() {
          this.destroy(missing('the whole file'));
        },
      }),
    readAt: async (offset, length) => {
      const start = Math.min(offset, held.size);
      const end = Math.min(offset + length, held.size);
      const part = held.parts.find((p) => p.offset <= start && end <= p.offset + p.bytes.length);
      if (!part) throw missing(`bytes ${start}–${end}`);
      return part.bytes.subarray(start - part.offset, end - part.offset);
    },
  };
}
