/**
 * Random access into an uncompressed tar file on disk (a `docker save` tarball, an OCI
 * archive) without unpacking it: one pass over the headers records where each member's
 * bytes start, and members are then streamed straight from the file. Member names are
 * untrusted; they are cleaned and never used as disk paths.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { TargetError } from '../errors.js';
import { LimitExceededError } from '../limits.js';
import { cleanEntryPath, decodeName, resolveLinkTarget } from '../paths.js';

/** One member of the archive. */
export interface TarMember {
  path: string;
  offset: number;
  size: number;
  type: 'file' | 'dir' | 'symlink' | 'link' | 'other';
  linkname?: string;
}

function octal(buf: Buffer, start: number, length: number): number {
  const field = buf.subarray(start, start + length);
  if (field[0] & 0x80) {
    // GNU base-256 for large sizes.
    let n = 0;
    for (let i = 1; i < field.length; i++) n = n * 256 + field[i];
    return n;
  }
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) return NaN;
  return parseInt(text, 8);
}

function cString(buf: Buffer, start: number, length: number): Buffer {
  const field = buf.subarray(start, start + length);
  const nul = field.indexOf(0);
  return nul < 0 ? field : field.subarray(0, nul);
}

function parsePax(data: Buffer): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space < 0) break;
    const len = parseInt(data.subarray(pos, space).toString('latin1'), 10);
    if (!Number.isFinite(len) || len <= 0) break;
    const record = data.subarray(space + 1, pos + len - 1);
    const eq = record.indexOf(0x3d);
    if (eq > 0) out[record.subarray(0, eq).toString('utf8')] = record.subarray(eq + 1);
    pos += len;
  }
  return out;
}

/** The members of an uncompressed tar file on disk, by cleaned path. */
export class TarIndex {
  private constructor(
    readonly file: string,
    readonly label: string,
    readonly members: Map<string, TarMember>,
  ) {}

  /** Reads every header of `file` once. Throws {@link TargetError} for a truncated or malformed archive. */
  static async build(file: string, label: string, maxMembers: number): Promise<TarIndex> {
    const fh = await open(file, 'r').catch((err: NodeJS.ErrnoException) => {
      throw new TargetError(label, `cannot open archive: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
    });
    const members = new Map<string, TarMember>();
    try {
      const { size: fileSize } = await fh.stat();
      const header = Buffer.alloc(512);
      let pos = 0;
      let longName: Buffer | undefined;
      let longLink: Buffer | undefined;
      let pax: Record<string, Buffer> = {};
      let count = 0;
      while (true) {
        const { bytesRead } = await fh.read(header, 0, 512, pos);
        if (bytesRead === 0) break;
        if (bytesRead < 512) throw new TargetError(label, `truncated archive: partial header at byte ${pos}`);
        if (header.every((b) => b === 0)) break;
        if (pos === 0 && header[0] === 0x1f && header[1] === 0x8b) throw new TargetError(label, 'archive is gzip-compressed; decompress it first (gunzip) and scan the .tar');
        const size = octal(header, 124, 12);
        if (!Number.isFinite(size)) throw new TargetError(label, `not a tar archive (bad header at byte ${pos})`);
        const checksum = octal(header, 148, 8);
        let sum = 0;
        for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i];
        if (checksum !== sum) throw new TargetError(label, `not a tar archive (header checksum mismatch at byte ${pos})`);
        const type = String.fromCharCode(header[156] || 0x30);
        const dataStart = pos + 512;
        if (dataStart + size > fileSize) throw new TargetError(label, `truncated archive: member at byte ${pos} needs ${size} bytes past the end of the file`);
        pos = dataStart + Math.ceil(size / 512) * 512;
        if (type === 'L' || type === 'K' || type === 'x' || type === 'g') {
          if (size > 1024 * 1024) throw new TargetError(label, `oversized ${type} header at byte ${dataStart - 512}`);
          const data = Buffer.alloc(size);
          await fh.read(data, 0, size, dataStart);
          if (type === 'L') longName = cString(data, 0, size);
          else if (type === 'K') longLink = cString(data, 0, size);
          else if (type === 'x') pax = parsePax(data);
          continue;
        }
        if (++count > maxMembers) throw new LimitExceededError('maxArchiveMembers', `${label}: more than ${maxMembers} members (limit maxArchiveMembers)`);
        let nameBytes = pax.path ?? longName ?? cString(header, 0, 100);
        const magic = header.subarray(257, 263).toString('latin1');
        if (!pax.path && !longName && magic.startsWith('ustar') && header[345] !== 0) {
          nameBytes = Buffer.concat([cString(header, 345, 155), Buffer.from('/'), nameBytes]);
        }
        const linkBytes = pax.linkpath ?? longLink ?? cString(header, 157, 100);
        longName = longLink = undefined;
        pax = {};
        const { name } = decodeName(nameBytes);
        const cleaned = cleanEntryPath(name);
        if (!cleaned.ok || cleaned.escaped || cleaned.path === '/') continue;
        const kind: TarMember['type'] =
          type === '0' || type === '7' ? 'file' : type === '5' ? 'dir' : type === '2' ? 'symlink' : type === '1' ? 'link' : 'other';
        members.set(cleaned.path, { path: cleaned.path, offset: dataStart, size, type: kind, linkname: decodeName(linkBytes).name });
      }
    } finally {
      await fh.close();
    }
    return new TarIndex(file, label, members);
  }

  /** The regular file at `path`, following up to 8 symlinks or hard links inside the archive. */
  find(path: string): TarMember | undefined {
    let current = cleanEntryPath(path);
    for (let hops = 0; hops < 8 && current.ok; hops++) {
      const m = this.members.get(current.path);
      if (!m) return undefined;
      if (m.type === 'file') return m;
      if (m.type === 'symlink') current = { ok: true, path: resolveLinkTarget(m.path, m.linkname ?? ''), escaped: false };
      else if (m.type === 'link') current = cleanEntryPath(m.linkname ?? '');
      else return undefined;
    }
    return undefined;
  }

  /** Streams a member's bytes from the archive file. */
  stream(member: TarMember): Readable {
    if (member.size === 0) return Readable.from([]);
    return createReadStream(this.file, { start: member.offset, end: member.offset + member.size - 1, highWaterMark: 1024 * 1024 });
  }
}
