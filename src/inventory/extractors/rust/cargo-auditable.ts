/**
 * Rust programs built with `cargo auditable`: the `.dep-v0` section holds the crate graph as
 * zlib-compressed JSON. Build-time crates (`kind: build`: build scripts, proc macros) are not
 * in the program; they are kept and marked dev, like other tools that only build the code.
 * ELF only: Mach-O and PE programs are left for a later version.
 */
import { inflateSync } from 'node:zlib';
import { z } from 'zod';
import type { Extractor, ExtractContext, FileRef, FoundPackage } from '../../types.js';
import { elfSectionData, findElfSection, readElf } from '../elf.js';
import { ExtractError, mayBeProgram, mayBeProgramPath, peek } from '../language-common.js';
import { cargoPackage } from './crate.js';

const MAX_BINARY_BYTES = 256 * 1024 * 1024;
const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);
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

/** Extracts crates from programs built with `cargo auditable`. */
export const cargoAuditable = {
  id: 'rust/cargo-auditable',
  version: 1,
  fileRequired(path: string, size: number, mode?: number): boolean {
    return mayBeProgram(path, size, mode);
  },
  mayRequire: mayBeProgramPath,
  elfSections: ['.dep-v0'],
  // A large file is dismissed or its section found by seeking: a database's data file of
  // gigabytes (named like a program) is not worth a warning.
  seeksLargeFiles: true,
  async extract(file: FileRef, _ctx: ExtractContext): Promise<FoundPackage[]> {
    const tooLarge = () => new ExtractError(file.path, `file too large (${file.size} bytes, limit ${MAX_BINARY_BYTES})`);
    const large = file.size > MAX_BINARY_BYTES;
    if (large && !file.readAt) throw tooLarge();
    // Seek to the section where the source allows it: most programs have none, and reading
    // them whole to find out is the cost of the scan.
    const found = await findElfSection(file, '.dep-v0');
    if (found === null) return [];
    // Not ELF (a JDK's 146 MB `modules` image, a script, data with the executable bit): its
    // first bytes say so, without reading the rest.
    if (found === undefined && !ELF_MAGIC.equals(file.readAt ? await file.readAt(0, 4) : await peek(file, 4))) return [];
    let section: Buffer | undefined;
    if (found) {
      if (found.size > MAX_JSON_BYTES) throw new ExtractError(file.path, `.dep-v0 section of ${found.size} bytes, more than ${MAX_JSON_BYTES}`);
      section = await file.readAt!(found.offset, found.size);
    } else {
      // An ELF program without a usable section table: only read whole can tell.
      if (large) throw tooLarge();
      const buf = await file.read();
      const elf = readElf(buf);
      section = (elf && elfSectionData(buf, elf, '.dep-v0')) || undefined;
    }
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
