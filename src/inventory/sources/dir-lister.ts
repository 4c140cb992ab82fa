/**
 * Lists the directories of a depth-first walk ahead of it: while the walk stats and reads the
 * files of one directory, the thread pool lists the next few directories it will enter, so
 * their listing syscalls run on other threads instead of in turn on the walk's. It lists only
 * directories the walk said it will enter (never one the walk would leave out, such as a
 * network mount), a few at a time, nearest first in walk order.
 */
import { readdirSync, type Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';

/** Listings in flight at once: the thread pool's size, leaving nothing idle and nothing queued behind it. */
const LISTINGS_IN_FLIGHT = 4;

interface Pending {
  diskPath: string;
  /** Set once listing starts; absent while it only waits its turn. */
  listing?: Promise<Dirent[]>;
  /** The walk got there first and listed it itself. */
  taken?: boolean;
}

/** Directory listings for one walk, some of them fetched ahead. */
export class DirLister {
  /** Directories still to be listed ahead, the next the walk enters on top. */
  private readonly stack: Pending[] = [];
  private readonly byPath = new Map<string, Pending>();
  private inFlight = 0;

  /**
   * Says which directories the walk will enter next, in walk order (the subdirectories of the
   * directory it is in, which it enters before anything listed earlier).
   */
  ahead(diskPaths: readonly string[]): void {
    for (let i = diskPaths.length - 1; i >= 0; i--) {
      const p: Pending = { diskPath: diskPaths[i] };
      this.byPath.set(p.diskPath, p);
      this.stack.push(p);
    }
    this.pump();
  }

  /** The entries of a directory: from a listing fetched ahead, or listed now. Throws as readdir does. */
  async list(diskPath: string): Promise<Dirent[]> {
    const p = this.byPath.get(diskPath);
    this.byPath.delete(diskPath);
    if (p?.listing) return p.listing;
    if (p) p.taken = true;
    return readdirSync(diskPath, { withFileTypes: true });
  }

  /** Stops listing ahead (the walk ended early): what is in flight finishes and is dropped. */
  close(): void {
    this.byPath.clear();
    this.stack.length = 0;
  }

  private pump(): void {
    while (this.inFlight < LISTINGS_IN_FLIGHT && this.stack.length > 0) {
      const p = this.stack.pop()!;
      if (p.taken) continue;
      this.inFlight++;
      p.listing = readdir(p.diskPath, { withFileTypes: true });
      // The walk reports a failed listing when it gets there; until then it is handled here.
      p.listing
        .catch(() => undefined)
        .finally(() => {
          this.inFlight--;
          this.pump();
        });
    }
  }
}
