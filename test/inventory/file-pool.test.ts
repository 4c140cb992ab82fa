/**
 * The directory walk's file pool: it bounds the files and bytes in flight (a file larger than
 * the byte bound runs alone), and the first failure ends the walk after what was in flight.
 */
import { describe, expect, it } from 'vitest';
import { FilePool } from '../../src/inventory/file-pool.js';

/** A task that runs until released, recording how many ran beside it. */
function gate(log: { running: number; most: number }): { task: () => Promise<void>; release(err?: Error): void } {
  let release!: (err?: Error) => void;
  const done = new Promise<void>((resolve, reject) => (release = (err) => (err ? reject(err) : resolve())));
  return {
    task: async () => {
      log.running++;
      log.most = Math.max(log.most, log.running);
      try {
        await done;
      } finally {
        log.running--;
      }
    },
    release,
  };
}

describe('file pool', () => {
  it('runs at most maxFiles tasks at once', async () => {
    const pool = new FilePool(2, 1000);
    const log = { running: 0, most: 0 };
    const gates = [gate(log), gate(log), gate(log)];
    await pool.add(1, gates[0].task);
    await pool.add(1, gates[1].task);
    const third = pool.add(1, gates[2].task);
    await Promise.resolve();
    expect(log.running).toBe(2);
    gates[0].release();
    await third;
    gates[1].release();
    gates[2].release();
    await pool.drain();
    expect(log.most).toBe(2);
  });

  it('runs a file larger than the byte bound alone', async () => {
    const pool = new FilePool(4, 100);
    const log = { running: 0, most: 0 };
    const small = gate(log);
    const big = gate(log);
    await pool.add(10, small.task);
    const adding = pool.add(500, big.task);
    await new Promise((r) => setTimeout(r, 5));
    expect(log.running).toBe(1);
    small.release();
    await adding;
    expect(log.running).toBe(1);
    big.release();
    await pool.drain();
    expect(log.most).toBe(1);
  });

  it('throws the first failure from the next add and from drain, after what was in flight', async () => {
    const pool = new FilePool(2, 1000);
    const log = { running: 0, most: 0 };
    const failing = gate(log);
    const slow = gate(log);
    await pool.add(1, failing.task);
    await pool.add(1, slow.task);
    failing.release(new Error('disk gone'));
    await new Promise((r) => setTimeout(r, 5));
    await expect(pool.add(1, async () => undefined)).rejects.toThrow('disk gone');
    const drained = pool.drain();
    slow.release();
    await expect(drained).rejects.toThrow('disk gone');
    expect(log.running).toBe(0);
  });

  it('refuses a pool with no room', () => {
    expect(() => new FilePool(0, 1)).toThrow(/at least one file/);
  });
});
