/**
 * Resources: the hosts, container images, repositories and package archives findings
 * belong to, with their key/value tags.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../db/connect.js';
import type { ResourcesTable } from '../db/schema.js';
import { parseImageReference, type ImageReference } from '../inventory/sources/registry.js';
import type { Inventory } from '../inventory/types.js';
import { iso, type ResourceType } from './model.js';
import { scopeSql, type AccountScope } from './scope.js';
import { markSummary } from './summary.js';

/** What identifies and describes a resource when it is registered or scanned. */
export interface ResourceInput {
  type: ResourceType;
  /** Unique per account and type. Derived from image facts for images when omitted. */
  name?: string;
  image?: { registry?: string; repository?: string; digest?: string; tags?: string[] };
  tags?: Record<string, string>;
}

/** A resource as the API shows it. */
export interface Resource {
  id: string;
  accountId: string;
  type: ResourceType;
  name: string;
  image?: { registry?: string; repository?: string; digest?: string; tags: string[] };
  tags: Record<string, string>;
  os?: string;
  createdAt: string;
  updatedAt: string;
  lastScanAt?: string;
  lastScanStatus?: string;
  /** What the last scan could not judge (ecosystems without advisory data, unknown OS, end of life), one line each. */
  coverageDetail?: string;
  inventoryVersion: number;
}

/** Converts a stored row to the API form. */
export function toResource(row: ResourcesTable): Resource {
  const imageTags = JSON.parse(row.image_tags) as string[];
  const hasImage = row.type === 'CONTAINER_IMAGE';
  return {
    id: row.id,
    accountId: row.account_id,
    type: row.type as ResourceType,
    name: row.name,
    ...(hasImage
      ? { image: { registry: row.image_registry ?? undefined, repository: row.image_repository ?? undefined, digest: row.image_digest ?? undefined, tags: imageTags } }
      : {}),
    tags: JSON.parse(row.tags) as Record<string, string>,
    os: row.os ?? undefined,
    createdAt: iso(row.created_at)!,
    updatedAt: iso(row.updated_at)!,
    lastScanAt: iso(row.last_scan_at),
    lastScanStatus: row.last_scan_status ?? undefined,
    ...(row.coverage_detail ? { coverageDetail: row.coverage_detail } : {}),
    inventoryVersion: row.inventory_version,
  };
}

/** The resource's unique name: given, or `registry/repository@digest` for images. */
export function resourceName(input: ResourceInput): string {
  if (input.name) return input.name;
  const img = input.image;
  if (input.type === 'CONTAINER_IMAGE' && img?.repository) {
    const repo = img.registry ? `${img.registry}/${img.repository}` : img.repository;
    if (img.digest) return `${repo}@${img.digest}`;
    if (img.tags?.length) return `${repo}:${img.tags[0]}`;
    return repo;
  }
  throw new Error(`a ${input.type} resource needs a name`);
}

/**
 * The reference an image archive names itself by: a docker archive's `RepoTags` entry or an
 * OCI `org.opencontainers.image.ref.name` that is a whole reference (`app:1`,
 * `registry.example.com/app:1`), not a bare tag (`1`).
 */
function archiveReference(tags: readonly string[]): ImageReference | undefined {
  for (const tag of tags) {
    if (!tag.includes(':') && !tag.includes('/')) continue;
    try {
      return parseImageReference(tag);
    } catch {
      // Not a reference after all: try the next one.
    }
  }
  return undefined;
}

/**
 * The resource an inventory describes, when the request names none. An image archive that
 * names its repository and tag is filed as `registry/repository:tag` (stable across builds,
 * where its path is not), with the repository and digest recorded; an SBOM by what it says
 * it describes.
 */
export function resourceFromInventory(inventory: Inventory): ResourceInput {
  const t = inventory.target;
  if (t.image || ['oci-dir', 'docker-archive', 'oci-archive', 'registry'].includes(t.type)) {
    const img = t.image;
    const named = t.type !== 'registry' && !img?.repository ? archiveReference(img?.tags ?? []) : undefined;
    if (named?.tag) {
      return {
        type: 'CONTAINER_IMAGE',
        name: `${named.registry}/${named.repository}:${named.tag}`,
        image: { registry: named.registry, repository: named.repository, digest: img?.manifestDigest ?? t.digest ?? img?.configDigest, tags: [named.tag] },
      };
    }
    return {
      type: 'CONTAINER_IMAGE',
      name: img?.repository ? undefined : t.name,
      image: { registry: img?.registry, repository: img?.repository, digest: img?.manifestDigest ?? t.digest, tags: img?.tags ?? [] },
    };
  }
  if (t.type === 'host') return { type: 'HOST', name: t.name };
  if (t.type === 'dir') return { type: 'REPOSITORY', name: t.name };
  return { type: 'PACKAGE_ARCHIVE', name: (t.type === 'sbom' ? t.subject : undefined) ?? t.name };
}

async function writeTags(db: Db, resourceId: string, tags: Record<string, string>, imageTags: string[]): Promise<void> {
  await db.kysely.deleteFrom('resource_tags').where('resource_id', '=', resourceId).execute();
  await db.kysely.deleteFrom('resource_image_tags').where('resource_id', '=', resourceId).execute();
  const tagRows = Object.entries(tags).map(([key, value]) => ({ resource_id: resourceId, key, value }));
  if (tagRows.length) await db.kysely.insertInto('resource_tags').values(tagRows).execute();
  const imageRows = [...new Set(imageTags)].map((tag) => ({ resource_id: resourceId, tag }));
  if (imageRows.length) await db.kysely.insertInto('resource_image_tags').values(imageRows).execute();
}

/** Validates tag maps: bounded keys and values, at most 50 tags. */
export function checkTags(tags: Record<string, string>): void {
  const entries = Object.entries(tags);
  if (entries.length > 50) throw new Error('a resource has at most 50 tags');
  for (const [k, v] of entries) {
    if (k.length === 0 || k.length > 128) throw new Error(`tag key ${JSON.stringify(k)} must be 1-128 characters`);
    if (typeof v !== 'string' || v.length > 256) throw new Error(`tag ${k} value must be a string of at most 256 characters`);
  }
}

/**
 * Finds the resource by (account, type, name) or creates it. Image tags given are added to
 * the known ones (tags move between digests; the API can replace them); key/value tags
 * given replace the stored ones.
 */
export async function upsertResource(db: Db, accountId: string, input: ResourceInput, at = Date.now()): Promise<ResourcesTable> {
  const name = resourceName(input);
  if (input.tags) checkTags(input.tags);
  const existing = await db.kysely
    .selectFrom('resources')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('type', '=', input.type)
    .where('name', '=', name)
    .executeTakeFirst();
  if (existing) {
    const known = JSON.parse(existing.image_tags) as string[];
    const imageTags = [...new Set([...known, ...(input.image?.tags ?? [])])];
    const tags = input.tags ?? (JSON.parse(existing.tags) as Record<string, string>);
    const changed = imageTags.length !== known.length || input.tags !== undefined;
    if (!changed) return existing;
    await db.kysely
      .updateTable('resources')
      .set({ image_tags: JSON.stringify(imageTags), tags: JSON.stringify(tags), updated_at: at })
      .where('id', '=', existing.id)
      .execute();
    await writeTags(db, existing.id, tags, imageTags);
    return { ...existing, image_tags: JSON.stringify(imageTags), tags: JSON.stringify(tags), updated_at: at };
  }
  const row: ResourcesTable = {
    id: randomUUID(),
    account_id: accountId,
    type: input.type,
    name,
    image_registry: input.image?.registry ?? null,
    image_repository: input.image?.repository ?? null,
    image_digest: input.image?.digest ?? null,
    image_tags: JSON.stringify([...new Set(input.image?.tags ?? [])]),
    tags: JSON.stringify(input.tags ?? {}),
    os: null,
    created_at: at,
    updated_at: at,
    last_scan_at: null,
    last_scan_status: null,
    last_scan_error: null,
    coverage_detail: null,
    inventory_version: 0,
  };
  await db.kysely.insertInto('resources').values(row).execute();
  await writeTags(db, row.id, input.tags ?? {}, input.image?.tags ?? []);
  return row;
}

/** Replaces a resource's key/value tags (and image tags, when given). */
export async function updateResourceTags(db: Db, scope: AccountScope, id: string, tags: Record<string, string>, imageTags?: string[]): Promise<ResourcesTable | undefined> {
  checkTags(tags);
  const row = await getResource(db, scope, id);
  if (!row) return undefined;
  const images = imageTags ?? (JSON.parse(row.image_tags) as string[]);
  const at = Date.now();
  await db.kysely.transaction().execute(async (trx) => {
    const tdb: Db = { ...db, kysely: trx };
    await trx.updateTable('resources').set({ tags: JSON.stringify(tags), image_tags: JSON.stringify(images), updated_at: at }).where('id', '=', id).execute();
    await writeTags(tdb, id, tags, images);
  });
  return { ...row, tags: JSON.stringify(tags), image_tags: JSON.stringify(images), updated_at: at };
}

/** One resource, if it is in scope. */
export async function getResource(db: Db, scope: AccountScope, id: string): Promise<ResourcesTable | undefined> {
  return db.kysely.selectFrom('resources').selectAll().where('id', '=', id).where(scopeSql(scope, 'resources.account_id')).executeTakeFirst();
}

/** A page of resources in scope, by id. */
export async function listResources(
  db: Db,
  scope: AccountScope,
  opts: { type?: string; accountId?: string; after?: string; limit: number },
): Promise<ResourcesTable[]> {
  let q = db.kysely.selectFrom('resources').selectAll().where(scopeSql(scope, 'resources.account_id'));
  if (opts.type) q = q.where('type', '=', opts.type);
  if (opts.accountId) q = q.where('account_id', '=', opts.accountId);
  if (opts.after) q = q.where('id', '>', opts.after);
  return q.orderBy('id').limit(opts.limit).execute();
}

/** Deletes a resource with its findings, their timelines, inventories and scans. */
export async function deleteResource(db: Db, scope: AccountScope, id: string): Promise<boolean> {
  const row = await getResource(db, scope, id);
  if (!row) return false;
  await db.kysely.transaction().execute(async (trx) => {
    const active = await trx.selectFrom('findings').select('vulnerability_id').distinct().where('resource_id', '=', id).where('status', '=', 'ACTIVE').execute();
    await trx.deleteFrom('finding_events').where('finding_id', 'in', trx.selectFrom('findings').select('id').where('resource_id', '=', id)).execute();
    await trx.deleteFrom('findings').where('resource_id', '=', id).execute();
    await markSummary(trx, { resourceIds: [id], vulnerabilityIds: active.map((a) => a.vulnerability_id) });
    await trx.deleteFrom('inventory_packages').where('resource_id', '=', id).execute();
    await trx.deleteFrom('inventories').where('resource_id', '=', id).execute();
    await trx.deleteFrom('resource_tags').where('resource_id', '=', id).execute();
    await trx.deleteFrom('resource_image_tags').where('resource_id', '=', id).execute();
    await trx.deleteFrom('scans').where('resource_id', '=', id).execute();
    await trx.deleteFrom('host_coverage').where('resource_id', '=', id).execute();
    await trx.deleteFrom('image_layers').where('resource_id', '=', id).execute();
    await trx.deleteFrom('host_containers').where('host_id', '=', id).execute();
    await trx.deleteFrom('image_reachability').where('resource_id', '=', id).execute();
    await trx.deleteFrom('resources').where('id', '=', id).execute();
  });
  return true;
}
