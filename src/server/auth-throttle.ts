/**
 * Throttling of failed authentication, per client address and per key id (the public
 * `vgl_<id>` part of a key). Each source may fail a few times freely; every failure after
 * that blocks it for twice as long as the last (1 s, 2 s, 4 s … at most 15 minutes), and a
 * quiet quarter of an hour forgets it. A blocked address is answered 429 with Retry-After
 * before its key is even looked up. A blocked key id still lets its correct key through:
 * a 256-bit secret cannot be guessed, so the block only slows guessing, and nobody can
 * lock a real key out by failing with its id.
 */
import { BoundedCache } from '../bounded-cache.js';

/** Tuning of {@link AuthThrottle}. */
export interface AuthThrottleOptions {
  /** Failures an address may make before it is blocked (default 20). */
  addressFailures?: number;
  /** Failures with one key id before it is blocked (default 10). */
  keyFailures?: number;
  /** First block, doubled with each further failure (default 1 s). */
  firstBlockMs?: number;
  /** Longest block, and how long a source must stay quiet to be forgotten (default 15 min). */
  maxBlockMs?: number;
}

interface Record {
  failures: number;
  lastFailure: number;
  blockedUntil: number;
}

/** Failed-authentication bookkeeping of one server process. */
export class AuthThrottle {
  private readonly seen = new BoundedCache<string, Record>(100_000);
  private readonly opts: Required<AuthThrottleOptions>;

  constructor(opts: AuthThrottleOptions = {}) {
    this.opts = { addressFailures: 20, keyFailures: 10, firstBlockMs: 1000, maxBlockMs: 15 * 60_000, ...opts };
  }

  /** Milliseconds the source must still wait, 0 when it may try. */
  blockedFor(source: string, now = Date.now()): number {
    const r = this.current(source, now);
    return r ? Math.max(0, r.blockedUntil - now) : 0;
  }

  /** Counts a failure of the source; returns how long it is now blocked (0: not yet). */
  fail(source: string, free: 'address' | 'key', now = Date.now()): number {
    const r = this.current(source, now) ?? { failures: 0, lastFailure: now, blockedUntil: 0 };
    r.failures++;
    r.lastFailure = now;
    const over = r.failures - (free === 'address' ? this.opts.addressFailures : this.opts.keyFailures);
    if (over > 0) r.blockedUntil = now + Math.min(this.opts.maxBlockMs, this.opts.firstBlockMs * 2 ** Math.min(over - 1, 30));
    this.seen.set(source, r);
    return Math.max(0, r.blockedUntil - now);
  }

  /** Forgets a source's failures (its key authenticated). */
  succeed(source: string): void {
    this.seen.set(source, { failures: 0, lastFailure: 0, blockedUntil: 0 });
  }

  private current(source: string, now: number): Record | undefined {
    const r = this.seen.get(source);
    if (!r || r.failures === 0) return undefined;
    return now - r.lastFailure > this.opts.maxBlockMs && now >= r.blockedUntil ? undefined : r;
  }
}

/** The key id of a presented key (`vgl_<id>_…`), the part throttled per key. */
export function keyIdOf(presented: string): string | undefined {
  return /^vgl_([A-Za-z0-9]{12})_/.exec(presented.trim())?.[1];
}
