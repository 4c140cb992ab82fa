/**
 * A minimal, synchronous tar reader for the layer hot path: ustar, GNU (long names and link
 * names, base-256 sizes) and PAX (path, linkpath, size; global headers) entries, fed chunk by
 * chunk. It hands each entry's header to the caller, which either asks for the entry's bytes
 * (copied once into a buffer of the entry's size) or lets them go by uncopied. No stream per
 * entry and no promise per entry: a layer holds tens of thousands of entries, most skipped.
 * Chunks may be reused by the caller after `push` returns; nothing keeps a reference to them.
 */

/** An entry's type, named as tar-stream names them. */
export type TarEntryType = 'file' | 'link' | 'symlink' | 'character-device' | 'block-device' | 'directory' | 'fifo' | 'contiguous-file' | 'unknown';

/** What the reader tells of an entry (long names and PAX records already applied). */
export interface TarHeader {
  /** The name as stored, decoded as UTF-8 (invalid bytes become U+FFFD). */
  name: string;
  /** Link target of a hard or symbolic link, undefined when the entry has none. */
  linkname?: string;
  type: TarEntryType;
  /** Bytes of data following the header (0 for directories, whatever the header says). */
  size: number;
  /** Permission and mode bits. */
  mode: number;
}

/**
 * Where a wanted entry's bytes go, once all of them have arrived. With `into` (at least the
 * entry's size), they are gathered there, memory the caller reuses once the sink has returned;
 * otherwise in a buffer of their own. With `head`, an entry larger than `head.bytes` is gathered
 * first only that far (in the reader's memory): `head.decide` gets those bytes and returns
 * where to gather the whole entry (at least its size), or undefined to skip the rest, and the
 * sink then gets just those first bytes.
 */
export type EntrySink = ((data: Buffer) => void) & { into?: Buffer; head?: EntryHead };

/** How a sink decides on an entry from its first bytes (see {@link EntrySink}). */
export interface EntryHead {
  bytes: number;
  decide(head: Buffer): Buffer | undefined;
}

/** Thrown for bytes that are not a well-formed tar archive. */
export class TarFormatError extends Error {}

/** Largest GNU long-name or PAX record accepted (tar-stream's limit too). */
export const MAX_META_BYTES = 4 * 1024 * 1024;

const BLOCK = 512;
/** The bytes of every empty entry (directories, empty files): one buffer, as nothing can be written into it. */
const NO_BYTES = Buffer.alloc(0);
const TYPES: Record<number, TarEntryType> = {
  0: 'file',
  0x30: 'file',
  0x31: 'link',
  0x32: 'symlink',
  0x33: 'character-device',
  0x34: 'block-device',
  0x35: 'directory',
  0x36: 'fifo',
  0x37: 'contiguous-file',
};
const PAX = 0x78; // 'x'
const PAX_GLOBAL = 0x67; // 'g'
const GNU_LONG_NAME = 0x4c; // 'L'
const GNU_LONG_NAME_OLD = 0x4e; // 'N'
const GNU_LONG_LINK = 0x4b; // 'K'

type MetaKind = 'pax' | 'pax-global' | 'long-name' | 'long-link';

/** Reads tar bytes pushed in chunks and reports each entry to `onEntry`. */
export class TarReader {
  private readonly header = Buffer.alloc(BLOCK);
  private readonly headerWords = (this.header.byteOffset & 3) === 0 ? new Uint32Array(this.header.buffer, this.header.byteOffset, BLOCK / 4) : undefined;
  private headerFill = 0;
  /** Data bytes of the current entry still to come, then padding to the next block. */
  private dataLeft = 0;
  private padLeft = 0;
  /** Where the current entry's bytes go (a wanted file or a metadata record). */
  private sink?: Buffer;
  private sinkFill = 0;
  private onSink?: EntrySink;
  /** Memory for the current entry's first bytes, gathered until its sink's `head` decides. */
  private head = Buffer.alloc(0);
  private inHead = false;
  /** The sink's `head` wanted no more than the first bytes. */
  private headOnly = false;
  private meta?: MetaKind;
  private longName?: string;
  private longLink?: string;
  private pax?: Map<string, string>;
  private paxGlobal?: Map<string, string>;
  /** Bytes consumed so far, for messages. */
  private offset = 0;
  private entryName = '';

  constructor(
    /** Called for each entry in order; returns a sink to receive its bytes, or undefined to skip them. */
    private readonly onEntry: (header: TarHeader) => EntrySink | undefined,
  ) {}

  /** Feeds the next bytes; throws {@link TarFormatError} for a malformed header (or what `onEntry` throws). */
  push(chunk: Buffer): void {
    let at = 0;
    const end = chunk.length;
    // The chunk as 32-bit words when it starts on a 4-byte boundary, for the header checksum.
    const words = (chunk.byteOffset & 3) === 0 ? new Uint32Array(chunk.buffer, chunk.byteOffset, end >>> 2) : undefined;
    while (at < end) {
      if (this.dataLeft > 0) {
        const n = Math.min(this.dataLeft, end - at);
        if (this.sink) this.gather(chunk, at, n);
        this.dataLeft -= n;
        at += n;
        this.offset += n;
        if (this.dataLeft === 0) this.finishData();
        continue;
      }
      if (this.padLeft > 0) {
        const n = Math.min(this.padLeft, end - at);
        this.padLeft -= n;
        at += n;
        this.offset += n;
        continue;
      }
      if (this.headerFill === 0 && end - at >= BLOCK) {
        // The common case: the whole header is in this chunk; read it in place.
        at += BLOCK;
        this.readHeader(chunk, at - BLOCK, words);
        this.offset += BLOCK;
        continue;
      }
      const n = Math.min(BLOCK - this.headerFill, end - at);
      chunk.copy(this.header, this.headerFill, at, at + n);
      this.headerFill += n;
      at += n;
      if (this.headerFill === BLOCK) {
        this.headerFill = 0;
        this.readHeader(this.header, 0, this.headerWords);
        this.offset += BLOCK;
      }
    }
  }

  /** Ends the archive; throws {@link TarFormatError} when it stopped inside a header or an entry. */
  end(): void {
    if (this.dataLeft > 0 || this.padLeft > 0 || this.headerFill > 0) {
      const where = this.headerFill > 0 ? 'inside a header' : `inside the data of "${this.entryName}"`;
      throw new TarFormatError(`tar archive truncated: it ends ${where}, at byte ${this.offset + this.headerFill}`);
    }
    if (this.meta !== undefined || this.longName !== undefined || this.longLink !== undefined || this.pax !== undefined) {
      throw new TarFormatError('tar archive truncated: it ends after a long-name or PAX record, before its entry');
    }
  }

  /** Reads the header at `block[h]` to `block[h + 511]`; `words` is `block` as 32-bit words, when aligned. */
  private readHeader(block: Buffer, h: number, words: Uint32Array | undefined): void {
    const at = this.offset;
    // The checksum field itself counts as 8 spaces.
    const sum = words && (h & 3) === 0 ? wordChecksum(words, h >>> 2) : checksum(block, h);
    // An all-zero block: the end-of-archive marker, or padding after it.
    if (sum === 8 * 0x20) return;
    const stored = octal(block, h + 148, 8);
    // Some old tars summed signed bytes: computed only when the usual sum does not match.
    if (stored !== sum && stored !== signedChecksum(block, h)) {
      throw new TarFormatError(`Invalid tar header at byte ${at}: bad checksum (the layer is corrupt or not a tar archive)`);
    }
    const ustar = block[h + 257] === 0x75 && block[h + 258] === 0x73 && block[h + 259] === 0x74 && block[h + 260] === 0x61 && block[h + 261] === 0x72;
    if (!ustar || (block[h + 262] !== 0 && block[h + 262] !== 0x20)) {
      throw new TarFormatError(`Invalid tar header at byte ${at}: unknown format (neither ustar nor GNU)`);
    }
    const posix = block[h + 262] === 0;
    const flag = block[h + 156];
    let size = numeric(block, h + 124, 12);
    if (!(size >= 0) || !Number.isSafeInteger(size)) throw new TarFormatError(`Invalid tar header at byte ${at}: bad size field`);

    const meta = metaKind(flag);
    if (meta) {
      if (size > MAX_META_BYTES) throw new TarFormatError(`Invalid tar header at byte ${at}: a ${size}-byte long-name or PAX record, more than ${MAX_META_BYTES} allowed`);
      this.meta = meta;
      this.entryName = `(${meta} record)`;
      this.startData(size, Buffer.allocUnsafe(size), undefined);
      return;
    }

    let name = text(block, h, 100);
    if (posix && block[h + 345] !== 0) name = `${text(block, h + 345, 155)}/${name}`;
    let linkname = block[h + 157] === 0 ? undefined : text(block, h + 157, 100);
    let type: TarEntryType = TYPES[flag] ?? 'unknown';
    // Old tars mark directories with a trailing slash on a file entry.
    if (flag === 0 && name.endsWith('/')) type = 'directory';
    if (this.longName !== undefined) name = this.longName;
    if (this.longLink !== undefined) linkname = this.longLink;
    const pax = this.pax ?? this.paxGlobal;
    if (pax) {
      const path = pax.get('path');
      const linkpath = pax.get('linkpath');
      const paxSize = pax.get('size');
      if (path) name = path;
      if (linkpath) linkname = linkpath;
      if (paxSize) {
        size = /^\d+$/.test(paxSize) ? Number(paxSize) : NaN;
        if (!Number.isSafeInteger(size)) throw new TarFormatError(`Invalid tar header at byte ${at}: bad PAX size "${paxSize.slice(0, 40)}"`);
      }
    }
    this.longName = undefined;
    this.longLink = undefined;
    this.pax = undefined;
    if (type === 'directory') size = 0;
    this.entryName = name;
    const header: TarHeader = { name, type, size, mode: octal(block, h + 100, 8) || 0 };
    if (linkname !== undefined) header.linkname = linkname;
    const sink = this.onEntry(header);
    // An entry no larger than the head a sink decides on is gathered whole without asking.
    const head = sink?.head && size > sink.head.bytes ? sink.head : undefined;
    this.inHead = head !== undefined;
    if (head && this.head.length < head.bytes) this.head = Buffer.alloc(head.bytes);
    const buffer = head ? this.head.subarray(0, head.bytes) : sink && size > 0 ? (sink.into?.subarray(0, size) ?? Buffer.allocUnsafe(size)) : undefined;
    this.startData(size, buffer, sink);
  }

  /** Copies `n` bytes of the current entry at `chunk[at]` into its sink; first its head, until the sink decides. */
  private gather(chunk: Buffer, at: number, n: number): void {
    if (this.headOnly) return;
    const sink = this.sink!;
    if (this.inHead) {
      const k = Math.min(n, sink.length - this.sinkFill);
      chunk.copy(sink, this.sinkFill, at, at + k);
      this.sinkFill += k;
      if (this.sinkFill < sink.length) return;
      this.inHead = false;
      // The entry is larger than its head (see readHeader), so more bytes follow.
      const whole = this.onSink!.head!.decide(sink);
      if (!whole) {
        this.headOnly = true;
        return;
      }
      sink.copy(whole, 0, 0, sink.length);
      this.sink = whole.subarray(0, sink.length + this.dataLeft - k);
      at += k;
      n -= k;
    }
    chunk.copy(this.sink!, this.sinkFill, at, at + n);
    this.sinkFill += n;
  }

  private startData(size: number, buffer: Buffer | undefined, onSink: EntrySink | undefined): void {
    this.sink = buffer;
    this.sinkFill = 0;
    this.onSink = onSink;
    this.dataLeft = size;
    this.padLeft = (BLOCK - (size % BLOCK)) % BLOCK;
    if (size === 0) this.finishData();
  }

  private finishData(): void {
    this.inHead = false;
    this.headOnly = false;
    const data = this.sink ?? NO_BYTES;
    const onSink = this.onSink;
    const meta = this.meta;
    this.sink = undefined;
    this.onSink = undefined;
    this.meta = undefined;
    if (meta === 'long-name') this.longName = text(data, 0, data.length);
    else if (meta === 'long-link') this.longLink = text(data, 0, data.length);
    else if (meta === 'pax') this.pax = new Map([...(this.paxGlobal ?? []), ...parsePax(data)]);
    else if (meta === 'pax-global') this.paxGlobal = new Map([...(this.paxGlobal ?? []), ...parsePax(data)]);
    else onSink?.(data);
  }
}

/** The checksum of the header at `block[h]`: the sum of its bytes as unsigned, the checksum field read as spaces. */
function checksum(block: Buffer, h: number): number {
  let sum = 8 * 0x20;
  for (let i = h; i < h + 148; i++) sum += block[i];
  for (let i = h + 156; i < h + BLOCK; i++) sum += block[i];
  return sum;
}

/**
 * {@link checksum} of the header at `words[w]`, a word at a time: each of a word's 4 bytes is
 * added in its own 16-bit lane (bytes 0 and 2 in `even`, 1 and 3 in `odd`), which 126 words
 * cannot overflow (126 × 255 < 65,536). Words 37 and 38 are the checksum field.
 */
function wordChecksum(words: Uint32Array, w: number): number {
  let even = 0;
  let odd = 0;
  for (let i = w; i < w + 128; i++) {
    if (i === w + 37) i += 2;
    const word = words[i];
    even += word & 0x00ff00ff;
    odd += (word >>> 8) & 0x00ff00ff;
  }
  return 8 * 0x20 + (even & 0xffff) + Math.floor(even / 0x10000) + (odd & 0xffff) + Math.floor(odd / 0x10000);
}

/** The header checksum as old tars computed it, with bytes read as signed. */
function signedChecksum(block: Buffer, h: number): number {
  let sum = 8 * 0x20;
  for (let i = 0; i < BLOCK; i++) {
    if (i >= 148 && i < 156) continue;
    const b = block[h + i];
    sum += b > 127 ? b - 256 : b;
  }
  return sum;
}

function metaKind(flag: number): MetaKind | undefined {
  switch (flag) {
    case PAX:
      return 'pax';
    case PAX_GLOBAL:
      return 'pax-global';
    case GNU_LONG_NAME:
    case GNU_LONG_NAME_OLD:
      return 'long-name';
    case GNU_LONG_LINK:
      return 'long-link';
    default:
      return undefined;
  }
}

/** A NUL-terminated string field, decoded as UTF-8. */
function text(block: Buffer, start: number, length: number): string {
  let end = start;
  const limit = start + length;
  while (end < limit && block[end] !== 0) end++;
  return block.toString('utf8', start, end);
}

/** An octal field: leading spaces and NULs skipped, digits up to the first non-digit; NaN when there are none. */
function octal(block: Buffer, start: number, length: number): number {
  let i = start;
  const limit = start + length;
  while (i < limit && (block[i] === 0x20 || block[i] === 0)) i++;
  let value = 0;
  let digits = 0;
  for (; i < limit; i++) {
    const d = block[i] - 0x30;
    if (d < 0 || d > 7) break;
    value = value * 8 + d;
    digits++;
  }
  return digits > 0 ? value : i === limit ? 0 : NaN;
}

/** A size field: octal, or GNU base-256 (first byte 0x80 positive, 0xff negative). */
function numeric(block: Buffer, start: number, length: number): number {
  const first = block[start];
  if (first === 0x80 || first === 0xff) {
    let value = 0;
    for (let i = start + 1; i < start + length; i++) value = value * 256 + (first === 0xff ? 0xff - block[i] : block[i]);
    return first === 0xff ? -value - 1 : value;
  }
  return octal(block, start, length);
}

/** PAX records: `LENGTH key=value\n`, LENGTH counting the whole record. */
function parsePax(data: Buffer): Map<string, string> {
  const records = new Map<string, string>();
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space < 0) break;
    const length = Number(data.toString('latin1', at, space));
    if (!Number.isSafeInteger(length) || length <= space - at || at + length > data.length) {
      throw new TarFormatError(`Invalid tar header: malformed PAX record at byte ${at} of its header`);
    }
    const record = data.toString('utf8', space + 1, at + length - 1);
    const eq = record.indexOf('=');
    if (eq > 0) records.set(record.slice(0, eq), record.slice(eq + 1));
    at += length;
  }
  return records;
}
