/**
 * Rust programs built with `cargo auditable`: the `.dep-v0` section holds the crate graph as
 * zlib-compressed JSON. Build-time crates (`kind: build`: build scripts, proc macros) are not
 * in the program; they are kept and marked dev, like other tools that only build the code.
 * ELF only: Mach-O and PE programs are left for a later version.
 */
import { inflateSync } from 'node:zlib';
import { z } from 'zod';
import type { Extractor, ExtractContext, FileRef, FoundPackage } from '../../types.js';
import { executableFormat, ExtractError, mayBeProgram } from '../language-common.js';
import { cargoPackage } from './crate.js';

const MAX_BINARY_BYTES = 256 * 1024 * 1024;
/** The JSON of a dependency tree with thousands of crates is well under this. */
const MAX_JSON_BYTES = 32 * 1024 * 1024;

/** The audit data `cargo auditable` embeds. */
export const auditableSchema = z.looseObject({
  packages: z.array(
    z.looseObject({
      name: z.string(),
      version: z.string(),
      source: z.string().optional(),
      kind: z.string().optional(),
      root: z.boolean().optional(),
    }),
  ),
});

/** The bytes of a named ELF section, if the file has one. */
export function elfSection(buf: Buffer, wanted: string): Buffer | undefined {
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
  if (shoff === 0 || shoff + shnum * shentsize > buf.length || shstrndx >= shnum) return undefined;
  const sec = (i: number) => {
    const o = shoff + i * shentsize;
    return { name: u32(o), offset: uptr(o + (is64 ? 0x18 : 0x10)), size: uptr(o + (is64 ? 0x20 : 0x14)) };
  };
  const strtab = sec(shstrndx);
  for (let i = 0; i < shnum; i++) {
    const s = sec(i);
    const start = strtab.offset + s.name;
    const end = buf.indexOf(0, start);
    if (start >= buf.length || end < 0) continue;
    if (buf.toString('latin1', start, end) !== wanted) continue;
    if (s.offset + s.size > buf.length) return undefined;
    return buf.subarray(s.offset, s.offset + s.size);
  }
  return undefined;
}

/** Extracts crates from programs built with `cargo auditable`. */
export const cargoAuditable = {
  id: 'rust/cargo-auditable',
  version: 1,
  fileRequired(path: string, size: number): boolean {
    return mayBeProgram(path, size, MAX_BINARY_BYTES);
  },
  async extract(file: FileRef, _ctx: ExtractContext): Promise<FoundPackage[]> {
    if (file.size > MAX_BINARY_BYTES) throw new ExtractError(file.path, `file too large (${file.size} bytes, limit ${MAX_BINARY_BYTES})`);
    const section = elfSection(await file.read(), '.dep-v0');
    // Programs built without cargo auditable (most of them) have no such section.
    if (!section) return [];
    let json: string;
    try {
      json = inflateSync(section, { maxOutputLength: MAX_JSON_BYTES }).toString('utf8');
    } catch (err) {
      throw new ExtractError(file.path, `.dep-v0 section does not inflate: ${err instanceof Error ? err.message : String(err)}`);
    }
    let data: unknown;
    try {
      data = JSON.parse(json);
    } catch (err) {
      throw new ExtractError(file.path, `.dep-v0 section is not JSON: ${err instanceof Error ? err.message : String(err)}`);
    }
    const parsed = auditableSchema.safeParse(data);
    if (!parsed.success) throw new ExtractError(file.path, `.dep-v0 section is not cargo auditable data: ${parsed.error.issues[0]?.message}`);
    return parsed.data.packages.map((p) =>
      cargoPackage(p.name, p.version, p.source, { dev: p.kind === 'build', metadata: p.root ? { main: 'true' } : undefined }),
    );
  },
} satisfies Extractor;
