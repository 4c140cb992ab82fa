/**
 * The score's network input on the server: a host's computed reachability replaces the
 * reachability a client typed (`context.internetReachable`) once the account's topology
 * snapshot describes the host.
 */
import { chunks } from '../../db/batches.js';
import type { Db } from '../../db/connect.js';
import { resourceName, type ResourceInput } from '../../findings/resources.js';
import type { ScanContext } from '../../matching/types.js';

/** The stored reachability of hosts, as scan context, by resource id. */
export async function reachabilityContexts(db: Db, resourceIds: readonly string[]): Promise<Map<string, ScanContext>> {
  const out = new Map<string, ScanContext>();
  for (const ids of chunks([...resourceIds], 1000)) {
    for (const row of await db.kysely.selectFrom('host_reachability').select(['resource_id', 'reachable', 'reason']).where('resource_id', 'in', ids).execute()) {
      out.set(row.resource_id, { internetReachable: row.reachable === 1, reachabilityReason: row.reason });
    }
  }
  return out;
}

/** A scan's context: the typed one, with the host's computed reachability in place of a typed one. */
export async function scanContextFor(db: Db, accountId: string, resource: ResourceInput | { id: string }, typed: ScanContext): Promise<ScanContext> {
  let id: string | undefined;
  if ('id' in resource) id = resource.id;
  else if (resource.type === 'HOST') {
    const row = await db.kysely.selectFrom('resources').select('id').where('account_id', '=', accountId).where('type', '=', 'HOST').where('name', '=', resourceName(resource)).executeTakeFirst();
    id = row?.id;
  }
  if (!id) return typed;
  const computed = (await reachabilityContexts(db, [id])).get(id);
  return computed ? { ...typed, ...computed } : typed;
}
