/**
 * What the server does when a topology snapshot or a host network report arrives: analyse the
 * account again, write what changed, and re-score the package findings of the hosts whose
 * reachability changed, and of the images running on them whose reachability changed (from
 * their stored inventories, as a re-evaluation: events for the findings whose score changed).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from '../../db/connect.js';
import type { NetworkSnapshotsTable } from '../../db/schema.js';
import { reevaluate, type ReevaluationStats } from '../../jobs/handlers.js';
import { log } from '../../log.js';
import type { ScanEngine } from '../../matching/types.js';
import { TopologyError } from '../input.js';
import { analyzeAccount, type AccountAnalysis } from './reachability.js';
import { readSnapshotDir } from './snapshot-files.js';
import { storeSnapshot } from './store.js';

/** An account's analysis and the re-scoring it caused. */
export interface NetworkUpdate extends AccountAnalysis {
  /** Absent when nothing needed re-scoring or no advisory database is loaded (scores follow at the next scan or re-evaluation). */
  rescored?: Pick<ReevaluationStats, 'reevaluated' | 'updated'>;
}

/** Analyses the account again and re-scores the hosts and images whose reachability changed. */
export async function refreshAccountNetwork(db: Db, accountId: string, engine: (() => ScanEngine) | undefined, signal?: AbortSignal): Promise<NetworkUpdate> {
  const analysis = await analyzeAccount(db, accountId);
  const resourceIds = [...analysis.rescore, ...analysis.rescoreImages];
  if (resourceIds.length === 0 || !engine) return analysis;
  let current: ScanEngine;
  try {
    current = engine();
  } catch (err) {
    log.warn({ err: (err as Error).message, accountId }, 'network reachability changed; no advisory database to re-score with');
    return analysis;
  }
  const stats = await reevaluate({ db, engine: () => current }, { resourceIds, reason: 'network reachability changed' }, signal);
  return { ...analysis, rescored: { reevaluated: stats.reevaluated, updated: stats.updated } };
}

/**
 * The scheduled import: every subdirectory of `root` named after an account (its id) holds
 * that account's snapshot; a directory whose files changed since the account's latest
 * snapshot becomes a new snapshot, handed to `imported` (the job queues the account's
 * analysis). A bad directory is logged and the others go on.
 */
export async function importSnapshotDirectories(db: Db, root: string, imported: (snapshot: NetworkSnapshotsTable) => Promise<unknown>, signal?: AbortSignal): Promise<{ imported: string[]; unchanged: string[]; failed: { account: string; error: string }[] }> {
  const out = { imported: [] as string[], unchanged: [] as string[], failed: [] as { account: string; error: string }[] };
  if (!existsSync(root)) throw new Error(`network snapshot directory ${root} does not exist`);
  const accounts = new Set((await db.kysely.selectFrom('accounts').select('id').execute()).map((a) => a.id));
  for (const name of readdirSync(root).sort()) {
    signal?.throwIfAborted();
    const dir = join(root, name);
    if (!statSync(dir).isDirectory()) continue;
    if (!accounts.has(name)) {
      out.failed.push({ account: name, error: `no account ${name}: name each snapshot directory after an account id` });
      continue;
    }
    try {
      const stored = await storeSnapshot(db, { accountId: name, files: readSnapshotDir(dir), source: `directory:${dir}`, skipUnchanged: true });
      if (!stored) {
        out.unchanged.push(name);
        continue;
      }
      await imported(stored);
      out.imported.push(name);
    } catch (err) {
      if (!(err instanceof TopologyError)) throw err;
      out.failed.push({ account: name, error: err.message });
    }
  }
  for (const f of out.failed) log.warn({ account: f.account, err: f.error }, 'network snapshot directory not imported');
  return out;
}
