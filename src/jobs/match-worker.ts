/**
 * The matching worker thread (started by `match-thread.ts`): opens the advisory database file
 * the job's engine reads, checks it is that very file, and matches batches of stored
 * inventories with {@link matchStored}, answering each batch in order.
 */
import { statSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import type { EngineSource } from '../matching/types.js';
import { VulnDb } from '../vulndb/store.js';
import { fileEngine, fileIdentity } from './engine.js';
import type { MatchReply, MatchRequest } from './match-thread.js';
import { matchStored, StoredInventoryError } from './stored-match.js';

const port = parentPort;
if (!port) throw new Error('match-worker.ts runs as a worker thread');
const source = workerData as EngineSource;
const db = new VulnDb(source.path);
// The file at the path after opening it is the engine's, and a replacement never brings a file
// back to its path, so the file opened is the engine's too.
const identity = fileIdentity(statSync(source.path));
if (identity !== source.identity) {
  db.close();
  throw new Error(`advisory database ${source.path} was replaced (${identity}, the job's engine reads ${source.identity})`);
}
const engine = fileEngine(db, identity);

port.on('message', (req: MatchRequest) => {
  let reply: MatchReply;
  try {
    reply = { id: req.id, results: req.items.map((item) => matchStored(engine, item)) };
  } catch (err) {
    const stored = err instanceof StoredInventoryError ? err : undefined;
    const cause = stored ? stored.cause : err;
    const message = cause instanceof Error ? cause.message : String(cause);
    reply = { id: req.id, error: { message, ...(stored ? { resourceId: stored.resourceId, inventoryVersion: stored.inventoryVersion } : {}) } };
  }
  port.postMessage(reply);
});
port.postMessage({ ready: true });
