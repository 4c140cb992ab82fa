/**
 * The score's network input on the server: a host's computed reachability replaces the
 * reachability a client typed (`context.internetReachable`) once the account's topology
 * snapshot describes the host, and an image takes the reachability of the hosts it runs on
 * once a host records it (running-images.ts).
 */
import { chunks } from '../../db/batches.js';
import type { Db } from '../../db/connect.js';
import { resourceName, type ResourceInput } from '../../findings/resources.js';
import type { ScanContext } from '../../matching/types.js';
import { imageContexts } from './running-images.js';

/** The stored reachability of hosts and the computed reachability of images, as scan context, by resource id. */
export async function reachabilityContexts(db: Db, resourceIds: readonly string[]): Promise<Map<string, ScanContext>> {
  const out = new Map<string, ScanContext>();
  for (const ids of chunks([...resourceIds], 1000)) {
    for (const row of await db.kysely.selectFrom('host_reachability').select(['resource_id', 'reachable', 'reason']).where('resource_id', 'in', ids).execute()) {
      out.set(row.resource_id, { internetReachable: row.reachable === 1, reachabilityReason: row.reason });
    }
    const images = await db.kysely
      .selectFrom('resources')
      .select(['id', 'account_id', 'name', 'image_registry', 'image_repository', 'image_digest', 'image_tags'])
      .where('id', 'in', ids)
      .where('type', '=', 'CONTAINER_IMAGE')
      .execute();
    for (const [id, context] of await imageContexts(db, images)) out.set(id, context);
  }
  return out;
}

/** A scan's context: the typed one, with the host's (or image's) computed reachability in place of a typed one. */
export async function scanContextFor(db: Db, accountId: string, resource: ResourceInput | { id: string }, typed: ScanContext): Promise<ScanContext> {
  let id: string | undefined;
  if ('id' in resource) id = resource.id;
  else if (resource.type === 'HOST' || resource.type === 'CONTAINER_IMAGE') {
    let name: string;
    try {
      name = resourceName(resource);
    } catch {
      return typed; // an unnamed resource: the scan itself says so
    }
    const row = await db.kysely.selectFrom('resources').select('id').where('account_id', '=', accountId).where('type', '=', resource.type).where('name', '=', name).executeTakeFirst();
    id = row?.id;
    // An image filed for the first time may already run on a recorded host.
    if (!id && resource.type === 'CONTAINER_IMAGE') {
      const img = resource.image;
      const draft = { id: '', account_id: accountId, name, image_registry: img?.registry ?? null, image_repository: img?.repository ?? null, image_digest: img?.digest ?? null, image_tags: JSON.stringify(img?.tags ?? []) };
      const computed = (await imageContexts(db, [draft])).get('');
      return computed ? { ...typed, ...computed } : typed;
    }
  }
  if (!id) return typed;
  const computed = (await reachabilityContexts(db, [id])).get(id);
  return computed ? { ...typed, ...computed } : typed;
}
