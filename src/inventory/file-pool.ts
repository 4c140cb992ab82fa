/**
 * A small pool for the files of a directory walk: a few are read and extracted while the walk
 * goes on listing and stat'ing, so the walk does not wait on each file's reads in turn (a
 * program's few seeks, a large file read off the event loop, an archive). It bounds what is
 * in flight by count and by bytes; one file larger than the byte bound runs alone. It only
 * starts tasks: keeping their results in walk order is the caller's job (the inventory
 * builder commits each file's findings in the order the walk handed the files over).
 */

/** A bounded set of running tasks. */
export class FilePool {
  private running = 0;
  private bytes = 0;
  private failure: { err: unknown } | undefined;
  private readonly waiters: (() => void)[] = [];

  constructor(
    private readonly maxFiles: number,
    private readonly maxBytes: number,
  ) {
    if (!(maxFiles >= 1)) throw new RangeError(`file pool needs room for at least one file, got ${maxFiles}`);
  }

  /**
   * Waits until there is room for a file of `bytes`, then starts `task` without waiting for it.
   * Throws the first failure of an earlier task, so a walk ends at the first error as it would
   * if it read its files one at a time.
   */
  async add(bytes: number, task: () => Promise<void>): Promise<void> {
    while (!this.failure && this.running > 0 && (this.running >= this.maxFiles || this.bytes + bytes > this.maxBytes)) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    if (this.failure) throw this.failure.err;
    this.running++;
    this.bytes += bytes;
    task()
      .catch((err: unknown) => {
        this.failure ??= { err };
      })
      .finally(() => {
        this.running--;
        this.bytes -= bytes;
        this.waiters.shift()?.();
      });
  }

  /** Waits for every started task; throws the first failure. */
  async drain(): Promise<void> {
    while (this.running > 0) await new Promise<void>((resolve) => this.waiters.push(resolve));
    if (this.failure) throw this.failure.err;
  }
}
