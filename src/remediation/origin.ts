/**
 * Which findings of a container image came with its base image. The base is a stored image
 * of the same account whose layers are a prefix of this one's: the one the image's OCI
 * annotations name (`org.opencontainers.image.base.digest` / `.base.name`) when stored, else
 * the longest such prefix. A finding whose package was introduced by one of those layers is
 * `BASE_IMAGE`, any other `APPLICATION`; without a known base, origin stays unset.
 */
import { sql } from 'kysely';
import type { Db } from '../db/connect.js';
import type { ImageLayersTable, ResourcesTable } from '../db/schema.js';
import { loadInventory } from '../findings/inventories.js';
import type { Inventory } from '../inventory/types.js';

/** An image's base as found. */
export interface FoundBase {
  resourceId: string;
  /** How many bottom layers of the image are the base's. */
  layerCount: number;
  via: 'ANNOTATION' | 'LAYERS';
}

/** The row of an inventory's image facts, or undefined for an inventory without layers. */
export function imageLayersRow(resource: Pick<ResourcesTable, 'id' | 'account_id' | 'inventory_version'>, inventory: Inventory): ImageLayersTable | undefined {
  const image = inventory.target.image;
  if (!image || image.layers.length === 0) return undefined;
  // Diff ids name layer content whatever the compression, so an image pulled from a registry
  // and the same base saved as an archive still share their layers.
  const layers = image.layers.map((l) => l.diffId ?? l.digest);
  return {
    resource_id: resource.id,
    account_id: resource.account_id,
    inventory_version: resource.inventory_version,
    first_layer: layers[0],
    layer_count: layers.length,
    layers: JSON.stringify(layers),
    layer_digests: JSON.stringify(image.layers.map((l) => l.digest)),
    base_name: image.baseImage?.name ?? null,
    base_digest: image.baseImage?.digest ?? null,
    created: image.created ?? null,
  };
}

/** The stored layer row of an image, refreshed from its inventory when the inventory is newer. Returns whether it was (re)written. */
async function layersOf(db: Db, resource: ResourcesTable): Promise<{ row?: ImageLayersTable; fresh: boolean }> {
  const stored = await db.kysely.selectFrom('image_layers').selectAll().where('resource_id', '=', resource.id).executeTakeFirst();
  if (stored && stored.inventory_version === resource.inventory_version) return { row: stored, fresh: false };
  const inv = await loadInventory(db, resource.id, resource.inventory_version || undefined);
  const row = inv && imageLayersRow(resource, inv.inventory);
  await db.kysely.deleteFrom('image_layers').where('resource_id', '=', resource.id).execute();
  if (row) await db.kysely.insertInto('image_layers').values(row).execute();
  return { row, fresh: true };
}

const isPrefix = (short: readonly string[], long: readonly string[]) => short.length < long.length && short.every((l, i) => long[i] === l);

/** `repo:tag` and `repo@digest` forms of an annotation's base name, without the registry's `docker.io/library/` spelling. */
function nameParts(name: string): { repository: string; tag?: string } {
  const at = name.indexOf('@');
  const bare = at >= 0 ? name.slice(0, at) : name;
  const colon = bare.lastIndexOf(':');
  const slash = bare.lastIndexOf('/');
  const [path, tag] = colon > slash ? [bare.slice(0, colon), bare.slice(colon + 1)] : [bare, undefined];
  const parts = path.split('/');
  // A first part with a dot, colon or "localhost" is a registry host.
  if (parts.length > 1 && /[.:]|^localhost$/.test(parts[0])) parts.shift();
  return { repository: parts.join('/').replace(/^library\//, ''), tag };
}

/** Finds the base of the image whose layer row is `row` among the account's stored images. */
export async function findBase(db: Db, row: ImageLayersTable): Promise<FoundBase | undefined> {
  const layers = JSON.parse(row.layers) as string[];
  const candidates = await db.kysely
    .selectFrom('image_layers')
    .innerJoin('resources', 'resources.id', 'image_layers.resource_id')
    .select(['image_layers.resource_id', 'image_layers.layers', 'image_layers.layer_count', 'resources.image_digest', 'resources.image_repository', 'resources.image_tags'])
    .where('image_layers.account_id', '=', row.account_id)
    .where('image_layers.first_layer', '=', row.first_layer)
    .where('image_layers.layer_count', '<', row.layer_count)
    .where('image_layers.resource_id', '<>', row.resource_id)
    .execute();
  const prefixes = candidates.filter((c) => isPrefix(JSON.parse(c.layers) as string[], layers));
  if (prefixes.length === 0) return undefined;
  const named = prefixes.find((c) => {
    if (row.base_digest && c.image_digest === row.base_digest) return true;
    if (!row.base_name || !c.image_repository) return false;
    const want = nameParts(row.base_name);
    const tags = JSON.parse(c.image_tags) as string[];
    return nameParts(c.image_repository).repository === want.repository && (want.tag === undefined || tags.includes(want.tag));
  });
  if (named) return { resourceId: named.resource_id, layerCount: named.layer_count, via: 'ANNOTATION' };
  const longest = prefixes.reduce((a, b) => (b.layer_count > a.layer_count ? b : a));
  return { resourceId: longest.resource_id, layerCount: longest.layer_count, via: 'LAYERS' };
}

/** Sets `origin` on the findings of the image whose layer row is `row`. */
async function markFindings(db: Db, row: ImageLayersTable): Promise<void> {
  const base = await findBase(db, row);
  if (!base) {
    await db.kysely.updateTable('findings').set({ origin: null }).where('resource_id', '=', row.resource_id).where('origin', 'is not', null).execute();
    return;
  }
  const baseDigests = (JSON.parse(row.layer_digests) as string[]).slice(0, base.layerCount);
  const inBase = sql<boolean>`${sql.ref('layer')} IN (${sql.join(baseDigests.map((d) => sql`${d}`))})`;
  await db.kysely
    .updateTable('findings')
    .set({ origin: sql<string | null>`CASE WHEN ${inBase} THEN 'BASE_IMAGE' WHEN ${sql.ref('layer')} IS NULL THEN NULL ELSE 'APPLICATION' END` })
    .where('resource_id', '=', row.resource_id)
    .execute();
}

/**
 * Marks the origin of the findings of these resources' images (after their findings were
 * written). When an image's inventory is new, images stored earlier that are built on it
 * are marked again too: their base may just have arrived.
 */
export async function assignOrigins(db: Db, resources: readonly ResourcesTable[]): Promise<void> {
  for (const resource of resources) {
    if (resource.type !== 'CONTAINER_IMAGE') continue;
    const { row, fresh } = await layersOf(db, resource);
    if (!row) continue;
    await markFindings(db, row);
    if (!fresh) continue;
    const above = await db.kysely
      .selectFrom('image_layers')
      .selectAll()
      .where('account_id', '=', row.account_id)
      .where('first_layer', '=', row.first_layer)
      .where('layer_count', '>', row.layer_count)
      .execute();
    for (const other of above) await markFindings(db, other);
  }
}
