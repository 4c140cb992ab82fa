/**
 * Host → image links on the server: the containers each host records (its network report,
 * or declared through the API), the images of the account they run, and the reachability
 * those images take from the hosts running them. The analysis stores each image's
 * reachability and re-scores only the images whose reachability changed; a scan of an image
 * the analysis has not seen yet computes it on the spot.
 */
import { chunks, rowsPerStatement } from '../../db/batches.js';
import type { Db } from '../../db/connect.js';
import type { HostContainersTable, ResourcesTable } from '../../db/schema.js';
import type { Exposure } from '../analyze.js';
import type { HostContainer, PublishedPort } from '../host/containers.js';
import { containerReference, imageReachability, linkContainers, type HostReach, type ImageIdentity, type StoredContainer } from './image-links.js';

const IMAGE = 'CONTAINER_IMAGE';

function toStored(row: HostContainersTable): StoredContainer {
  return {
    hostId: row.host_id,
    containerId: row.container_id,
    ...(row.name ? { name: row.name } : {}),
    image: row.image,
    imageDigests: JSON.parse(row.image_digests) as string[],
    running: row.running === 1,
    hostNetwork: row.host_network === 1,
    ports: JSON.parse(row.ports) as PublishedPort[],
  };
}

/** The identity of a stored image resource. */
export function imageIdentity(row: Pick<ResourcesTable, 'id' | 'name' | 'image_registry' | 'image_repository' | 'image_digest' | 'image_tags'>): ImageIdentity {
  return {
    id: row.id,
    name: row.name,
    ...(row.image_registry ? { registry: row.image_registry } : {}),
    ...(row.image_repository ? { repository: row.image_repository } : {}),
    ...(row.image_digest ? { digest: row.image_digest } : {}),
    tags: JSON.parse(row.image_tags) as string[],
  };
}

/**
 * Replaces the containers a host records; true when they differ from the stored ones. Run
 * inside the caller's transaction when there is one.
 */
export async function storeHostContainers(db: Db, host: { id: string; account_id: string }, containers: readonly HostContainer[], at = Date.now()): Promise<boolean> {
  const rows: HostContainersTable[] = containers.map((c) => ({
    host_id: host.id,
    container_id: c.id,
    account_id: host.account_id,
    name: c.name ?? null,
    image: c.image,
    image_digests: JSON.stringify(c.imageDigests),
    running: Number(c.running),
    host_network: Number(c.hostNetwork === true),
    ports: JSON.stringify(c.ports),
    runtime: c.runtime,
    updated_at: at,
  }));
  const comparable = (r: HostContainersTable) => JSON.stringify([r.container_id, r.name, r.image, r.image_digests, r.running, r.host_network, r.ports, r.runtime]);
  const prior = await db.kysely.selectFrom('host_containers').selectAll().where('host_id', '=', host.id).orderBy('container_id').execute();
  const next = [...rows].sort((a, b) => a.container_id.localeCompare(b.container_id));
  if (prior.length === next.length && prior.every((p, i) => comparable(p) === comparable(next[i]!))) return false;
  await db.kysely.deleteFrom('host_containers').where('host_id', '=', host.id).execute();
  for (const slice of chunks(next, rowsPerStatement(11))) await db.kysely.insertInto('host_containers').values(slice).execute();
  return true;
}

/** The computed reachability of the hosts running these containers (those the snapshot describes). */
async function hostReach(db: Db, hostIds: readonly string[]): Promise<Map<string, HostReach>> {
  const out = new Map<string, HostReach>();
  for (const ids of chunks([...new Set(hostIds)], 1000)) {
    const rows = await db.kysely
      .selectFrom('host_reachability as h')
      .innerJoin('resources as r', 'r.id', 'h.resource_id')
      .select(['h.resource_id', 'r.name', 'h.reachable', 'h.reason', 'h.exposures'])
      .where('h.resource_id', 'in', ids)
      .execute();
    for (const r of rows) out.set(r.resource_id, { hostName: r.name, reachable: r.reachable === 1, reason: r.reason, exposures: JSON.parse(r.exposures) as Exposure[] });
  }
  return out;
}

/** An account's containers, and the ones some image of the account matches by digest (they never match by tag). */
async function accountContainers(db: Db, accountId: string): Promise<{ containers: StoredContainer[]; digestOwned: Set<StoredContainer>; digests: string[] }> {
  const containers = (await db.kysely.selectFrom('host_containers').selectAll().where('account_id', '=', accountId).execute()).map(toStored);
  const digests = [...new Set(containers.flatMap((c) => c.imageDigests))];
  const known = new Set<string>();
  for (const slice of chunks(digests, 1000)) {
    for (const r of await db.kysely.selectFrom('resources').select('image_digest').where('account_id', '=', accountId).where('type', '=', IMAGE).where('image_digest', 'in', slice).execute()) {
      if (r.image_digest) known.add(r.image_digest);
    }
  }
  return { containers, digestOwned: new Set(containers.filter((c) => c.imageDigests.some((d) => known.has(d)))), digests };
}

/** The reachability of the given images of one account, from the hosts running them (absent: nothing known). */
export async function computeImageReachability(db: Db, accountId: string, images: readonly ImageIdentity[]): Promise<Map<string, { reachable: boolean; reason: string }>> {
  const out = new Map<string, { reachable: boolean; reason: string }>();
  if (images.length === 0) return out;
  const { containers, digestOwned } = await accountContainers(db, accountId);
  if (containers.length === 0) return out;
  const links = linkContainers(containers, images, digestOwned);
  const hosts = await hostReach(db, [...links.values()].flat().map((c) => c.hostId));
  for (const [imageId, runs] of links) {
    const r = imageReachability(runs, hosts);
    if (r) out.set(imageId, r);
  }
  return out;
}

/** The account's image resources some container could run: by digest, by repository, or by name. */
async function candidateImages(db: Db, accountId: string, containers: readonly StoredContainer[], digests: readonly string[]): Promise<ImageIdentity[]> {
  const refs = containers.map((c) => containerReference(c.image)).filter((r) => r !== undefined);
  const repositories = [...new Set(refs.map((r) => r.repository))];
  const names = [...new Set(refs.filter((r) => r.tag).map((r) => `${r.registry}/${r.repository}:${r.tag}`))];
  const found = new Map<string, ImageIdentity>();
  const select = () => db.kysely.selectFrom('resources').select(['id', 'name', 'image_registry', 'image_repository', 'image_digest', 'image_tags']).where('account_id', '=', accountId).where('type', '=', IMAGE);
  for (const slice of chunks([...digests], 1000)) for (const r of await select().where('image_digest', 'in', slice).execute()) found.set(r.id, imageIdentity(r));
  for (const slice of chunks(repositories, 1000)) for (const r of await select().where('image_repository', 'in', slice).execute()) found.set(r.id, imageIdentity(r));
  for (const slice of chunks(names, 1000)) for (const r of await select().where('name', 'in', slice).execute()) found.set(r.id, imageIdentity(r));
  return [...found.values()];
}

/**
 * Computes the reachability of every image of the account that runs on a recorded host,
 * writes what changed, and forgets images that no longer run anywhere known. Returns the
 * images whose reachability changed (to re-score).
 */
export async function refreshImageReachability(db: Db, accountId: string, at = Date.now()): Promise<string[]> {
  const { containers, digests } = await accountContainers(db, accountId);
  const images = containers.length > 0 ? await candidateImages(db, accountId, containers, digests) : [];
  const computed = await computeImageReachability(db, accountId, images);
  const stored = new Map((await db.kysely.selectFrom('image_reachability').selectAll().where('account_id', '=', accountId).execute()).map((r) => [r.resource_id, r]));
  const changed: string[] = [];
  await db.kysely.transaction().execute(async (trx) => {
    for (const [id, r] of computed) {
      const prior = stored.get(id);
      stored.delete(id);
      if (prior && prior.reachable === Number(r.reachable) && prior.reason === r.reason) continue;
      changed.push(id);
      const row = { resource_id: id, account_id: accountId, reachable: Number(r.reachable), reason: r.reason, updated_at: at };
      await trx.insertInto('image_reachability').values(row).onConflict((oc) => oc.column('resource_id').doUpdateSet({ reachable: row.reachable, reason: row.reason, updated_at: at })).execute();
    }
    // Images that no longer run on a known host: their scores go back to the typed context.
    const gone = [...stored.keys()];
    for (const ids of chunks(gone, 1000)) await trx.deleteFrom('image_reachability').where('resource_id', 'in', ids).execute();
    changed.push(...gone);
  });
  return changed.sort();
}

/** The reachability of image resources, as scan context: the stored one, else computed (an image the analysis has not seen). */
export async function imageContexts(db: Db, rows: readonly Pick<ResourcesTable, 'id' | 'account_id' | 'name' | 'image_registry' | 'image_repository' | 'image_digest' | 'image_tags'>[]): Promise<Map<string, { internetReachable: boolean; reachabilityReason: string }>> {
  const out = new Map<string, { internetReachable: boolean; reachabilityReason: string }>();
  if (rows.length === 0) return out;
  for (const ids of chunks(rows.map((r) => r.id), 1000)) {
    for (const r of await db.kysely.selectFrom('image_reachability').select(['resource_id', 'reachable', 'reason']).where('resource_id', 'in', ids).execute()) {
      out.set(r.resource_id, { internetReachable: r.reachable === 1, reachabilityReason: r.reason });
    }
  }
  const missing = rows.filter((r) => !out.has(r.id));
  const accounts = [...new Set(missing.map((r) => r.account_id))];
  // Most accounts record no containers: one query tells.
  const withContainers = new Set<string>();
  for (const slice of chunks(accounts, 1000)) {
    for (const r of await db.kysely.selectFrom('host_containers').select('account_id').distinct().where('account_id', 'in', slice).execute()) withContainers.add(r.account_id);
  }
  for (const accountId of withContainers) {
    const computed = await computeImageReachability(db, accountId, missing.filter((r) => r.account_id === accountId).map(imageIdentity));
    for (const [id, r] of computed) out.set(id, { internetReachable: r.reachable, reachabilityReason: r.reason });
  }
  return out;
}

/** A host's containers and the image resources they run, for the API. */
export interface RunningImage {
  containerId: string;
  name?: string;
  image: string;
  imageDigests: string[];
  running: boolean;
  hostNetwork: boolean;
  ports: PublishedPort[];
  runtime: string;
  /** The account's image resources this container runs. */
  resources: { id: string; name: string }[];
}

/** The containers of a host, each with the images it runs. */
export async function runningImagesOf(db: Db, host: Pick<ResourcesTable, 'id' | 'account_id'>): Promise<RunningImage[]> {
  const rows = await db.kysely.selectFrom('host_containers').selectAll().where('host_id', '=', host.id).execute();
  if (rows.length === 0) return [];
  const { containers, digestOwned, digests } = await accountContainers(db, host.account_id);
  const mine = containers.filter((c) => c.hostId === host.id);
  const images = await candidateImages(db, host.account_id, mine, digests);
  const links = linkContainers(mine, images, digestOwned);
  const byId = new Map(images.map((i) => [i.id, i]));
  const runtimes = new Map(rows.map((r) => [r.container_id, r.runtime]));
  return mine
    .map((c) => ({
      containerId: c.containerId,
      ...(c.name ? { name: c.name } : {}),
      image: c.image,
      imageDigests: c.imageDigests,
      running: c.running,
      hostNetwork: c.hostNetwork,
      ports: c.ports,
      runtime: runtimes.get(c.containerId) ?? 'docker',
      resources: [...links].filter(([, runs]) => runs.includes(c)).map(([id]) => ({ id, name: byId.get(id)!.name })),
    }))
    .sort((a, b) => (a.name ?? a.containerId).localeCompare(b.name ?? b.containerId));
}

/** Where an image runs, for the API: each host and container running it, and its computed reachability. */
export interface RunsOn {
  hostId: string;
  hostName: string;
  containerId: string;
  containerName?: string;
  running: boolean;
  ports: PublishedPort[];
}

/** The hosts an image resource runs on. */
export async function runsOnOf(db: Db, image: ResourcesTable): Promise<RunsOn[]> {
  const { containers, digestOwned } = await accountContainers(db, image.account_id);
  if (containers.length === 0) return [];
  const runs = linkContainers(containers, [imageIdentity(image)], digestOwned).get(image.id) ?? [];
  if (runs.length === 0) return [];
  const names = new Map<string, string>();
  for (const r of await db.kysely.selectFrom('resources').select(['id', 'name']).where('id', 'in', [...new Set(runs.map((c) => c.hostId))]).execute()) names.set(r.id, r.name);
  return runs
    .map((c) => ({ hostId: c.hostId, hostName: names.get(c.hostId) ?? c.hostId, containerId: c.containerId, ...(c.name ? { containerName: c.name } : {}), running: c.running, ports: c.ports }))
    .sort((a, b) => a.hostName.localeCompare(b.hostName) || a.containerId.localeCompare(b.containerId));
}
