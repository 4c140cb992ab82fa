import { statSync } from 'node:fs';
import { log } from '../log.js';
import { createScanEngine } from '../matching/engine.js';
import type { ScanEngine } from '../matching/types.js';
import { VulnDb } from '../vulndb/store.js';

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
      id = `${st.ino}:${st.mtimeMs}:${st.size}`;
      mtime = st.mtimeMs;
    } catch {
      throw new Error(`advisory database ${this.path} does not exist; run \`vigil db update\` or queue a db-update job`);
    }
    if (id !== this.identity || !this.engine) {
      const next = new VulnDb(this.path);
      const old = this.db;
      this.db = next;
      this.engine = createScanEngine(next);
      this.identity = id;
      const previous = this.mtime;
      this.mtime = mtime;
      // Matching is synchronous: nothing still reads the old handle once we get here.
      old?.close();
      log.info({ path: this.path }, 'advisory database opened');
      for (const l of this.listeners) l(this.engine, previous);
    }
    return this.engine;
  }

  /** Closes the file. */
  close(): void {
    this.db?.close();
    this.db = undefined;
    this.engine = undefined;
    this.identity = '';
    this.mtime = undefined;
  }
}
