/**
 * Re-evaluation's matching on a second thread: a worker (`match-worker.ts`) opens the same
 * advisory database file as the job's engine and matches batches of stored inventories while
 * the job's thread stores the results of earlier ones.
 *
 * The compiled CLI starts the worker's own bundle entry (`dist/bundle/match-worker.js`, beside
 * the chunk this module is in); run from the TypeScript sources (tsx, Vitest) the worker loads
 * `match-worker.ts` through tsx's loader (`match-worker-tsx.mjs`), which only that thread registers.
 */
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { ReevaluationInput } from '../findings/lifecycle.js';
import type { EngineSource } from '../matching/types.js';
import { StoredInventoryError, type StoredInventory } from './stored-match.js';

/** A batch of stored inventories for the worker. */
export interface MatchRequest {
  id: number;
  items: StoredInventory[];
}

/**
 * The worker's answer to one {@link MatchRequest}: every result, or why the batch failed (for a
 * {@link StoredInventoryError}, its resource and the cause's message).
 */
export type MatchReply = { id: number; results: ReevaluationInput[]; error?: undefined } | { id: number; results?: undefined; error: { message: string; resourceId?: string; inventoryVersion?: number } };

interface Waiting {
  items: StoredInventory[];
  resolve: (results: ReevaluationInput[]) => void;
  reject: (err: Error) => void;
}

/**
 * The worker started from the built entry when there is one, else from the TypeScript source
 * through `match-worker-tsx.mjs`.
 */
function startWorker(source: EngineSource): Worker {
  const built = new URL('./match-worker.js', import.meta.url);
  if (existsSync(built)) return new Worker(built, { workerData: source });
  const boot = new URL('./match-worker-tsx.mjs', import.meta.url);
  if (!existsSync(boot)) throw new Error(`no matching worker beside ${import.meta.url}`);
  return new Worker(boot, { workerData: source });
}

/** Names the resources of a batch in an error message. */
function resourcesOf(items: StoredInventory[]): string {
  if (items.length === 0) return 'no resources';
  if (items.length === 1) return `resource ${items[0]!.resourceId}`;
  return `${items.length} resources (${items[0]!.resourceId} … ${items[items.length - 1]!.resourceId})`;
}

/**
 * The buffers of inventories read as bytes, to move to the worker rather than copy: only those
 * that own their whole memory (a view into a shared pool must be copied).
 */
function transferable(items: StoredInventory[]): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const { inventory } of items) {
    if (typeof inventory !== 'string' && inventory.byteOffset === 0 && inventory.byteLength === inventory.buffer.byteLength && inventory.buffer instanceof ArrayBuffer) out.push(inventory.buffer);
  }
  return out;
}

/** A matching worker over one advisory database file: batches in, re-evaluation inputs out, in order. */
export class MatchThread {
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 0;
  /** Why the worker can match no more, once it has stopped. */
  private failure: Error | undefined;
  /** The uncaught error the worker stopped with, if it did. */
  private crash: Error | undefined;

  private constructor(
    private readonly worker: Worker,
    private readonly signal: AbortSignal | undefined,
  ) {
    worker.on('message', (reply: MatchReply) => this.answer(reply));
    worker.on('error', (err) => {
      this.crash = err;
    });
    worker.on('exit', (code) => {
      const aborted = this.signal?.aborted ? (this.signal.reason as Error) : undefined;
      const stopped = `matching worker stopped (${this.crash ? this.crash.message : `exit code ${code}`})`;
      for (const [id, w] of this.waiting) {
        this.waiting.delete(id);
        w.reject(aborted ?? new Error(`${stopped} while matching the stored inventories of ${resourcesOf(w.items)}`, { cause: this.crash }));
      }
      this.failure = aborted ?? new Error(stopped, { cause: this.crash });
    });
  }

  /**
   * Starts a worker matching against the file `source` names; resolves once it has opened it.
   * Rejects when the worker cannot start or the file was replaced since the engine opened it.
   */
  static start(source: EngineSource, signal?: AbortSignal): Promise<MatchThread> {
    signal?.throwIfAborted();
    const worker = startWorker(source);
    return new Promise((resolve, reject) => {
      const failed = (err: Error) => {
        worker.off('message', ready);
        worker.off('error', failed);
        worker.off('exit', exited);
        signal?.removeEventListener('abort', aborted);
        void worker.terminate();
        reject(err);
      };
      const exited = (code: number) => failed(new Error(`matching worker exited with code ${code} while starting`));
      const aborted = () => failed(signal!.reason as Error);
      const ready = () => {
        worker.off('error', failed);
        worker.off('exit', exited);
        signal?.removeEventListener('abort', aborted);
        const thread = new MatchThread(worker, signal);
        signal?.addEventListener('abort', thread.stop, { once: true });
        resolve(thread);
      };
      worker.once('message', ready);
      worker.once('error', failed);
      worker.once('exit', exited);
      signal?.addEventListener('abort', aborted, { once: true });
    });
  }

  /** Matches a batch; rejects naming the resource whose inventory failed, or the batch when the worker stopped. */
  match(items: StoredInventory[]): Promise<ReevaluationInput[]> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { items, resolve, reject });
      this.worker.postMessage({ id, items } satisfies MatchRequest, transferable(items));
    });
  }

  /** Stops the worker; batches still waiting are rejected. */
  readonly stop = (): void => {
    void this.worker.terminate();
  };

  /** Stops the worker and waits until it has exited. */
  async close(): Promise<void> {
    this.signal?.removeEventListener('abort', this.stop);
    await this.worker.terminate();
  }

  private answer(reply: MatchReply): void {
    const w = this.waiting.get(reply.id);
    if (!w) return;
    this.waiting.delete(reply.id);
    if (!reply.error) return w.resolve(reply.results);
    const { message, resourceId, inventoryVersion } = reply.error;
    w.reject(resourceId !== undefined && inventoryVersion !== undefined ? new StoredInventoryError(resourceId, inventoryVersion, new Error(message)) : new Error(`matching worker failed on ${resourcesOf(w.items)}: ${message}`));
  }
}
