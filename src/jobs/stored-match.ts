/**
 * Matching one stored inventory again, as re-evaluation does: the same function runs on the
 * job's own thread and in the matching worker (`match-worker.ts`), so both give the same result.
 */
import { indexedEcosystem, packagesUnderKeys } from '../findings/inventories.js';
import { findingPackageKey, inventoryFacts, type ReevaluationInput } from '../findings/lifecycle.js';
import type { Inventory } from '../inventory/types.js';
import type { ScanContext, ScanEngine } from '../matching/types.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** One stored inventory to match again, as read from the database. */
export interface StoredInventory {
  resourceId: string;
  inventoryVersion: number;
  /**
   * The stored JSON, parsed where it is matched: text, or its UTF-8 bytes (read as bytes, it
   * reaches the matching worker without a copy and stays out of this thread's heap).
   */
  inventory: string | Uint8Array;
  context: ScanContext;
  /** Index keys whose packages alone are matched again; absent to match the whole inventory. */
  keys?: ReadonlySet<string>;
}

/** A stored inventory that could not be parsed or matched, naming its resource. */
export class StoredInventoryError extends Error {
  constructor(
    readonly resourceId: string,
    readonly inventoryVersion: number,
    cause: unknown,
  ) {
    super(`stored inventory ${inventoryVersion} of resource ${resourceId} could not be matched: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'StoredInventoryError';
  }
}

/**
 * Matches a stored inventory: whole, or only the packages under its keys (recording the
 * whole inventory's coverage all the same). Throws {@link StoredInventoryError}.
 */
export function matchStored(engine: ScanEngine, stored: StoredInventory): ReevaluationInput {
  const { resourceId, inventoryVersion, context, keys } = stored;
  try {
    const inventory = JSON.parse(typeof stored.inventory === 'string' ? stored.inventory : utf8.decode(stored.inventory)) as Inventory;
    if (!keys) {
      const result = engine(inventory, context);
      return { resourceId, inventoryVersion, inventory: inventoryFacts(inventory, result.coverage), result };
    }
    const packages = packagesUnderKeys(inventory, keys);
    const scope = new Set(packages.map((p) => findingPackageKey(indexedEcosystem(p), p.name)));
    // Only some packages are matched again, but the coverage recorded is the whole inventory's.
    return { resourceId, inventoryVersion, inventory: inventoryFacts(inventory, engine.coverage?.(inventory)), result: engine({ ...inventory, packages }, context), scope };
  } catch (err) {
    throw new StoredInventoryError(resourceId, inventoryVersion, err);
  }
}
