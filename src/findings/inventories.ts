/**
 * Stored inventories, versioned per resource, and the inverted index (ecosystem,
 * normalised package name) → resource that lets an advisory update find the inventories
 * to re-match without rescanning targets.
 */
import { sql } from 'kysely';
import { chunks } from '../db/batches.js';
import type { Db } from '../db/connect.js';
import { languageEcosystemForPurlType, normalizePackageName as normalizeForEcosystem } from '../ecosystems.js';
import type { Inventory, Package } from '../inventory/types.js';
import type { ChangedPackage } from '../vulndb/types.js';

/**
 * The name as the advisory index keys it (`src/ecosystems.ts`: PyPI per PEP 503, some
 * registries case-insensitive); names of ecosystems Vigil does not know stay as written.
 */
export function normalizePackageName(ecosystem: string, name: string): string {
  try {
    return normalizeForEcosystem(ecosystem, name);
  } catch {
    return name.trim();
  }
}

/**
 * The ecosystem a package is indexed and matched under: its own, or for a language package
 * whose inventory carries none, its PURL type's (as the matching engine does).
 */
export function indexedEcosystem(p: Package): string {
  return p.ecosystem || languageEcosystemForPurlType(p.purlType)?.name || '';
}

/** Key of one (ecosystem, name) pair of the inverted index, the name normalised. */
export function packageIndexKey(ecosystem: string, name: string): string {
  return `${ecosystem}\u0000${normalizePackageName(ecosystem, name)}`;
}

/** The distinct (ecosystem, name) pairs of an inventory, source packages included. */
export function inventoryPackageKeys(inventory: Inventory): ChangedPackage[] {
  const seen = new Set<string>();
  const out: ChangedPackage[] = [];
  const add = (ecosystem: string, name: string) => {
    if (!ecosystem || !name) return;
    const n = normalizePackageName(ecosystem, name);
    const key = `${ecosystem}\u0000${n}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ ecosystem, name: n });
  };
  for (const p of inventory.packages) {
    const ecosystem = indexedEcosystem(p);
    add(ecosystem, p.name);
    if (p.source) add(ecosystem, p.source.name);
  }
  return out;
}

/**
 * The packages of an inventory that the inverted index files under any of these keys
 * ({@link packageIndexKey}), by name or by source package: what an advisory change to those
 * keys can affect.
 */
export function packagesUnderKeys(inventory: Inventory, keys: ReadonlySet<string>): Package[] {
  // Names by ecosystem, so packages of other ecosystems (most of an inventory) cost one lookup.
  const names = new Map<string, Set<string>>();
  for (const key of keys) {
    const cut = key.indexOf('\u0000');
    const ecosystem = key.slice(0, cut);
    let set = names.get(ecosystem);
    if (!set) names.set(ecosystem, (set = new Set()));
    set.add(key.slice(cut + 1));
  }
  return inventory.packages.filter((p) => {
    const ecosystem = indexedEcosystem(p);
    const wanted = names.get(ecosystem);
    if (!wanted) return false;
    return wanted.has(normalizePackageName(ecosystem, p.name)) || (p.source !== undefined && wanted.has(normalizePackageName(ecosystem, p.source.name)));
  });
}

/** Stored inventories kept per resource, newest first; older versions are deleted as new ones arrive. */
export const INVENTORY_VERSIONS_KEPT = 10;

/**
 * Stores a new inventory version for the resource and rewrites its rows of the inverted
 * index. Call inside the scan's transaction. Returns the new version number.
 */
export async function storeInventory(db: Db, resource: { id: string; account_id: string }, inventory: Inventory, at: number): Promise<number> {
  const [version] = await storeInventories(db, [{ resource, inventory }], at);
  return version;
}

/**
 * {@link storeInventory} for many resources (each at most once) with a bounded number of
 * multi-row statements: bulk ingestion and seeding. Call inside a transaction. Returns the
 * new version numbers, in order.
 */
export async function storeInventories(db: Db, items: readonly { resource: { id: string; account_id: string }; inventory: Inventory }[], at: number): Promise<number[]> {
  const ids = items.map((i) => i.resource.id);
  if (new Set(ids).size !== ids.length) throw new Error('storeInventories: a resource appears twice in one call');
  const last = new Map<string, number>();
  for (const slice of chunks(ids, 1000)) {
    const rows = await db.kysely
      .selectFrom('inventories')
      .select(['resource_id', (eb) => eb.fn.max('version').as('v')])
      .where('resource_id', 'in', slice)
      .groupBy('resource_id')
      .execute();
    for (const r of rows) last.set(r.resource_id, Number(r.v));
  }
  const versions = items.map((i) => (last.get(i.resource.id) ?? 0) + 1);
  const bodies = items.map(({ resource, inventory }, n) => ({
    resource_id: resource.id,
    version: versions[n],
    account_id: resource.account_id,
    created_at: at,
    package_count: inventory.packages.length,
    inventory: JSON.stringify(inventory),
  }));
  // A few bodies per statement: they are large, and the parameter count is not what limits here.
  for (const slice of chunks(bodies, 50)) await db.kysely.insertInto('inventories').values(slice).execute();
  for (const slice of chunks(ids, 1000)) await db.kysely.deleteFrom('inventory_packages').where('resource_id', 'in', slice).execute();
  const rows = items.flatMap(({ resource, inventory }) => inventoryPackageKeys(inventory).map((k) => ({ ecosystem: k.ecosystem, name: k.name, resource_id: resource.id, account_id: resource.account_id })));
  // In index order, so the inserts walk the primary key instead of jumping around it.
  rows.sort((x, y) => (x.ecosystem < y.ecosystem ? -1 : x.ecosystem > y.ecosystem ? 1 : x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  for (const slice of chunks(rows, 5000)) await db.kysely.insertInto('inventory_packages').values(slice).execute();
  const byVersion = new Map<number, string[]>();
  items.forEach((item, n) => {
    const list = byVersion.get(versions[n]);
    if (list) list.push(item.resource.id);
    else byVersion.set(versions[n], [item.resource.id]);
  });
  for (const [version, list] of byVersion) {
    for (const slice of chunks(list, 1000)) {
      await db.kysely.updateTable('resources').set({ inventory_version: version }).where('id', 'in', slice).execute();
      // Hosts report every few hours and CI rescans on every push: only recent versions are kept.
      if (version > INVENTORY_VERSIONS_KEPT) {
        await db.kysely.deleteFrom('inventories').where('resource_id', 'in', slice).where('version', '<=', version - INVENTORY_VERSIONS_KEPT).execute();
      }
    }
  }
  return versions;
}

/** The newest stored inventory of a resource (or a given version). */
export async function loadInventory(db: Db, resourceId: string, version?: number): Promise<{ version: number; createdAt: number; inventory: Inventory } | undefined> {
  let q = db.kysely.selectFrom('inventories').select(['version', 'created_at', 'inventory']).where('resource_id', '=', resourceId);
  q = version === undefined ? q.orderBy('version', 'desc').limit(1) : q.where('version', '=', version);
  const row = await q.executeTakeFirst();
  if (!row) return undefined;
  return { version: row.version, createdAt: row.created_at, inventory: JSON.parse(row.inventory) as Inventory };
}

/** Inventory versions of a resource, newest first, without their bodies. */
export async function listInventoryVersions(db: Db, resourceId: string): Promise<{ version: number; createdAt: number; packageCount: number }[]> {
  const rows = await db.kysely
    .selectFrom('inventories')
    .select(['version', 'created_at', 'package_count'])
    .where('resource_id', '=', resourceId)
    .orderBy('version', 'desc')
    .execute();
  return rows.map((r) => ({ version: r.version, createdAt: r.created_at, packageCount: r.package_count }));
}

/**
 * The distinct ecosystems of the inverted index, by a loose index scan (one seek per
 * ecosystem on the index's leading column) rather than reading millions of rows.
 */
async function indexedEcosystems(db: Db): Promise<string[]> {
  const { rows } = await sql<{ ecosystem: string }>`
    WITH RECURSIVE e(x) AS (
      SELECT MIN(ecosystem) FROM inventory_packages
      UNION ALL
      SELECT (SELECT MIN(ecosystem) FROM inventory_packages WHERE ecosystem > e.x) FROM e WHERE e.x IS NOT NULL
    )
    SELECT x AS ecosystem FROM e WHERE x IS NOT NULL`.execute(db.kysely);
  return rows.map((r) => r.ecosystem);
}

/**
 * Resources whose latest inventory holds any changed package, each with the index keys
 * ({@link packageIndexKey}) it holds, through the inverted index with exact (ecosystem,
 * name) lookups only: a base ecosystem (`Debian`) is first expanded to the releases present
 * (`Debian:11`, `Debian:12`), so every lookup uses the index's key.
 */
export async function resourcesHoldingKeys(db: Db, changed: readonly ChangedPackage[]): Promise<Map<string, Set<string>>> {
  const present = changed.some((c) => !c.ecosystem.includes(':')) ? await indexedEcosystems(db) : [];
  const names = new Map<string, Set<string>>();
  for (const c of changed) {
    const targets = c.ecosystem.includes(':') ? [c.ecosystem] : present.filter((e) => e === c.ecosystem || e.startsWith(`${c.ecosystem}:`));
    for (const eco of targets) {
      let set = names.get(eco);
      if (!set) names.set(eco, (set = new Set()));
      set.add(normalizePackageName(eco, c.name));
    }
  }
  const found = new Map<string, Set<string>>();
  for (const [eco, set] of names) {
    for (const slice of chunks([...set], 1000)) {
      const rows = await db.kysely
        .selectFrom('inventory_packages')
        .select(['resource_id', 'name'])
        .where('ecosystem', '=', eco)
        .where('name', 'in', slice)
        .execute();
      for (const r of rows) {
        let keys = found.get(r.resource_id);
        if (!keys) found.set(r.resource_id, (keys = new Set()));
        keys.add(`${eco}\u0000${r.name}`);
      }
    }
  }
  return found;
}
