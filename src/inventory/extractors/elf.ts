/**
 * ELF section headers, as the extractors that read metadata embedded in programs need them
 * (Go build info, `cargo auditable` data). Bounds are checked: files come from outside.
 */
import type { FileRef } from '../types.js';
import { executableFormat } from './language-common.js';

/** One section header. */
export interface ElfSection {
  name: string;
  /** Virtual address when loaded (0 for sections that are not loaded). */
  addr: number;
  offset: number;
  size: number;
}

/** What callers need of an ELF file: byte order, word size and the sections. */
export interface ElfFile {
  le: boolean;
  is64: boolean;
  sections: ElfSection[];
}

/** The ELF header fields that locate the section table (from the first 64 bytes). */
interface ElfHeader {
  le: boolean;
  is64: boolean;
  shoff: number;
  shentsize: number;
  shnum: number;
  shstrndx: number;
  /** Reads a word-sized field (address, offset, size) of a section header. */
  uptr(b: Buffer, o: number): number;
  u32(b: Buffer, o: number): number;
}

/** Bytes of the ELF header that locate the section table. */
const ELF_HEADER_BYTES = 64;

function elfHeader(head: Buffer): ElfHeader | undefined {
  if (executableFormat(head) !== 'elf' || head.length < ELF_HEADER_BYTES) return undefined;
  const is64 = head[4] === 2;
  const le = head[5] === 1;
  const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const uptr = (b: Buffer, o: number) => (is64 ? Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o)) : u32(b, o));
  return {
    le,
    is64,
    shoff: uptr(head, is64 ? 0x28 : 0x20),
    shentsize: u16(head, is64 ? 0x3a : 0x2e),
    shnum: u16(head, is64 ? 0x3c : 0x30),
    shstrndx: u16(head, is64 ? 0x3e : 0x32),
    uptr,
    u32,
  };
}

/** One section header's name offset, address, file offset and size. */
function sectionAt(h: ElfHeader, table: Buffer, i: number): { nameAt: number; addr: number; offset: number; size: number } {
  const o = i * h.shentsize;
  return { nameAt: h.u32(table, o), addr: h.uptr(table, o + (h.is64 ? 0x10 : 0x0c)), offset: h.uptr(table, o + (h.is64 ? 0x18 : 0x10)), size: h.uptr(table, o + (h.is64 ? 0x20 : 0x14)) };
}

/** The section headers of an ELF file, or undefined when it is not ELF or its headers lie outside it. */
export function readElf(buf: Buffer): ElfFile | undefined {
  const h = elfHeader(buf);
  if (!h) return undefined;
  const { shoff, shentsize, shnum, shstrndx } = h;
  if (shoff === 0 || shentsize === 0 || shoff + shnum * shentsize > buf.length) return undefined;
  const table = buf.subarray(shoff, shoff + shnum * shentsize);
  const raw = Array.from({ length: shnum }, (_, i) => sectionAt(h, table, i));
  const strtab = shstrndx < shnum ? raw[shstrndx] : undefined;
  const nameOf = (at: number): string => {
    if (!strtab) return '';
    const start = strtab.offset + at;
    const end = start < buf.length ? buf.indexOf(0, start) : -1;
    return end < 0 ? '' : buf.toString('latin1', start, end);
  };
  return { le: h.le, is64: h.is64, sections: raw.map((s) => ({ name: nameOf(s.nameAt), addr: s.addr, offset: s.offset, size: s.size })) };
}

/** The bytes of a named section, if the file has it and it lies inside the file. */
export function elfSectionData(buf: Buffer, elf: ElfFile, name: string): Buffer | undefined {
  const s = elf.sections.find((x) => x.name === name);
  if (!s || s.offset + s.size > buf.length) return undefined;
  return buf.subarray(s.offset, s.offset + s.size);
}

/** Most of the section names table read: more is no name table. */
const MAX_NAMES_BYTES = 1024 * 1024;

/**
 * Where a section lookup reads after the header: the section table, when the header describes
 * a usable one inside a file of `size` bytes.
 */
function tableRange(h: ElfHeader, size: number): { offset: number; length: number } | undefined {
  const { shoff, shentsize, shnum, shstrndx } = h;
  if (shoff === 0 || shnum === 0 || shentsize < (h.is64 ? 0x40 : 0x28) || shstrndx >= shnum || shoff + shnum * shentsize > size) return undefined;
  return { offset: shoff, length: shnum * shentsize };
}

/** Where the section names are read, given the section table. */
function namesRange(h: ElfHeader, table: Buffer): { offset: number; length: number } {
  const strtab = sectionAt(h, table, h.shstrndx);
  return { offset: strtab.offset, length: Math.min(strtab.size, MAX_NAMES_BYTES) };
}

/** The named section, given the section table and names; as {@link findElfSection} answers. */
function sectionNamed(h: ElfHeader, table: Buffer, names: Buffer, size: number, name: string): { offset: number; size: number } | null | undefined {
  for (let i = 0; i < h.shnum; i++) {
    const s = sectionAt(h, table, i);
    const end = names.indexOf(0, s.nameAt);
    if (end > s.nameAt && names.toString('latin1', s.nameAt, end) === name) {
      return s.offset + s.size <= size ? { offset: s.offset, size: s.size } : undefined;
    }
  }
  return null;
}

/**
 * Finds a named section of an ELF file by seeking (a few small reads: the header, the section
 * table and its names), without reading the file. `null`: the file has a section table and no
 * such section; `undefined`: it cannot tell (no seeking, not ELF, no usable section table).
 */
export async function findElfSection(file: FileRef, name: string): Promise<{ offset: number; size: number } | null | undefined> {
  if (!file.readAt) return undefined;
  const h = elfHeader(await file.readAt(0, ELF_HEADER_BYTES));
  const at = h && tableRange(h, file.size);
  if (!h || !at) return undefined;
  const table = await file.readAt(at.offset, at.length);
  if (table.length < at.length) return undefined;
  const names = namesRange(h, table);
  return sectionNamed(h, table, await file.readAt(names.offset, names.length), file.size, name);
}

/**
 * The byte ranges {@link findElfSection} reads of `data` (a whole file) to learn that it has
 * none of `names`, or undefined when it would find one of them or could not tell: then a
 * reader of those sections needs more of the file than these ranges.
 */
export function elfLookupRanges(data: Buffer, names: readonly string[]): { offset: number; length: number }[] | undefined {
  const head = { offset: 0, length: Math.min(ELF_HEADER_BYTES, data.length) };
  const h = elfHeader(data.subarray(0, head.length));
  const at = h && tableRange(h, data.length);
  if (!h || !at) return undefined;
  const table = data.subarray(at.offset, at.offset + at.length);
  const range = namesRange(h, table);
  const nameBytes = data.subarray(range.offset, range.offset + range.length);
  if (names.some((name) => sectionNamed(h, table, nameBytes, data.length, name) !== null)) return undefined;
  // As a FileRef over the whole file answers: a range past the end is cut short.
  const kept = { offset: Math.min(range.offset, data.length), length: nameBytes.length };
  return [head, at, kept];
}

/** The first bytes of a file that say whether it is a program at all (see {@link isProgramHead}). */
export const PROGRAM_HEAD_BYTES = ELF_HEADER_BYTES;

/**
 * Whether a file's first bytes announce a program (ELF, PE or Mach-O). Of a file that is none,
 * {@link programLookup} needs no more than its first {@link PROGRAM_HEAD_BYTES}.
 */
export function isProgramHead(head: Buffer): boolean {
  return executableFormat(head.subarray(0, 4)) !== undefined;
}

/** The parts of a file an extractor declaring `elfSections` reads to find nothing in it, and why only they are kept. */
export interface ProgramLookup {
  ranges: { offset: number; length: number }[];
  why: string;
}

/**
 * What the extractors of compiled programs that look for the sections `names` read of `data` (a
 * whole file) to find nothing in it: the first bytes of a file that is no program at all (no
 * ELF, PE or Mach-O header: a database file, an archive, data with the executable bit), or the
 * {@link elfLookupRanges} of an ELF program without those sections. Undefined when they would
 * read more (a program with one of the sections, PE or Mach-O, no usable section table).
 */
export function programLookup(data: Buffer, names: readonly string[]): ProgramLookup | undefined {
  if (!isProgramHead(data)) {
    // As much as findElfSection reads first; the extractors stop at its magic.
    return { ranges: [{ offset: 0, length: Math.min(ELF_HEADER_BYTES, data.length) }], why: 'not a program (no ELF, PE or Mach-O header): only its first bytes were kept' };
  }
  const ranges = elfLookupRanges(data, names);
  return ranges && { ranges, why: `an ELF program without ${names.join(' or ')}: only its header, section table and section names were kept` };
}
