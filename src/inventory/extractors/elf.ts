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

/** The section headers of an ELF file, or undefined when it is not ELF or its headers lie outside it. */
export function readElf(buf: Buffer): ElfFile | undefined {
  if (executableFormat(buf) !== 'elf' || buf.length < 64) return undefined;
  const is64 = buf[4] === 2;
  const le = buf[5] === 1;
  const u16 = (o: number) => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const uptr = (o: number) => (is64 ? Number(le ? buf.readBigUInt64LE(o) : buf.readBigUInt64BE(o)) : u32(o));
  const shoff = uptr(is64 ? 0x28 : 0x20);
  const shentsize = u16(is64 ? 0x3a : 0x2e);
  const shnum = u16(is64 ? 0x3c : 0x30);
  const shstrndx = u16(is64 ? 0x3e : 0x32);
  if (shoff === 0 || shentsize === 0 || shoff + shnum * shentsize > buf.length) return undefined;
  const raw = Array.from({ length: shnum }, (_, i) => {
    const o = shoff + i * shentsize;
    return { nameAt: u32(o), addr: uptr(o + (is64 ? 0x10 : 0x0c)), offset: uptr(o + (is64 ? 0x18 : 0x10)), size: uptr(o + (is64 ? 0x20 : 0x14)) };
  });
  const strtab = shstrndx < shnum ? raw[shstrndx] : undefined;
  const nameOf = (at: number): string => {
    if (!strtab) return '';
    const start = strtab.offset + at;
    const end = start < buf.length ? buf.indexOf(0, start) : -1;
    return end < 0 ? '' : buf.toString('latin1', start, end);
  };
  return { le, is64, sections: raw.map((s) => ({ name: nameOf(s.nameAt), addr: s.addr, offset: s.offset, size: s.size })) };
}

/** The bytes of a named section, if the file has it and it lies inside the file. */
export function elfSectionData(buf: Buffer, elf: ElfFile, name: string): Buffer | undefined {
  const s = elf.sections.find((x) => x.name === name);
  if (!s || s.offset + s.size > buf.length) return undefined;
  return buf.subarray(s.offset, s.offset + s.size);
}

/**
 * Finds a named section of an ELF file by seeking (a few small reads: the header, the section
 * table and its names), without reading the file. `null`: the file has a section table and no
 * such section; `undefined`: it cannot tell (no seeking, not ELF, no usable section table).
 */
export async function findElfSection(file: FileRef, name: string): Promise<{ offset: number; size: number } | null | undefined> {
  if (!file.readAt) return undefined;
  const head = await file.readAt(0, 64);
  if (executableFormat(head) !== 'elf' || head.length < 64) return undefined;
  const is64 = head[4] === 2;
  const le = head[5] === 1;
  const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const uptr = (b: Buffer, o: number) => (is64 ? Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o)) : u32(b, o));
  const shoff = uptr(head, is64 ? 0x28 : 0x20);
  const shentsize = u16(head, is64 ? 0x3a : 0x2e);
  const shnum = u16(head, is64 ? 0x3c : 0x30);
  const shstrndx = u16(head, is64 ? 0x3e : 0x32);
  if (shoff === 0 || shnum === 0 || shentsize < (is64 ? 0x40 : 0x28) || shstrndx >= shnum || shoff + shnum * shentsize > file.size) return undefined;
  const table = await file.readAt(shoff, shnum * shentsize);
  if (table.length < shnum * shentsize) return undefined;
  const field = (i: number, o64: number, o32: number) => uptr(table, i * shentsize + (is64 ? o64 : o32));
  const names = await file.readAt(field(shstrndx, 0x18, 0x10), Math.min(field(shstrndx, 0x20, 0x14), 1024 * 1024));
  for (let i = 0; i < shnum; i++) {
    const at = u32(table, i * shentsize);
    const end = names.indexOf(0, at);
    if (end > at && names.toString('latin1', at, end) === name) {
      const offset = field(i, 0x18, 0x10);
      const size = field(i, 0x20, 0x14);
      return offset + size <= file.size ? { offset, size } : undefined;
    }
  }
  return null;
}
