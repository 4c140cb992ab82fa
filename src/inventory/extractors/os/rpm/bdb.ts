/**
 * BerkeleyDB hash databases as rpm ≤ 4.15 wrote them (`/var/lib/rpm/Packages`; CentOS 5–8,
 * RHEL ≤ 8, Amazon Linux 2). Reads the value of every hash entry stored off-page (rpm's
 * header blobs always are) by following its overflow-page chain. Both byte orders.
 */

const HASH_MAGIC = 0x061561;
const PAGE_HEADER = 26;
const P_HASH_UNSORTED = 2;
const P_OVERFLOW = 7;
const P_HASH = 13;
const H_OFFPAGE = 3;

/** Thrown for a file that is not a readable BerkeleyDB hash database. */
export class BdbError extends Error {
  constructor(reason: string) {
    super(`BerkeleyDB: ${reason}`);
    this.name = 'BdbError';
  }
}

/** True when the bytes start like a BerkeleyDB hash database. */
export function isBdbHash(data: Buffer): boolean {
  if (data.length < 512) return false;
  return data.readUInt32LE(12) === HASH_MAGIC || data.readUInt32BE(12) === HASH_MAGIC;
}

/** Every off-page value of the database: for rpm, one header blob per installed package. */
export function* bdbValues(data: Buffer): Generator<Buffer> {
  if (!isBdbHash(data)) throw new BdbError('not a hash database (bad magic)');
  const le = data.readUInt32LE(12) === HASH_MAGIC;
  const u32 = (at: number) => (le ? data.readUInt32LE(at) : data.readUInt32BE(at));
  const u16 = (at: number) => (le ? data.readUInt16LE(at) : data.readUInt16BE(at));
  const pageSize = u32(20);
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) throw new BdbError(`implausible page size ${pageSize}`);
  const lastPage = u32(32);
  const pages = Math.min(lastPage + 1, Math.floor(data.length / pageSize));
  if (lastPage + 1 > pages) {
    // A truncated file: read what is there (every value is checked below).
  }
  for (let p = 1; p < pages; p++) {
    const base = p * pageSize;
    const type = data[base + 25];
    if (type !== P_HASH && type !== P_HASH_UNSORTED) continue;
    const entries = u16(base + 20);
    for (let i = 1; i < entries; i += 2) {
      const indexAt = base + PAGE_HEADER + i * 2;
      if (indexAt + 2 > base + pageSize) break;
      const itemAt = base + u16(indexAt);
      if (itemAt + 12 > base + pageSize || data[itemAt] !== H_OFFPAGE) continue;
      const firstPage = u32(itemAt + 4);
      const length = u32(itemAt + 8);
      yield readOverflow(data, firstPage, length, pageSize, pages, u32, u16);
    }
  }
}

function readOverflow(
  data: Buffer,
  first: number,
  length: number,
  pageSize: number,
  pages: number,
  u32: (at: number) => number,
  u16: (at: number) => number,
): Buffer {
  if (length > 256 * 1024 * 1024) throw new BdbError(`value of ${length} bytes`);
  const out = Buffer.alloc(length);
  let filled = 0;
  let page = first;
  const seen = new Set<number>();
  while (page !== 0 && filled < length) {
    if (page >= pages || seen.has(page)) throw new BdbError(`broken overflow chain at page ${page}`);
    seen.add(page);
    const base = page * pageSize;
    if (data[base + 25] !== P_OVERFLOW) throw new BdbError(`page ${page} is not an overflow page`);
    const next = u32(base + 16);
    // On overflow pages the "free area offset" field holds the bytes used on the page.
    const used = next === 0 ? u16(base + 22) : pageSize - PAGE_HEADER;
    const take = Math.min(used, length - filled, pageSize - PAGE_HEADER);
    data.copy(out, filled, base + PAGE_HEADER, base + PAGE_HEADER + take);
    filled += take;
    page = next;
  }
  if (filled < length) throw new BdbError(`value truncated (${filled} of ${length} bytes)`);
  return out;
}
