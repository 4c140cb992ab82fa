import { statSync, type Stats } from 'node:fs';
import { log } from '../log.js';
import { createScanEngine } from '../matching/engine.js';
import type { ScanEngine } from '../matching/types.js';
import { VulnDb } from '../vulndb/store.js';

/** What tells one advisory database file from the one that replaces it at the same path. */
export function fileIdentity(st: Stats): string {
  return `${st.ino}:${st.mtimeMs}:${st.size}`;
}

/**
 * The engine the server matches with over an opened advisory database file: what another
 * thread opening the same file builds too, so that both match alike. It keeps the base
 * engine's coverage and index: a re-evaluation of some packages records the whole inventory's
 * coverage through them (without, a release with no data was recorded as covered).
 */
export function fileEngine(db: VulnDb, identity: string, base: ScanEngine = createScanEngine(db)): ScanEngine {
  const engine: ScanEngine = (inventory, context) => base(inventory, context);
  engine.coverage = base.coverage;
  engine.index = base.index;
  engine.source = { path: db.path, identity };
  return engine;
}

/**
 * The matching engine over the advisory database file, reopened when the file is replaced
 * (updates swap it atomically, so an open handle keeps reading the old one). Any process —
 * server or worker — sees a database update at its next job.
 */
export class AdvisoryEngine {
  private db: VulnDb | undefined;
  private engine: ScanEngine | undefined;
  private identity = '';
  private readonly listeners: ((engine: ScanEngine, previousMtime: number | undefined) => void)[] = [];
  private mtime: number | undefined;
  /** Yielding scans still running per open file: a replaced file is closed when its last one ends. */
  private readonly running = new Map<VulnDb, number>();
  private readonly retired = new Set<VulnDb>();

  constructor(readonly path: string) {}

  /** Called with the new engine each time the file is (re)opened, with the replaced file's modification time. */
  onReload(listener: (engine: ScanEngine, previousMtime: number | undefined) => void): void {
    this.listeners.push(listener);
  }

  /** The engine for the current file; throws naming the file when there is none. */
  current(): ScanEngine {
    let id: string;
    let mtime: number;
    try {
      const st = statSync(this.path);
      id = fileIdentity(st);
      mtime = st.mtimeMs;
    } catch {
      throw new Error(`advisory database ${this.path} does not exist; run \`vigil db update\` or queue a db-update job`);
    }
    if (id !== this.identity || !this.engine) {
      const next = new VulnDb(this.path);
      const old = this.db;
      this.db = next;
      this.engine = this.tracked(next, id);
      this.identity = id;
      const previous = this.mtime;
      this.mtime = mtime;
      // Synchronous matching no longer reads the old handle; yielding scans close it when done.
      if (old) this.retire(old);
      log.info({ path: this.path }, 'advisory database opened');
      for (const l of this.listeners) l(this.engine, previous);
    }
    return this.engine;
  }

  /** The engine over one file, counting its yielding scans so the file outlives them. */
  private tracked(db: VulnDb, identity: string): ScanEngine {
    const base = createScanEngine(db);
    const engine = fileEngine(db, identity, base);
    engine.yielding = async (inventory, context, signal) => {
      this.running.set(db, (this.running.get(db) ?? 0) + 1);
      try {
        return await base.yielding!(inventory, context, signal);
      } finally {
        const left = (this.running.get(db) ?? 1) - 1;
        if (left > 0) this.running.set(db, left);
        else {
          this.running.delete(db);
          if (this.retired.delete(db)) db.close();
        }
      }
    };
    return engine;
  }

  private retire(db: VulnDb): void {
    if (this.running.has(db)) this.retired.add(db);
    else db.close();
  }

  /** Closes the file. */
  close(): void {
    for (const db of this.retired) db.close();
    this.retired.clear();
    this.db?.close();
    this.db = undefined;
    this.engine = undefined;
    this.identity = '';
    this.mtime = undefined;
  }
}
