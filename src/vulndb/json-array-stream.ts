/**
 * Reading one top-level array of a large JSON document element by element, without holding
 * the document (or one string of it) in memory. NVD's yearly feeds are hundreds of MiB once
 * decompressed: more than one entry may be, and more than JSON.parse should take at once.
 */
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { ArchiveError, MAX_ARCHIVE_BYTES, MAX_ENTRY_BYTES, fileKind, type SourceEntry } from './archive.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COLON = 0x3a;

/** Scanner state across chunks. */
interface State {
  depth: number;
  inString: boolean;
  escape: boolean;
  /** Bytes of the string being read at depth 1 (a key candidate). */
  key: number[] | undefined;
  lastKey: string | undefined;
  afterColon: boolean;
  /** Depth of the wanted array's elements once inside it. */
  inArray: boolean;
  /** Chunks of the element being captured, and where it starts in the first. */
  element: Buffer[] | undefined;
  elementBytes: number;
  index: number;
}

/**
 * Yields each object of the top-level `key` array of a JSON file (gzipped or not) as an entry
 * named `<name>[<i>]`. A document without that array is yielded whole as one entry named
 * `name` (bounded like any entry), so single records read the same way.
 */
export async function* readJsonArrayElements(path: string, name: string, key: string): AsyncGenerator<SourceEntry> {
  const kind = await fileKind(path);
  if (kind === 'zip') throw new ArchiveError(path, 'expected a JSON document, found a zip archive');
  const raw = createReadStream(path);
  const input = kind === 'gzip' ? raw.pipe(createGunzip()) : raw;
  const s: State = { depth: 0, inString: false, escape: false, key: undefined, lastKey: undefined, afterColon: false, inArray: false, element: undefined, elementBytes: 0, index: 0 };
  // Until the array is found, the document is kept, in case it never is.
  let prefix: Buffer[] | undefined = [];
  let prefixBytes = 0;
  let total = 0;
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > MAX_ARCHIVE_BYTES) throw new ArchiveError(path, `document unpacks to more than ${MAX_ARCHIVE_BYTES} bytes`);
      if (prefix) {
        prefix.push(chunk);
        prefixBytes += chunk.length;
        if (prefixBytes > MAX_ENTRY_BYTES && !s.inArray) throw new ArchiveError(path, `no "${key}" array within the first ${MAX_ENTRY_BYTES} bytes`);
      }
      let start = 0;
      for (let i = 0; i < chunk.length; i++) {
        const c = chunk[i];
        if (s.inString) {
          if (s.escape) s.escape = false;
          else if (c === BACKSLASH) s.escape = true;
          else if (c === QUOTE) {
            s.inString = false;
            if (s.key) {
              s.lastKey = Buffer.from(s.key).toString('utf8');
              s.key = undefined;
            }
            continue;
          }
          s.key?.push(c);
          continue;
        }
        if (c === QUOTE) {
          s.inString = true;
          if (s.depth === 1 && !s.afterColon) s.key = [];
          continue;
        }
        if (c === COLON && s.depth === 1) {
          s.afterColon = true;
          continue;
        }
        if (c === OPEN_BRACE || c === OPEN_BRACKET) {
          if (c === OPEN_BRACKET && s.depth === 1 && s.afterColon && s.lastKey === key && !s.inArray) {
            s.inArray = true;
            prefix = undefined;
          } else if (c === OPEN_BRACE && s.inArray && s.depth === 2) {
            s.element = [];
            s.elementBytes = 0;
            start = i;
          }
          s.depth++;
          continue;
        }
        if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
          s.depth--;
          if (s.depth < 0) throw new ArchiveError(path, 'not valid JSON (unbalanced brackets)');
          if (s.element && s.depth === 2 && c === CLOSE_BRACE) {
            s.element.push(chunk.subarray(start, i + 1));
            yield { name: `${name}[${s.index++}]`, data: Buffer.concat(s.element) };
            s.element = undefined;
          } else if (s.inArray && s.depth === 1) s.inArray = false;
          if (s.depth === 1) s.afterColon = false;
          continue;
        }
        if (c === 0x2c && s.depth === 1) s.afterColon = false;
      }
      if (s.element) {
        s.element.push(chunk.subarray(start));
        s.elementBytes += chunk.length - start;
        if (s.elementBytes > MAX_ENTRY_BYTES) throw new ArchiveError(path, `element ${s.index} of "${key}" is larger than ${MAX_ENTRY_BYTES} bytes`);
      }
    }
  } catch (err) {
    if (err instanceof ArchiveError) throw err;
    throw new ArchiveError(path, `corrupt or truncated data (${(err as Error).message})`);
  }
  if (s.inString || s.depth !== 0) throw new ArchiveError(path, 'truncated JSON document');
  if (prefix) yield { name, data: Buffer.concat(prefix) };
}
