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
