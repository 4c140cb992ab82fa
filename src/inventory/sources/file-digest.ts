/**
 * Digests of blob files computed off Node's main thread. An inflater tool reads a layout blob
 * itself, and the blob's digest is checked beside it by reading the same file again: on the
 * main thread that read and the SHA-256 took about as long as parsing the layer's tar entries
 * (a quarter of a single-layer scan's time on that thread, per the profile), and `FileHandle.read`
 * cost several times what a plain `read(2)` does. One worker thread, started on first use and
 * kept while the process lives (it does not hold the process open), reads each file with
 * `readSync` by position into one reused buffer and hashes it, one file after another; at
 * ~1.5 GB/s with SHA-NI it keeps ahead of several inflaters at once.
 */
import { createHash } from 'node:crypto';
import { read } from 'node:fs';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';

/** What hashing a file found: its digest and length, or that it is longer than allowed. */
export type FileHash = { hex: string; bytes: number; tooLarge?: undefined } | { tooLarge: true };

/** A job as the worker receives it. */
interface Job {
  id: number;
  fd: number;
  algorithm: string;
  /** Stop reading past this many bytes (undefined: no limit). */
  maxBytes?: number;
  /** Set to 1 by the main thread to stop the job at its next read. */
  stop: Int32Array;
}

/** What the worker answers: progress, then one final message. */
type Reply =
  | { id: number; progress: number }
  | { id: number; hex: string; bytes: number }
  | { id: number; tooLarge: true }
  | { id: number; stopped: true }
  | { id: number; error: string; code?: string };

/** Bytes read per `readSync`: larger reads gained nothing on a 51 MB blob (256 KiB–4 MiB alike). */
const READ_BYTES = 1024 * 1024;
/** Progress is posted every this many bytes, not per read. */
const PROGRESS_BYTES = 4 * READ_BYTES;

/**
 * The worker's code, evaluated (so that it needs no file of its own beside the bundled CLI), and
 * with dynamic imports only, which read the same whether Node takes it for a CommonJS script or
 * for a module (`--input-type=module`); messages wait in the port until it listens. Jobs run in
 * the order they arrive; a job stops at its next read once its stop flag is set, and says so, so
 * that the caller closes the file only when it is no longer read.
 */
const WORKER_SOURCE = `
Promise.all([import('node:worker_threads'), import('node:fs'), import('node:crypto')]).then(([{ parentPort }, { readSync }, { createHash }]) => {
const buffer = Buffer.allocUnsafe(${READ_BYTES});
parentPort.on('message', ({ id, fd, algorithm, maxBytes, stop }) => {
  try {
    const hash = createHash(algorithm);
    let bytes = 0;
    let unreported = 0;
    for (;;) {
      if (Atomics.load(stop, 0) !== 0) return parentPort.postMessage({ id, stopped: true });
      const n = readSync(fd, buffer, 0, buffer.length, bytes);
      if (n === 0) break;
      bytes += n;
      if (maxBytes !== undefined && bytes > maxBytes) return parentPort.postMessage({ id, tooLarge: true });
      hash.update(buffer.subarray(0, n));
      unreported += n;
      if (unreported >= ${PROGRESS_BYTES}) {
        parentPort.postMessage({ id, progress: unreported });
        unreported = 0;
      }
    }
    if (unreported > 0) parentPort.postMessage({ id, progress: unreported });
    parentPort.postMessage({ id, hex: hash.digest('hex'), bytes });
  } catch (err) {
    parentPort.postMessage({ id, error: String((err && err.message) || err), code: err && err.code });
  }
});
});
`;

interface Pending {
  onBytes?: (n: number) => void;
  resolve(result: FileHash): void;
  reject(err: unknown): void;
  /** The reason to reject with once the worker has stopped reading (an abort). */
  stopReason?: unknown;
}

let worker: Worker | undefined;
const pending = new Map<number, Pending>();
let nextId = 0;

/**
 * The worker, started on first use; a crashed one is replaced on the next use. Undefined when
 * no thread can be started here (Node's permission model without `--allow-worker`, no resources).
 */
function digestWorker(): Worker | undefined {
  if (worker) return worker;
  let w: Worker;
  try {
    // No inherited flags: a loader such as tsx (or `--input-type`) has nothing to do in it.
    w = new Worker(WORKER_SOURCE, { eval: true, name: 'vigil-file-digest', execArgv: [] });
  } catch {
    return undefined;
  }
  w.unref();
  w.on('message', (reply: Reply) => settle(reply));
  const fail = (err: unknown): void => {
    if (worker === w) worker = undefined;
    for (const [id, job] of pending) {
      pending.delete(id);
      job.reject(err);
    }
  };
  w.on('error', fail);
  w.on('exit', (code) => fail(new Error(`file digest worker exited (status ${code})`)));
  worker = w;
  return w;
}

function settle(reply: Reply): void {
  const job = pending.get(reply.id);
  if (!job) return;
  if ('progress' in reply) {
    job.onBytes?.(reply.progress);
    return;
  }
  pending.delete(reply.id);
  // Idle: let the process exit without waiting for the worker.
  if (pending.size === 0) worker?.unref();
  if ('hex' in reply) job.resolve({ hex: reply.hex, bytes: reply.bytes });
  else if ('tooLarge' in reply) job.resolve({ tooLarge: true });
  else if ('stopped' in reply) job.reject(job.stopReason);
  else job.reject(Object.assign(new Error(reply.error), reply.code ? { code: reply.code } : {}));
}

/**
 * Hashes the open file `fd` whole (by position: the descriptor's offset is neither used nor
 * moved) on the digest worker, reporting bytes read to `onBytes`. Resolves with the hex digest
 * and length, or `tooLarge` once more than `maxBytes` bytes are found. An abort through `signal`
 * rejects with its reason once the worker has stopped reading the file, so the caller may close
 * it then.
 */
export function hashFile(fd: number, algorithm: string, maxBytes?: number, onBytes?: (n: number) => void, signal?: AbortSignal): Promise<FileHash> {
  signal?.throwIfAborted();
  const w = digestWorker();
  if (!w) return hashInThread(fd, algorithm, maxBytes, onBytes, signal);
  const id = ++nextId;
  const stop = new Int32Array(new SharedArrayBuffer(4));
  return new Promise<FileHash>((resolve, reject) => {
    const onAbort = (): void => {
      job.stopReason = signal!.reason;
      Atomics.store(stop, 0, 1);
    };
    const done = (): void => signal?.removeEventListener('abort', onAbort);
    const job: Pending = {
      onBytes,
      resolve: (r) => {
        done();
        resolve(r);
      },
      reject: (e) => {
        done();
        reject(e);
      },
    };
    pending.set(id, job);
    if (pending.size === 1) w.ref();
    signal?.addEventListener('abort', onAbort, { once: true });
    const message: Job = { id, fd, algorithm, stop, ...(maxBytes !== undefined ? { maxBytes } : {}) };
    w.postMessage(message);
  });
}

const readAt = promisify(read);

/**
 * {@link hashFile} on the calling thread, for where no worker can be started: the same reads (by
 * position, one reused buffer, through libuv's pool) and the same results, with the hashing on
 * this thread.
 */
export async function hashInThread(fd: number, algorithm: string, maxBytes?: number, onBytes?: (n: number) => void, signal?: AbortSignal): Promise<FileHash> {
  const hash = createHash(algorithm);
  const buffer = Buffer.allocUnsafe(READ_BYTES);
  let bytes = 0;
  for (;;) {
    signal?.throwIfAborted();
    const { bytesRead } = await readAt(fd, buffer, 0, buffer.length, bytes);
    if (bytesRead === 0) break;
    bytes += bytesRead;
    if (maxBytes !== undefined && bytes > maxBytes) return { tooLarge: true };
    hash.update(buffer.subarray(0, bytesRead));
    onBytes?.(bytesRead);
  }
  return { hex: hash.digest('hex'), bytes };
}
