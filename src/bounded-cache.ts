/**
 * A memo table of bounded size for long-lived processes (parsed versions, parsed advisories,
 * CVSS scores): two generations, where a hit in the old one is promoted and the old one is
 * dropped whole when the young one fills. Bounded like an LRU without per-entry bookkeeping
 * (and without deleting from the front of a Map, which V8 makes quadratic).
 */
export class BoundedCache<K, V> {
  private readonly half: number;
  private young = new Map<K, V>();
  private old = new Map<K, V>();

  /** Keeps between `size / 2` and `size` of the most recently used entries. */
  constructor(size: number) {
    this.half = Math.max(1, Math.floor(size / 2));
  }

  get(key: K): V | undefined {
    const hit = this.young.get(key);
    if (hit !== undefined) return hit;
    const aged = this.old.get(key);
    if (aged !== undefined) this.set(key, aged);
    return aged;
  }

  set(key: K, value: V): void {
    if (this.young.size >= this.half) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
  }
}
