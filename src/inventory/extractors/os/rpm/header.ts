/**
 * RPM header blobs as rpmdb stores them (no lead, no header magic): `il` index entries of
 * 16 bytes (tag, type, offset, count) followed by `dl` bytes of data, all big-endian. Every
 * offset and count is checked against the blob before it is read.
 */

/** Tags Vigil reads. */
export const TAG = {
  NAME: 1000,
  VERSION: 1001,
  RELEASE: 1002,
  EPOCH: 1003,
  SUMMARY: 1004,
  VENDOR: 1011,
  LICENSE: 1014,
  ARCH: 1022,
  OLDFILENAMES: 1027,
  SOURCERPM: 1044,
  DIRINDEXES: 1116,
  BASENAMES: 1117,
  DIRNAMES: 1118,
  MODULARITYLABEL: 5096,
} as const;

const TYPE = { CHAR: 1, INT8: 2, INT16: 3, INT32: 4, INT64: 5, STRING: 6, BIN: 7, STRING_ARRAY: 8, I18NSTRING: 9 } as const;

/** Thrown for a blob that is not a well-formed header. */
export class RpmHeaderError extends Error {
  constructor(reason: string) {
    super(`malformed rpm header: ${reason}`);
    this.name = 'RpmHeaderError';
  }
}

interface Entry {
  type: number;
  offset: number;
  count: number;
}

/** A parsed header: typed accessors over its index. */
export class RpmHeader {
  private readonly entries = new Map<number, Entry>();
  private readonly data: Buffer;

  constructor(blob: Buffer) {
    if (blob.length < 8) throw new RpmHeaderError(`blob of ${blob.length} bytes is too short`);
    const il = blob.readUInt32BE(0);
    const dl = blob.readUInt32BE(4);
    // rpm's own limits: at most 0xffff index entries and 256 MiB of data.
    if (il === 0 || il > 0xffff) throw new RpmHeaderError(`index count ${il} out of range`);
    if (dl > 256 * 1024 * 1024) throw new RpmHeaderError(`data length ${dl} out of range`);
    const dataStart = 8 + il * 16;
    if (dataStart + dl > blob.length) throw new RpmHeaderError(`declares ${dataStart + dl} bytes, blob has ${blob.length}`);
    this.data = blob.subarray(dataStart, dataStart + dl);
    for (let i = 0; i < il; i++) {
      const at = 8 + i * 16;
      const tag = blob.readInt32BE(at);
      const type = blob.readUInt32BE(at + 4);
      const offset = blob.readInt32BE(at + 8);
      const count = blob.readUInt32BE(at + 12);
      if (offset < 0 || offset > dl) throw new RpmHeaderError(`tag ${tag} offset ${offset} outside data`);
      if (!this.entries.has(tag)) this.entries.set(tag, { type, offset, count });
    }
  }

  private strings(e: Entry, max: number): string[] {
    const out: string[] = [];
    let pos = e.offset;
    for (let i = 0; i < Math.min(e.count, max); i++) {
      const end = this.data.indexOf(0, pos);
      if (end < 0) throw new RpmHeaderError('unterminated string');
      out.push(this.data.toString('utf8', pos, end));
      pos = end + 1;
    }
    return out;
  }

  /** A string tag (or the first of an array / i18n string). */
  string(tag: number): string | undefined {
    const e = this.entries.get(tag);
    if (!e) return undefined;
    if (e.type !== TYPE.STRING && e.type !== TYPE.I18NSTRING && e.type !== TYPE.STRING_ARRAY) return undefined;
    return this.strings(e, 1)[0];
  }

  /** A string-array tag. */
  stringArray(tag: number): string[] {
    const e = this.entries.get(tag);
    if (!e || (e.type !== TYPE.STRING_ARRAY && e.type !== TYPE.STRING)) return [];
    return this.strings(e, e.type === TYPE.STRING ? 1 : e.count);
  }

  /** An integer-array tag. */
  ints(tag: number): number[] {
    const e = this.entries.get(tag);
    if (!e) return [];
    const size = e.type === TYPE.INT32 ? 4 : e.type === TYPE.INT16 ? 2 : e.type === TYPE.INT8 || e.type === TYPE.CHAR ? 1 : 0;
    if (size === 0) return [];
    if (e.offset + e.count * size > this.data.length) throw new RpmHeaderError(`tag ${tag} runs past the data`);
    const out: number[] = [];
    for (let i = 0; i < e.count; i++) {
      const at = e.offset + i * size;
      out.push(size === 4 ? this.data.readUInt32BE(at) : size === 2 ? this.data.readUInt16BE(at) : this.data[at]);
    }
    return out;
  }

  /** The files the package installs, absolute. */
  files(): string[] {
    const base = this.stringArray(TAG.BASENAMES);
    if (base.length === 0) return this.stringArray(TAG.OLDFILENAMES);
    const dirs = this.stringArray(TAG.DIRNAMES);
    const idx = this.ints(TAG.DIRINDEXES);
    return base.map((b, i) => `${dirs[idx[i]] ?? ''}${b}`);
  }
}

/** The package facts Vigil keeps from a header. */
export interface RpmPackageInfo {
  name: string;
  epoch?: number;
  version: string;
  release: string;
  arch?: string;
  sourceRpm?: string;
  modularityLabel?: string;
  vendor?: string;
  license?: string;
  files: string[];
}

/** Reads the facts of one header blob. */
export function readRpmPackage(blob: Buffer): RpmPackageInfo {
  const h = new RpmHeader(blob);
  const name = h.string(TAG.NAME);
  const version = h.string(TAG.VERSION);
  if (!name || version === undefined) throw new RpmHeaderError('no NAME or VERSION tag');
  const epoch = h.ints(TAG.EPOCH)[0];
  return {
    name,
    epoch,
    version,
    release: h.string(TAG.RELEASE) ?? '',
    arch: h.string(TAG.ARCH),
    sourceRpm: h.string(TAG.SOURCERPM),
    modularityLabel: h.string(TAG.MODULARITYLABEL),
    vendor: h.string(TAG.VENDOR),
    license: h.string(TAG.LICENSE),
    files: h.files(),
  };
}
