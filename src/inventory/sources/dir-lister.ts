/**
 * Lists the directories of a depth-first walk ahead of it: while the walk stats and reads the
 * files of one directory, the thread pool lists the directories it will enter next, so their
 * listing syscalls run on other threads instead of in turn on the walk's. Each listing that
 * completes queues its own subdirectories, nearest first in walk order, so the listing runs
 * its own depth-first walk a bounded distance ahead: listing only what the walk has reached
 * left the walk waiting on a listing just started each time it entered a small directory.
 * It lists only directories the walk will enter (`mayEnter`: never one the walk would leave
 * out, such as a network mount).
 */
import { readdirSync, type Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Listings in flight at once: the thread pool's size, leaving nothing idle and nothing queued behind it. */
const LISTINGS_IN_FLIGHT = 4;
/** Listings held for the walk (in flight or done, not yet taken): bounds the memory listing ahead takes. */
const LISTINGS_AHEAD = 128;

interface Pending {
  path: string;
  /** Set once listing starts; absent while it only waits its turn. */
  listing?: Promise<Dirent[]>;
  /** The walk got there first and listed it itself. */
  taken?: boolean;
}

/** Entries sorted by name (the walk's order), compared as UTF-16 code units. */
function byName(a: Dirent, b: Dirent): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Directory listings for one walk of `root`, most of them fetched ahead. */
export class DirLister {
  /** Directories still to be listed ahead, the next the walk enters on top. */
  private readonly stack: Pending[] = [];
  private readonly byPath = new Map<string, Pending>();
  private inFlight = 0;
  private held = 0;
  private closed = false;

  /**
   * @param root the directory on disk the walk's paths are under.
   * @param mayEnter true for a subdirectory (a path under the root) the walk will enter;
   *   undefined lists nothing ahead.
   */
  constructor(
    private readonly root: string,
    private readonly mayEnter: ((path: string) => boolean) | undefined,
  ) {}

  /**
   * The entries of the directory at `path` (`''` for the root), sorted by name: from a listing
   * fetched ahead, or listed now. Throws as readdir does.
   */
  async list(path: string): Promise<Dirent[]> {
    const p = this.byPath.get(path);
    this.byPath.delete(path);
    if (p?.listing) {
      this.held--;
      this.pump();
      return p.listing;
    }
    if (p) p.taken = true;
    const entries = readdirSync(join(this.root, path), { withFileTypes: true }).sort(byName);
    this.queueChildren(path, entries);
    return entries;
  }

  /** Stops listing ahead (the walk ended early): what is in flight finishes and is dropped. */
  close(): void {
    this.closed = true;
    this.byPath.clear();
    this.stack.length = 0;
  }

  /** Queues the subdirectories the walk will enter, the first on top. */
  private queueChildren(path: string, entries: readonly Dirent[]): void {
    if (!this.mayEnter || this.closed) return;
    for (let i = entries.length - 1; i >= 0; i--) {
      const d = entries[i];
      if (!d.isDirectory()) continue;
      const child = `${path}/${d.name}`;
      if (!this.mayEnter(child)) continue;
      const p: Pending = { path: child };
      this.byPath.set(child, p);
      this.stack.push(p);
    }
    this.pump();
  }

  private pump(): void {
    while (this.inFlight < LISTINGS_IN_FLIGHT && this.held < LISTINGS_AHEAD && this.stack.length > 0) {
      const p = this.stack.pop()!;
      if (p.taken) continue;
      this.inFlight++;
      this.held++;
      p.listing = readdir(join(this.root, p.path), { withFileTypes: true }).then((entries) => {
        entries.sort(byName);
        // What it holds comes next in walk order (unless the walk ended: see queueChildren).
        this.queueChildren(p.path, entries);
        return entries;
      });
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
