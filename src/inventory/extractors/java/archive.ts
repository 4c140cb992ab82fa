/**
 * Java archives (JAR, WAR, EAR and the Jenkins/JBoss variants), including archives nested in
 * them (`WEB-INF/lib/*.jar`, Spring Boot `BOOT-INF/lib/*.jar`). Every
 * `META-INF/maven/<group>/<artifact>/pom.properties` names one artifact built into the
 * archive (fat and shaded JARs carry many); an archive with none falls back to its
 * `META-INF/MANIFEST.MF` and its file name.
 *
 * Archives come from outside, so reading is bounded: entry count, nesting depth, the size of
 * each entry read, the total decompressed, and the compression ratio (a zip bomb's entries
 * compress a thousandfold; real class files and JARs do not). An entry over a bound is a
 * warning naming the archive path, and the rest of the archive is still read.
 */
import { Readable } from 'node:stream';
import type { Entry, RandomAccessReader, ZipFile } from 'yauzl';
import type { Extractor, ExtractContext, FileRef, FoundPackage } from '../../types.js';
import { baseName, ExtractError } from '../language-common.js';
import knownGroups from './known-groups.json' with { type: 'json' };
import { mavenPackage } from './maven.js';

/** Artifact id → `groupId` or `groupId:artifactId` (see {@link fromManifest}). */
const KNOWN_GROUPS = new Map(Object.entries(knownGroups as Record<string, string>).filter(([k]) => !k.startsWith('_')));

/** Bounds on reading one archive (with everything nested in it). */
export interface ArchiveLimits {
  maxArchiveBytes: number;
  maxEntries: number;
  maxDepth: number;
  /** Largest nested archive read into memory. */
  maxNestedBytes: number;
  /** Largest pom.properties or MANIFEST.MF read. */
  maxMetadataBytes: number;
  /** Total bytes decompressed from one top-level archive. */
  maxTotalBytes: number;
  /** Largest uncompressed/compressed ratio accepted for an entry of more than 1 MiB. */
  maxRatio: number;
}

/** Defaults: larger than any real application archive, far smaller than a bomb. */
export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = {
  maxArchiveBytes: 256 * 1024 * 1024,
  maxEntries: 200_000,
  maxDepth: 4,
  maxNestedBytes: 128 * 1024 * 1024,
  maxMetadataBytes: 1024 * 1024,
  maxTotalBytes: 1024 * 1024 * 1024,
  maxRatio: 200,
};

const ARCHIVE_EXT = /\.(jar|war|ear|jpi|hpi|sar|par|kar)$/i;
// Maven writes META-INF/maven/<group>/<artifact>/pom.properties; hand-built archives sometimes put it elsewhere.
const POM_PROPERTIES = /(?:^|\/)pom\.properties$/;

/** Parses Java `.properties` text (enough of it for pom.properties). */
export function parseProperties(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const m = /^([^=:\s]+)\s*[=:\s]\s*(.*)$/.exec(line);
    if (m) out[m[1]] = m[2].trim();
  }
  return out;
}

/** Parses a JAR manifest's main section (72-byte lines continued with a leading space). */
export function parseManifest(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let last: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line === '') break;
    if (line.startsWith(' ') && last) {
      out[last] += line.slice(1);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    last = line.slice(0, colon).trim();
    out[last] = line.slice(colon + 1).trim();
  }
  return out;
}

/** `commons-io-2.11.0.jar` → `{ artifactId: 'commons-io', version: '2.11.0' }`. */
export function parseArchiveFileName(name: string): { artifactId: string; version?: string } {
  const stem = name.replace(ARCHIVE_EXT, '');
  const m = /^(.+?)-(\d[^-]*(?:-[A-Za-z0-9.]+)*)$/.exec(stem);
  return m ? { artifactId: m[1], version: m[2] } : { artifactId: stem };
}

interface ReadState {
  total: number;
  limits: ArchiveLimits;
  warn(reason: string): void;
  signal?: AbortSignal;
}

async function readEntry(zip: ZipFile, entry: Entry, max: number, state: ReadState, where: string): Promise<Buffer | undefined> {
  if (entry.uncompressedSize > max) {
    state.warn(`${where}: ${entry.uncompressedSize} bytes, over the ${max}-byte limit; skipped`);
    return undefined;
  }
  if (entry.uncompressedSize > 1024 * 1024 && entry.uncompressedSize / Math.max(entry.compressedSize, 1) > state.limits.maxRatio) {
    state.warn(`${where}: compression ratio over ${state.limits.maxRatio}:1 (a zip bomb?); skipped`);
    return undefined;
  }
  if (state.total + entry.uncompressedSize > state.limits.maxTotalBytes) {
    state.warn(`${where}: archive decompresses past ${state.limits.maxTotalBytes} bytes in total; rest skipped`);
    return undefined;
  }
  const stream: Readable = await zip.openReadStreamPromise(entry);
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    n += chunk.length;
    // The declared size is checked by yauzl; this bounds memory even if it were not.
    if (n > max) {
      stream.destroy();
      state.warn(`${where}: more than ${max} bytes; skipped`);
      return undefined;
    }
    chunks.push(chunk);
  }
  state.total += n;
  return Buffer.concat(chunks);
}

/**
 * Archives at least this large are read where they lie when the source can seek, instead of
 * whole: a host's emulator and tool JARs (41, 53 and 70 MB side by side in the Google Cloud
 * SDK) held in memory one after another, before garbage collection freed the last, made up
 * most of the host agent's peak memory.
 */
const READ_IN_PLACE_BYTES = 8 * 1024 * 1024;
/** Bytes read at a time from an archive read in place: the central directory is read an entry at a time. */
const BLOCK_BYTES = 256 * 1024;

/** The archive's bytes: whole in memory, or a seekable file read in blocks. */
type ArchiveBytes = Buffer | (FileRef & Required<Pick<FileRef, 'readAt'>>);

/** A yauzl reader over a seekable file, keeping the last block read (see {@link BLOCK_BYTES}). */
async function seekingReader(file: FileRef & Required<Pick<FileRef, 'readAt'>>): Promise<RandomAccessReader> {
  const { RandomAccessReader: Base } = (await import('yauzl')).default;
  let block: { start: number; data: Buffer } | undefined;
  const range = async (position: number, length: number): Promise<Buffer> => {
    if (block && position >= block.start && position + length <= block.start + block.data.length) return block.data.subarray(position - block.start, position - block.start + length);
    if (length > BLOCK_BYTES) return file.readAt(position, length);
    block = { start: position, data: await file.readAt(position, BLOCK_BYTES) };
    return block.data.subarray(0, length);
  };
  class SeekingReader extends Base {
    override read(buffer: Buffer, offset: number, length: number, position: number, callback: (err: Error | null, bytesRead?: number) => void): void {
      range(position, length).then(
        (data) => callback(null, data.copy(buffer, offset)),
        (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
      );
    }
    override _readStreamForRange(start: number, end: number): Readable {
      return Readable.from(
        (async function* () {
          for (let at = start; at < end; at += BLOCK_BYTES) yield await file.readAt(at, Math.min(BLOCK_BYTES, end - at));
        })(),
      );
    }
  }
  return new SeekingReader();
}

/** Reads the packages in one archive (and the archives nested in it). */
async function readArchive(bytes: ArchiveBytes, archivePath: string, depth: number, state: ReadState, out: FoundPackage[]): Promise<void> {
  // Loaded with the first archive: most scans read none.
  const { default: yauzl } = await import('yauzl');
  let zip: ZipFile;
  try {
    const options = { lazyEntries: true, validateEntrySizes: true, strictFileNames: false };
    zip = Buffer.isBuffer(bytes) ? await yauzl.fromBufferPromise(bytes, options) : await yauzl.fromRandomAccessReaderPromise(await seekingReader(bytes), bytes.size, options);
  } catch (err) {
    throw new Error(`${archivePath}: not a readable ZIP archive: ${err instanceof Error ? err.message : String(err)}`);
  }
  const before = out.length;
  let manifest: Record<string, string> | undefined;
  const nested: { name: string; data: Buffer }[] = [];
  let count = 0;
  try {
    for await (const entry of zip.eachEntry()) {
      state.signal?.throwIfAborted();
      if (++count > state.limits.maxEntries) {
        state.warn(`${archivePath}: more than ${state.limits.maxEntries} entries; rest skipped`);
        break;
      }
      const name = entry.fileName;
      const where = `${archivePath}!/${name}`;
      if (POM_PROPERTIES.test(name)) {
        const data = await readEntry(zip, entry, state.limits.maxMetadataBytes, state, where);
        if (!data) continue;
        const props = parseProperties(data.toString('utf8'));
        if (props.artifactId && props.version) {
          out.push(mavenPackage(props.groupId, props.artifactId, props.version, { metadata: { archivePath: where, identity: 'pom-properties' } }));
        } else {
          state.warn(`${where}: no artifactId or version`);
        }
      } else if (name === 'META-INF/MANIFEST.MF') {
        const data = await readEntry(zip, entry, state.limits.maxMetadataBytes, state, where);
        if (data) manifest = parseManifest(data.toString('utf8'));
      } else if (ARCHIVE_EXT.test(name)) {
        if (depth + 1 >= state.limits.maxDepth) {
          state.warn(`${where}: nested deeper than ${state.limits.maxDepth} archives; skipped`);
          continue;
        }
        const data = await readEntry(zip, entry, state.limits.maxNestedBytes, state, where);
        if (data) nested.push({ name, data });
      }
    }
  } finally {
    zip.close();
  }
  if (out.length === before) {
    const pkg = fromManifest(manifest ?? {}, baseName(archivePath.replace(/!\/.*\//, '/')), archivePath);
    if (pkg) out.push(pkg);
  }
  for (const n of nested) {
    try {
      await readArchive(n.data, `${archivePath}!/${n.name}`, depth + 1, state, out);
    } catch (err) {
      state.warn(err instanceof Error ? err.message : String(err));
    }
  }
}

/**
 * Maven coordinates of an archive without pom.properties, from the remaining evidence, in this
 * order (`metadata.identity` says which one named the group):
 *
 * 1. `known-artifacts`: the shipped table of well-known artifacts (`known-groups.json`), by
 *    the artifact id the file name (or manifest) gives; it may also rename the artifact
 *    (Debian's `atinject-jsr330-api.jar` is `javax.inject:javax.inject`). It comes first because
 *    manifests of these archives often name another group (`Implementation-Vendor-Id:
 *    org.apache` for commons-logging, `Bundle-SymbolicName: org.objectweb.asm` for org.ow2.asm).
 * 2. `manifest`: the OSGi convention, `Bundle-SymbolicName` = `<groupId>.<artifactId>` (dashes
 *    as dots), with `Implementation-Vendor-Id`, when present, naming the same group.
 * 3. `filename`: no group known; the package is the artifact id alone, which the matcher looks
 *    up by artifact id with low confidence.
 *
 * The version is `Implementation-Version`, else `Bundle-Version`, else the file name's.
 */
function fromManifest(m: Record<string, string>, fileName: string, archivePath: string): FoundPackage | undefined {
  const fromName = parseArchiveFileName(fileName);
  const symbolic = m['Bundle-SymbolicName']?.split(';')[0]?.trim();
  const artifactId = fromName.artifactId || m['Implementation-Title'] || symbolic;
  const version = m['Implementation-Version'] ?? m['Bundle-Version'] ?? fromName.version ?? m['Specification-Version'];
  if (!artifactId || !version) return undefined;
  const known = KNOWN_GROUPS.get(artifactId);
  if (known) {
    const [groupId, renamed] = known.split(':');
    return mavenPackage(groupId, renamed ?? artifactId, version, { metadata: { archivePath, identity: 'known-artifacts' } });
  }
  const suffix = `.${artifactId.replace(/-/g, '.')}`;
  const vendorId = m['Implementation-Vendor-Id'];
  if (symbolic && symbolic.endsWith(suffix) && symbolic.length > suffix.length) {
    const groupId = symbolic.slice(0, -suffix.length);
    if (!vendorId || vendorId === groupId) return mavenPackage(groupId, artifactId, version, { metadata: { archivePath, identity: 'manifest' } });
  }
  return mavenPackage(undefined, artifactId, version, { metadata: { archivePath, identity: 'filename' } });
}

/**
 * Reads a Java archive's packages, from its bytes or from a file it seeks in; exported for
 * tests and for callers holding the bytes.
 */
export async function extractJavaArchive(bytes: ArchiveBytes, path: string, ctx: ExtractContext, limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS): Promise<FoundPackage[]> {
  const out: FoundPackage[] = [];
  await readArchive(bytes, path, 0, { total: 0, limits, warn: (r) => ctx.warn(r), signal: ctx.signal }, out);
  return out;
}

/** Extracts Maven artifacts from Java archives. */
export const javaArchive = {
  id: 'java/archive',
  version: 2,
  // Any size is taken: an archive over the limit becomes a warning naming it, not a silent gap.
  fileRequired(path: string): boolean {
    return ARCHIVE_EXT.test(path);
  },
  async extract(file: FileRef, ctx: ExtractContext): Promise<FoundPackage[]> {
    if (file.size > DEFAULT_ARCHIVE_LIMITS.maxArchiveBytes) {
      throw new ExtractError(file.path, `archive too large (${file.size} bytes, limit ${DEFAULT_ARCHIVE_LIMITS.maxArchiveBytes})`);
    }
    try {
      const { readAt } = file;
      const bytes = readAt && file.size >= READ_IN_PLACE_BYTES ? { ...file, readAt } : await file.read();
      return await extractJavaArchive(bytes, file.path, ctx);
    } catch (err) {
      if (err instanceof ExtractError) throw err;
      throw new ExtractError(file.path, err instanceof Error ? err.message.replace(`${file.path}: `, '') : String(err));
    }
  },
} satisfies Extractor;
