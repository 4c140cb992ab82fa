/**
 * Reading the files a source consists of: a directory tree, a zip archive, a gzipped file or
 * a plain file, all seen as one sequence of named entries. Archives come from outside, so
 * sizes are bounded (no decompression bombs) and every zip entry's CRC-32 is checked.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { crc32, gunzipSync } from 'node:zlib';
import yauzl from 'yauzl';

/** One file of a source, read fully into memory (advisory files are small). */
export interface SourceEntry {
  /** Path inside the source (`Go/GO-2020-0001.json`, `2021/44xxx/CVE-2021-44906.json`). */
  name: string;
  data: Buffer;
}

/** Largest single entry accepted once decompressed. */
export const MAX_ENTRY_BYTES = 256 * 1024 * 1024;
/** Largest total of decompressed bytes accepted from one archive. */
export const MAX_ARCHIVE_BYTES = 4 * 1024 * 1024 * 1024;

/** Archives up to this size are read into memory whole. */
const MAX_IN_MEMORY_ZIP = 512 * 1024 * 1024;

/** Thrown for an archive that cannot be read; names the archive and what is wrong. */
export class ArchiveError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
    this.name = 'ArchiveError';
  }
}

/** The kind of a file, by its first bytes (names lie: `all.zip` may be an HTML error page). */
export type FileKind = 'zip' | 'gzip' | 'other';

/** Sniffs the first bytes of a file. */
export async function fileKind(path: string): Promise<FileKind> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await fh.read(head, 0, 4, 0);
    if (bytesRead >= 4 && head.readUInt32LE(0) === 0x04034b50) return 'zip';
    // An empty zip is only an end-of-central-directory record.
    if (bytesRead >= 4 && head.readUInt32LE(0) === 0x06054b50) return 'zip';
    if (bytesRead >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
    return 'other';
  } finally {
    await fh.close();
  }
}

/**
 * Every file of a source, in a stable order: a directory recursively (sorted), the entries of
 * a zip, the decompressed content of a `.gz`, or a plain file as itself. `filter` sees entry
 * names first, so unwanted entries are never decompressed.
 */
export async function* readEntries(path: string, filter: (name: string) => boolean = () => true): AsyncGenerator<SourceEntry> {
  const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
    throw new ArchiveError(path, err.code === 'ENOENT' ? 'no such file or directory' : err.message);
  });
  if (info.isDirectory()) {
    for (const file of await listFiles(path)) {
      const name = relative(path, file).split(sep).join('/');
      // Archives inside a directory are opened whatever their name; the filter then
      // sees their entries.
      const kind = await fileKind(file);
      if (kind === 'other' && !filter(name)) continue;
      yield* readFileEntries(file, name, filter, false, kind);
    }
    return;
  }
  const base = path.split(/[\\/]/).pop() ?? path;
  yield* readFileEntries(path, base, filter, true);
}

async function* readFileEntries(
  file: string,
  name: string,
  filter: (name: string) => boolean,
  topLevel = false,
  known?: FileKind,
): AsyncGenerator<SourceEntry> {
  const kind = known ?? (await fileKind(file));
  if (kind === 'zip') {
    yield* readZip(file, filter);
    return;
  }
  if (kind === 'gzip') {
    const inner = name.replace(/\.gz$/i, '');
    if (!topLevel && !filter(inner)) return;
    yield { name: inner, data: gunzip(file, await readFile(file)) };
    return;
  }
  const size = (await stat(file)).size;
  if (size > MAX_ENTRY_BYTES) throw new ArchiveError(file, `file is larger than ${MAX_ENTRY_BYTES} bytes`);
  yield { name, data: await readFile(file) };
}

/** Decompresses a gzip buffer with a size bound; names the file on failure. */
export function gunzip(path: string, data: Buffer): Buffer {
  try {
    return gunzipSync(data, { maxOutputLength: MAX_ENTRY_BYTES });
  } catch (err) {
    throw new ArchiveError(path, `corrupt or truncated gzip data (${(err as Error).message})`);
  }
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    // Hidden files (.git, .DS_Store) are never advisories.
    if (e.name.startsWith('.')) continue;
    const full = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(full)));
    else if (e.isFile()) out.push(full);
  }
  return out;
}

/** The entries of a zip archive, each checked against its size and CRC-32. */
export async function* readZip(path: string, filter: (name: string) => boolean = () => true): AsyncGenerator<SourceEntry> {
  let zip: yauzl.ZipFile;
  try {
    // Advisory archives are tens of MiB: reading the file once and inflating entries from
    // memory avoids thousands of small reads (and event-loop hops) per archive.
    const size = (await stat(path)).size;
    zip =
      size <= MAX_IN_MEMORY_ZIP
        ? await yauzl.fromBufferPromise(await readFile(path), { lazyEntries: true, validateEntrySizes: true, strictFileNames: false })
        : await yauzl.openPromise(path, { lazyEntries: true, validateEntrySizes: true, strictFileNames: false });
  } catch (err) {
    throw new ArchiveError(path, `not a readable zip archive (${(err as Error).message})`);
  }
  let total = 0;
  try {
    for await (const entry of zip.eachEntry()) {
      if (entry.fileName.endsWith('/')) continue;
      if (!filter(entry.fileName)) continue;
      if (entry.uncompressedSize > MAX_ENTRY_BYTES) {
        throw new ArchiveError(path, `entry ${entry.fileName} is larger than ${MAX_ENTRY_BYTES} bytes`);
      }
      total += entry.uncompressedSize;
      if (total > MAX_ARCHIVE_BYTES) throw new ArchiveError(path, `archive unpacks to more than ${MAX_ARCHIVE_BYTES} bytes`);
      let data: Buffer;
      try {
        const stream = await zip.openReadStreamPromise(entry);
        const chunks: Buffer[] = [];
        for await (const chunk of stream) chunks.push(chunk as Buffer);
        data = Buffer.concat(chunks);
      } catch (err) {
        throw new ArchiveError(path, `corrupt entry ${entry.fileName} (${(err as Error).message})`);
      }
      if ((crc32(data) >>> 0) !== entry.crc32 >>> 0) {
        throw new ArchiveError(path, `corrupt entry ${entry.fileName} (CRC-32 mismatch)`);
      }
      yield { name: entry.fileName, data };
    }
  } catch (err) {
    if (err instanceof ArchiveError) throw err;
    throw new ArchiveError(path, `corrupt zip archive (${(err as Error).message})`);
  } finally {
    zip.close();
  }
}

/** SHA-256 of a file, streamed. */
export async function fileDigest(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}
