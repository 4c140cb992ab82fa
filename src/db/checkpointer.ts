/**
 * Checkpoints a SQLite database's write-ahead log from a worker thread, so that the thread
 * that commits does not copy its transaction into the database file afterwards: with
 * SQLite's automatic checkpoint, that copy ran inside each large commit (≈ 0.4 s of every
 * 1,000-inventory transaction of a first evaluation, a sixth of storing it).
 *
 * The worker runs PASSIVE checkpoints, which never wait for and never block readers or the
 * writer. The writing connection keeps an automatic checkpoint at a higher threshold as the
 * bound: when the worker falls behind or stops, the log still cannot grow past it, and the
 * writer's checkpoint then copies only what the worker has not.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type BetterSqlite3 from 'better-sqlite3';
import { log } from '../log.js';

/** Log size at which the writer checkpoints itself (SQLite's threshold counts frames: pages). */
const WRITER_CHECKPOINT_BYTES = 256 * 1024 * 1024;
/** Log file size kept after the log restarts from its beginning (it is otherwise left at its largest). */
const LOG_SIZE_KEPT = 64 * 1024 * 1024;
/** How often the worker looks for committed frames to copy. */
const INTERVAL_MS = 100;

/**
 * The worker's code, as a script: it needs nothing but better-sqlite3 (passed resolved, so it
 * loads the parent's copy wherever the program is installed), so it is the same under the
 * TypeScript sources and the bundle.
 */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.path, { fileMustExist: true });
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (err) {
    clearInterval(timer);
    db.close();
    throw err;
  }
}, workerData.intervalMs);
parentPort.once('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/** A running checkpoint worker. */
export interface Checkpointer {
  /** Stops the worker and closes its connection (before the writer's, whose close then checkpoints the rest). */
  stop(): Promise<void>;
}

/** Starts checkpointing the WAL database at `path`, which `writer` has open. */
export function startCheckpointer(path: string, writer: BetterSqlite3.Database): Checkpointer {
  const pageSize = writer.pragma('page_size', { simple: true }) as number;
  writer.pragma(`wal_autocheckpoint = ${Math.ceil(WRITER_CHECKPOINT_BYTES / pageSize)}`);
  writer.pragma(`journal_size_limit = ${LOG_SIZE_KEPT}`);
  const module = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER, { eval: true, workerData: { module, path, intervalMs: INTERVAL_MS } });
  // An idle server must be able to exit; the worker only serves the writer.
  worker.unref();
  let stopped = false;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.once('error', (err) => {
    if (stopped) return;
    log.warn({ err: err.message, path }, 'background WAL checkpoints stopped; the writer checkpoints itself');
    // Back to SQLite's default: the writer copies each commit again, as without the worker.
    if (writer.open) writer.pragma('wal_autocheckpoint = 1000');
  });
  return {
    async stop() {
      if (stopped) return;
      stopped = true;
      // Referenced again while it stops: waiting on an unreferenced worker would let the
      // process end before its close, and with it whatever awaited this.
      worker.ref();
      worker.postMessage('stop');
      await exited;
    },
  };
}
