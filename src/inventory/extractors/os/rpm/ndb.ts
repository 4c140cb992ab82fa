/**
 * rpm's NDB format (`Packages.db`; SUSE since 15 SP3): a slot table after a 16-byte header
 * maps package indexes to blob positions (in 16-byte blocks); each blob has a 16-byte head.
 * All little-endian.
 */

const HEADER_MAGIC = 0x506d7052; // 'RpmP'
const SLOT_MAGIC = 0x746f6c53; // 'Slot'
const BLOB_MAGIC = 0x53626c42; // 'BlbS'
const PAGE = 4096;
const BLOCK = 16;

/** Thrown for a file that is not a readable NDB database. */
export class NdbError extends Error {
  constructor(reason: string) {
    super(`NDB: ${reason}`);
    this.name = 'NdbError';
  }
}

/** True when the bytes start like an NDB package database. */
export function isNdb(data: Buffer): boolean {
  return data.length >= 16 && data.readUInt32LE(0) === HEADER_MAGIC;
}

/** Every package header blob in slot order. */
export function* ndbBlobs(data: Buffer): Generator<Buffer> {
  if (!isNdb(data)) throw new NdbError('bad magic');
  const version = data.readUInt32LE(4);
  if (version !== 0) throw new NdbError(`unsupported version ${version}`);
  const pages = data.readUInt32LE(12);
  const slots = pages * (PAGE / BLOCK) - 1;
  if (16 + slots * 16 > data.length) throw new NdbError(`slot table of ${pages} pages is larger than the file`);
  for (let i = 0; i < slots; i++) {
    const at = 16 + i * 16;
    if (data.readUInt32LE(at) !== SLOT_MAGIC) throw new NdbError(`bad slot magic at slot ${i}`);
    const pkgIndex = data.readUInt32LE(at + 4);
    if (pkgIndex === 0) continue;
    const blkOffset = data.readUInt32LE(at + 8);
    const start = blkOffset * BLOCK;
    if (start + 16 > data.length) throw new NdbError(`slot ${i} points past the end of the file`);
    if (data.readUInt32LE(start) !== BLOB_MAGIC) throw new NdbError(`bad blob magic for package ${pkgIndex}`);
    if (data.readUInt32LE(start + 4) !== pkgIndex) throw new NdbError(`blob index mismatch for package ${pkgIndex}`);
    const length = data.readUInt32LE(start + 12);
    if (start + 16 + length > data.length) throw new NdbError(`blob of package ${pkgIndex} runs past the end of the file`);
    yield data.subarray(start + 16, start + 16 + length);
  }
}
