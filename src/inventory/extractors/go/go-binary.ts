/**
 * Compiled Go programs: the build information the Go linker embeds (what `go version -m`
 * prints): the main module, every dependency module with its version (replacements applied)
 * and the Go toolchain version, reported as `stdlib`.
 *
 * Since Go 1.18 the build information is stored inline after a 32-byte header that starts
 * with the magic `\xff Go buildinf:`, in the same way in ELF, PE and Mach-O files, so the
 * magic is searched for directly. Older binaries store pointers instead; those are followed
 * through ELF section headers (ELF only).
 */
import type { Extractor, ExtractContext, FileRef, FoundPackage } from '../../types.js';
import { ExtractError, executableFormat, mayBeProgram, mayBeProgramPath, peek } from '../language-common.js';
import { findElfSection, readElf, type ElfFile } from '../elf.js';
import { goPackage, stdlibVersion } from './golang.js';

/** Largest program read whole. */
const MAX_BINARY_BYTES = 256 * 1024 * 1024;
const MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');

/** What a Go binary's build information says. */
export interface GoBuildInfo {
  goVersion: string;
  path?: string;
  main?: { path: string; version: string };
  deps: { path: string; version: string; replacedBy?: { path: string; version: string } }[];
  settings: Record<string, string>;
}

function readUvarint(buf: Buffer, off: number): [number, number] {
  let x = 0;
  let shift = 0;
  for (let i = off; i < buf.length && i < off + 10; i++) {
    const b = buf[i];
    x += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return [x, i + 1];
    shift += 7;
  }
  throw new Error('bad varint');
}

/** Reads a Go string header at a virtual address (pre-1.18 binaries, ELF only). */
function readGoStringAt(buf: Buffer, elf: ElfFile, ptrSize: number, addr: number): string | undefined {
  const at = (a: number, n: number): Buffer | undefined => {
    const s = elf.sections.find((x) => x.addr !== 0 && a >= x.addr && a + n <= x.addr + x.size);
    return s ? buf.subarray(s.offset + (a - s.addr), s.offset + (a - s.addr) + n) : undefined;
  };
  const readPtr = (b: Buffer) => (ptrSize === 8 ? Number(elf.le ? b.readBigUInt64LE(0) : b.readBigUInt64BE(0)) : elf.le ? b.readUInt32LE(0) : b.readUInt32BE(0));
  const hdr = at(addr, ptrSize * 2);
  if (!hdr) return undefined;
  const dataAddr = readPtr(hdr.subarray(0, ptrSize));
  const len = readPtr(hdr.subarray(ptrSize));
  if (len > 16 * 1024 * 1024) return undefined;
  return at(dataAddr, len)?.toString('utf8');
}

/** Finds and decodes the build information in a program; undefined when it has none. */
export function readGoBuildInfo(buf: Buffer): GoBuildInfo | undefined {
  let pos = buf.indexOf(MAGIC);
  // The header is 16-byte aligned; a stray copy of the magic elsewhere is skipped.
  while (pos >= 0 && pos % 16 !== 0) pos = buf.indexOf(MAGIC, pos + 1);
  if (pos < 0 || pos + 32 > buf.length) return undefined;
  const ptrSize = buf[pos + 14];
  const flags = buf[pos + 15];
  let goVersion: string | undefined;
  let modinfo: string | undefined;
  if (flags & 0x2) {
    let off = pos + 32;
    const [vlen, o1] = readUvarint(buf, off);
    goVersion = buf.subarray(o1, o1 + vlen).toString('utf8');
    off = o1 + vlen;
    const [mlen, o2] = readUvarint(buf, off);
    modinfo = buf.subarray(o2, o2 + mlen).toString('latin1');
  } else {
    const elf = readElf(buf);
    if (!elf) return undefined;
    const ptr = (o: number) => (ptrSize === 8 ? Number(elf.le ? buf.readBigUInt64LE(o) : buf.readBigUInt64BE(o)) : elf.le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
    goVersion = readGoStringAt(buf, elf, ptrSize, ptr(pos + 16));
    modinfo = readGoStringAt(buf, elf, ptrSize, ptr(pos + 16 + ptrSize));
  }
  if (!goVersion) return undefined;
  // cmd/go wraps modinfo in 16-byte sentinels; strip them as debug/buildinfo does.
  if (modinfo && modinfo.length >= 33 && modinfo[modinfo.length - 17] === '\n') modinfo = modinfo.slice(16, -16);
  return parseModinfo(goVersion, Buffer.from(modinfo ?? '', 'latin1').toString('utf8'));
}

/** Parses the text `go version -m` prints after the file name (tab-separated lines). */
export function parseModinfo(goVersion: string, modinfo: string): GoBuildInfo {
  const info: GoBuildInfo = { goVersion, deps: [], settings: {} };
  for (const line of modinfo.split('\n')) {
    const f = line.split('\t');
    switch (f[0]) {
      case 'path':
        info.path = f[1];
        break;
      case 'mod':
        info.main = { path: f[1], version: f[2] ?? '' };
        break;
      case 'dep':
        info.deps.push({ path: f[1], version: f[2] ?? '' });
        break;
      case '=>': {
        const last = info.deps[info.deps.length - 1];
        if (last) last.replacedBy = { path: f[1], version: f[2] ?? '' };
        break;
      }
      case 'build': {
        const eq = (f[1] ?? '').indexOf('=');
        if (eq > 0) info.settings[f[1].slice(0, eq)] = f[1].slice(eq + 1);
        break;
      }
    }
  }
  return info;
}

/** Bytes read around the build-info header of a large program: header, version and modinfo. */
const BUILDINFO_READ_BYTES = 4 * 1024 * 1024;
const SCAN_CHUNK_BYTES = 16 * 1024 * 1024;

/**
 * The build information of a program too large to read whole: an ELF program's
 * `.go.buildinfo` section is found through its section headers and read alone; otherwise the
 * file is scanned in chunks for the 16-byte-aligned marker. Only the inline form (Go ≥ 1.18)
 * can be read this way.
 */
async function readLargeBuildInfo(file: FileRef, elf: boolean): Promise<GoBuildInfo | undefined> {
  const section = elf ? await findElfSection(file, '.go.buildinfo') : undefined;
  // An ELF program whose section table has no `.go.buildinfo` is not Go: scanning it (a
  // 300 MB browser) would read it all for nothing.
  if (section === null) return undefined;
  let at = section?.offset;
  for (let offset = 0; at === undefined && offset < file.size; offset += SCAN_CHUNK_BYTES) {
    // Chunks start 16-byte aligned and overlap by the marker's length, so no marker is cut.
    const chunk = await file.readAt!(offset, SCAN_CHUNK_BYTES + MAGIC.length);
    let pos = chunk.indexOf(MAGIC);
    while (pos >= 0 && pos % 16 !== 0) pos = chunk.indexOf(MAGIC, pos + 1);
    if (pos >= 0) at = offset + pos;
  }
  if (at === undefined) return undefined;
  return readGoBuildInfo(await file.readAt!(at, BUILDINFO_READ_BYTES));
}

/** The packages a Go binary's build information names. */
export function goBuildInfoPackages(info: GoBuildInfo): FoundPackage[] {
  const found: FoundPackage[] = [];
  if (info.main?.path) found.push(goPackage(info.main.path, info.main.version, { main: 'true' }));
  for (const dep of info.deps) {
    // A replacement by another module is the code that was compiled in; a local directory
    // replacement has no version, so the module it replaced is reported with a note.
    const byModule = dep.replacedBy?.version && dep.replacedBy.version !== '(devel)';
    if (byModule && dep.replacedBy) found.push(goPackage(dep.replacedBy.path, dep.replacedBy.version, { replaces: `${dep.path}@${dep.version}` }));
    else if (dep.replacedBy) found.push(goPackage(dep.path, dep.version, { replacedBy: dep.replacedBy.path }));
    else found.push(goPackage(dep.path, dep.version));
  }
  const stdlib = stdlibVersion(info.goVersion);
  if (stdlib) found.push(goPackage('stdlib', stdlib, { toolchain: info.goVersion }));
  return found;
}

/** Extracts Go modules and the toolchain version from compiled Go programs. */
export const goBinary = {
  id: 'go/go-binary',
  version: 2,
  fileRequired(path: string, size: number, mode?: number): boolean {
    return mayBeProgram(path, size, mode);
  },
  mayRequire: mayBeProgramPath,
  elfSections: ['.go.buildinfo'],
  seeksLargeFiles: true,
  async extract(file: FileRef, ctx: ExtractContext): Promise<FoundPackage[]> {
    const large = file.size > MAX_BINARY_BYTES;
    if (large && !file.readAt) throw new ExtractError(file.path, `file too large (${file.size} bytes, limit ${MAX_BINARY_BYTES})`);
    // Most files handed over are not Go programs (or not programs at all): that is not a
    // problem, and the first bytes say so without reading the rest.
    const format = executableFormat(file.readAt ? await file.readAt(0, 4) : await peek(file, 4));
    if (!format) return [];
    let info: GoBuildInfo | undefined;
    try {
      if (format === 'elf' && !large && file.readAt) {
        // An ELF program with section headers and no `.go.buildinfo` is not Go: the common
        // case (shared libraries, C programs) costs a few small reads, not the whole file.
        const section = await findElfSection(file, '.go.buildinfo');
        if (section === null) return [];
        if (section) info = readGoBuildInfo(await file.readAt(section.offset, BUILDINFO_READ_BYTES));
      }
      // Pre-1.18 build info points elsewhere in the file: read it whole.
      info ??= large ? await readLargeBuildInfo(file, format === 'elf') : readGoBuildInfo(await file.read());
    } catch (err) {
      ctx.warn(`Go build information is damaged: ${err instanceof Error ? err.message : String(err)}`);
      return [];
    }
    if (!info) return [];
    if (!stdlibVersion(info.goVersion)) ctx.warn(`Go toolchain "${info.goVersion}" has no release version; stdlib not reported`);
    return goBuildInfoPackages(info);
  },
} satisfies Extractor;
