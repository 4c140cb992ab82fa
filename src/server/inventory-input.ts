/**
 * Reads an inventory posted to `POST /scans`: Vigil inventory JSON (what
 * `vigil scan --format inventory` writes), or a CycloneDX / SPDX JSON SBOM, told apart by
 * their marker fields. Untrusted input: bounded, schema-checked, errors name the field.
 */
import { z } from 'zod';
import { fromCycloneDx, fromSpdx } from '../inventory/sbom/read.js';
import type { Inventory } from '../inventory/types.js';
import { badRequest } from './problem.js';
import type { SbomReader } from './router.js';
import { fieldErrors } from './validation.js';

const MAX_PACKAGES = 200_000;

const packageSchema = z
  .object({
    ecosystem: z.string().max(200),
    purlType: z.string().max(100),
    name: z.string().min(1).max(1000),
    version: z.string().max(500),
    source: z.object({ name: z.string().max(1000), version: z.string().max(500) }).optional(),
    purl: z.string().max(4000),
    locations: z.array(z.string().max(4096)).max(1000).default([]),
    layer: z.string().max(200).optional(),
    arch: z.string().max(100).optional(),
    kernel: z.boolean().optional(),
    dev: z.boolean().optional(),
    ownedBy: z.object({ purlType: z.enum(['deb', 'rpm', 'apk']), name: z.string(), version: z.string() }).optional(),
    extractor: z.string().max(200).default('unknown'),
    metadata: z.record(z.string(), z.string()).optional(),
  })
  .loose();

/** Vigil inventory JSON, checked. */
export const inventorySchema = z
  .object({
    schemaVersion: z.literal(1),
    target: z
      .object({
        type: z.enum(['dir', 'oci-dir', 'docker-archive', 'oci-archive', 'registry', 'sbom', 'file', 'host']),
        name: z.string().min(1).max(2000),
        digest: z.string().max(200).optional(),
        image: z
          .object({
            registry: z.string().optional(),
            repository: z.string().optional(),
            tags: z.array(z.string()).default([]),
            manifestDigest: z.string().optional(),
            layers: z.array(z.object({ digest: z.string() }).loose()).default([]),
            labels: z.record(z.string(), z.string()).default({}),
            history: z.array(z.object({}).loose()).default([]),
          })
          .loose()
          .optional(),
      })
      .loose(),
    os: z.object({ id: z.string(), ecosystem: z.string().optional() }).loose().optional(),
    packages: z.array(packageSchema).max(MAX_PACKAGES),
    warnings: z.array(z.object({ reason: z.string() }).loose()).default([]),
    partial: z.boolean().default(false),
    scannedAt: z.string().default(() => new Date().toISOString()),
  })
  .loose();

/** Which format a posted document is. */
export type InventoryFormat = 'vigil' | 'cyclonedx' | 'spdx';

/** Tells the format from marker fields; undefined when none matches. */
export function detectFormat(doc: unknown): InventoryFormat | undefined {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return undefined;
  const d = doc as Record<string, unknown>;
  if (d.bomFormat === 'CycloneDX') return 'cyclonedx';
  if (typeof d.spdxVersion === 'string') return 'spdx';
  if (d.schemaVersion === 1 && Array.isArray(d.packages)) return 'vigil';
  return undefined;
}

/** The SBOM's own name for what it describes, for the resource name. */
function sbomSubject(doc: Record<string, unknown>): string | undefined {
  const meta = doc.metadata as { component?: { name?: unknown; version?: unknown } } | undefined;
  const name = meta?.component?.name ?? doc.name;
  return typeof name === 'string' && name.length > 0 ? name.slice(0, 2000) : undefined;
}

/** Reads CycloneDX or SPDX JSON with the inventory module's SBOM readers. */
export const readSbomDocument: SbomReader = (doc, name) => {
  const target = { type: 'sbom' as const, name: sbomSubject(doc as Record<string, unknown>) ?? name };
  return detectFormat(doc) === 'spdx' ? fromSpdx(doc, target) : fromCycloneDx(doc, target);
};

/** Parses a posted inventory document of any supported format. */
export function parseInventoryDocument(doc: unknown, readSbom: SbomReader = readSbomDocument, name = 'posted SBOM'): { format: InventoryFormat; inventory: Inventory } {
  const format = detectFormat(doc);
  if (!format) throw badRequest('inventory is not Vigil inventory JSON (schemaVersion 1), CycloneDX JSON (bomFormat) or SPDX JSON (spdxVersion)');
  if (format === 'vigil') {
    const r = inventorySchema.safeParse(doc);
    if (!r.success) throw badRequest('inventory is not valid Vigil inventory JSON', fieldErrors(r.error, '/inventory'));
    return { format, inventory: r.data as unknown as Inventory };
  }
  try {
    return { format, inventory: readSbom(doc, name) };
  } catch (err) {
    throw badRequest(`inventory is not a readable ${format === 'cyclonedx' ? 'CycloneDX' : 'SPDX'} document: ${(err as Error).message}`);
  }
}
