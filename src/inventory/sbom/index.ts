/**
 * SBOM and inventory output formats, as reusable functions (the `sbom` and `scan` commands
 * both write them), and the readers for `sbom:` targets.
 */
import type { Inventory } from '../types.js';
import type { SbomFormat } from './formats.js';
import { toCycloneDxJson } from './cyclonedx.js';
import { toSpdxJson } from './spdx.js';

export { toCycloneDxJson } from './cyclonedx.js';
export { toSpdx, toSpdxJson, type SpdxDocument } from './spdx.js';
export { fromCycloneDx, fromSpdx, readSbomFile } from './read.js';

export { SBOM_FORMATS, type SbomFormat } from './formats.js';

/** Vigil's own inventory JSON (the {@link Inventory} object, documented in docs/inventory.md). */
export function toInventoryJson(inventory: Inventory): string {
  return JSON.stringify(inventory, null, 2);
}

/** The inventory in `format`, as text ending in a newline. */
export function formatInventory(inventory: Inventory, format: SbomFormat): string {
  switch (format) {
    case 'cyclonedx-json':
      return `${toCycloneDxJson(inventory)}\n`;
    case 'spdx-json':
      return `${toSpdxJson(inventory)}\n`;
    case 'json':
      return `${toInventoryJson(inventory)}\n`;
  }
}
