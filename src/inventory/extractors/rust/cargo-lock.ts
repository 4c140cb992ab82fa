/** `Cargo.lock`: every crate in the build, including the workspace's own (which have no `source`). */
import { z } from 'zod';
import type { Extractor, ExtractContext, FileRef, FoundPackage } from '../../types.js';
import { baseName, dedupePackages, parseToml, readText, validate } from '../language-common.js';
import { cargoPackage } from './crate.js';

const NEWEST_VERSION = 4;

/** The parts of a `Cargo.lock` Vigil reads. */
export const cargoLockSchema = z.looseObject({
  version: z.number().optional(),
  package: z.array(z.looseObject({ name: z.string(), version: z.string(), source: z.string().optional() })).optional(),
});

/** Extracts crates from `Cargo.lock`. */
export const cargoLock = {
  id: 'rust/cargo-lock',
  version: 1,
  fileRequired(path: string): boolean {
    // Crates unpacked in the cargo registry cache ship their own Cargo.lock: not this build.
    return baseName(path) === 'Cargo.lock' && !path.includes('/.cargo/registry/');
  },
  async extract(file: FileRef, ctx: ExtractContext): Promise<FoundPackage[]> {
    const lock = validate(file.path, cargoLockSchema, await parseToml(file.path, await readText(file)), 'Cargo.lock');
    if ((lock.version ?? 1) > NEWEST_VERSION) ctx.warn(`lockfile version ${lock.version} is newer than ${NEWEST_VERSION}; read as if it were`);
    return dedupePackages((lock.package ?? []).map((p) => cargoPackage(p.name, p.version, p.source)));
  },
} satisfies Extractor;
