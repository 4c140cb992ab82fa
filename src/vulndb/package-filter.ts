/**
 * A Bloom filter of the (ecosystem, name) keys that have advisories, so that a lookup of a
 * package no advisory names — most of an application's dependencies — is answered without a
 * read of the database file (a prepared primary-key read costs ≈ 10 µs; this costs well under
 * one). "Absent" is certain; "maybe present" is checked in the file as before, so the filter
 * can only save reads, never lose a match.
 */

/** Bits per key: with the best number of probes (7), about 1 % of absent keys read the file. */
const BITS_PER_KEY = 10;
const PROBES = 7;

/** The filter's stored form (a `meta` value): the bit array in base64, and what it answers for. */
interface StoredFilter {
  /** The `built_at` stamp of the build whose `package` table it describes. */
  builtAt: string;
  probes: number;
  bits: string;
}

export class PackageFilter {
  private constructor(
    private readonly bits: Uint8Array,
    private readonly probes: number,
  ) {}

  /** A filter holding every key in `keys` (keys as {@link filterKey} makes them). */
  static build(keys: readonly string[]): PackageFilter {
    // A power of two keeps the probe positions a mask away; at least one 64-bit word.
    const size = 2 ** Math.max(6, Math.ceil(Math.log2(Math.max(1, keys.length) * BITS_PER_KEY)));
    const filter = new PackageFilter(new Uint8Array(size / 8), PROBES);
    for (const key of keys) filter.add(key);
    return filter;
  }

  /** Reads a stored filter; `undefined` when it is absent, malformed or for another build. */
  static parse(stored: string | undefined, builtAt: string | undefined): PackageFilter | undefined {
    if (stored === undefined || builtAt === undefined) return undefined;
    try {
      const s = JSON.parse(stored) as StoredFilter;
      if (s.builtAt !== builtAt || !Number.isInteger(s.probes) || s.probes < 1) return undefined;
      const bits = new Uint8Array(Buffer.from(s.bits, 'base64'));
      // Only a power of two of at least 64 bits is a filter this module wrote.
      if (bits.length < 8 || (bits.length & (bits.length - 1)) !== 0) return undefined;
      return new PackageFilter(bits, s.probes);
    } catch {
      return undefined;
    }
  }

  /** The stored form, valid for the build stamped `builtAt`. */
  serialize(builtAt: string): string {
    const stored: StoredFilter = { builtAt, probes: this.probes, bits: Buffer.from(this.bits).toString('base64') };
    return JSON.stringify(stored);
  }

  /** False when `key` is certainly not in the filter. */
  mayHave(key: string): boolean {
    return this.probe(key, false);
  }

  private add(key: string): void {
    this.probe(key, true);
  }

  /** Visits the key's bits, setting them (`set`) or stopping at the first clear one. */
  private probe(key: string, set: boolean): boolean {
    const mask = this.bits.length * 8 - 1;
    const [h1, h2] = hashes(key);
    for (let i = 0; i < this.probes; i++) {
      const bit = (h1 + Math.imul(i, h2)) & mask;
      if (set) this.bits[bit >>> 3]! |= 1 << (bit & 7);
      else if ((this.bits[bit >>> 3]! & (1 << (bit & 7))) === 0) return false;
    }
    return true;
  }
}

/** The filter's key for a package key (ecosystem and name as the `package` table stores them). */
export function filterKey(ecosystem: string, name: string): string {
  return `${ecosystem}\u0000${name}`;
}

/**
 * Two 32-bit hashes of the UTF-16 code units (FNV-1a from two bases, each finished with
 * murmur3's mix), combined as Kirsch–Mitzenmacher double hashing. The second is odd so that
 * the probes of one key never coincide on a power-of-two array.
 */
function hashes(key: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193);
  }
  return [mix(a), mix(b) | 1];
}

/** murmur3's finaliser: spreads every input bit over the low bits the probes use. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
