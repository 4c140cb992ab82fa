/**
 * SBOMs of stored inventories: one resource's (CycloneDX 1.6 or SPDX 2.3, written by the
 * same writers as `vigil sbom`) and an archive (tar.gz) of every resource's SBOM in a scope,
 * streamed resource by resource so the archive never sits in memory.
 */
import { pipeline, Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import tar from 'tar-stream';
import type { Db } from '../db/connect.js';
import type { ResourcesTable } from '../db/schema.js';
import { toCycloneDxJson, toSpdxJson } from '../inventory/sbom/index.js';
import type { Inventory } from '../inventory/types.js';
import { loadInventory } from './inventories.js';
import { listResources } from './resources.js';
import type { AccountScope } from './scope.js';

/** SBOM formats the server writes. */
export const SERVER_SBOM_FORMATS = ['cyclonedx', 'spdx'] as const;
/** One of them. */
export type ServerSbomFormat = (typeof SERVER_SBOM_FORMATS)[number];

/** Media type and file suffix of each format. */
export const SBOM_MEDIA: Record<ServerSbomFormat, { type: string; suffix: string }> = {
  cyclonedx: { type: 'application/vnd.cyclonedx+json; version=1.6', suffix: 'cdx.json' },
  spdx: { type: 'application/spdx+json', suffix: 'spdx.json' },
};

/**
 * The inventory as the SBOM of the stored resource: its name, not the path it was read
 * from, names the subject, since that is what the organization knows it by.
 */
export function renderResourceSbom(resource: Pick<ResourcesTable, 'name'>, inventory: Inventory, format: ServerSbomFormat): string {
  const subject: Inventory = { ...inventory, target: { ...inventory.target, name: resource.name } };
  return `${format === 'cyclonedx' ? toCycloneDxJson(subject) : toSpdxJson(subject)}\n`;
}

/** A file name from a resource name: letters, digits, dot, dash and underscore, at most 80. */
export function safeFileName(name: string): string {
  const s = name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '').slice(0, 80);
  return s || 'resource';
}

/** One resource's SBOM of its newest (or a given) inventory, or undefined when none is stored. */
export async function resourceSbom(db: Db, resource: ResourcesTable, format: ServerSbomFormat, version?: number): Promise<{ body: string; version: number } | undefined> {
  const inv = await loadInventory(db, resource.id, version);
  if (!inv) return undefined;
  return { body: renderResourceSbom(resource, inv.inventory, format), version: inv.version };
}

/** What the archive's `index.json` lists for each resource. */
interface ArchiveEntry {
  path: string;
  resourceId: string;
  accountId: string;
  type: string;
  name: string;
  inventoryVersion: number;
  packageCount: number;
}

async function* archiveEntries(db: Db, scope: AccountScope, format: ServerSbomFormat, signal?: AbortSignal): AsyncGenerator<{ entry: ArchiveEntry; body: string }> {
  let after: string | undefined;
  for (;;) {
    const page = await listResources(db, scope, { after, limit: 100 });
    for (const r of page) {
      signal?.throwIfAborted();
      const inv = await loadInventory(db, r.id);
      // A resource registered but never scanned has no inventory, hence no SBOM.
      if (!inv) continue;
      const path = `${safeFileName(r.account_id)}/${safeFileName(r.name)}-${r.id}.${SBOM_MEDIA[format].suffix}`;
      const entry = { path, resourceId: r.id, accountId: r.account_id, type: r.type, name: r.name, inventoryVersion: inv.version, packageCount: inv.inventory.packages.length };
      yield { entry, body: renderResourceSbom(r, inv.inventory, format) };
    }
    if (page.length < 100) return;
    after = page[page.length - 1].id;
  }
}

/**
 * A gzipped tar of every resource's SBOM in the scope, `<account>/<name>-<id>.<suffix>`,
 * closing with `index.json` (what each file is). Errors end the stream with that error.
 */
export function sbomArchive(db: Db, scope: AccountScope, format: ServerSbomFormat, signal?: AbortSignal): Readable {
  const pack = tar.pack();
  const gzip = createGzip();
  const mtime = new Date();
  // An entry written through its own stream waits while the reader is behind (backpressure),
  // so a slow client holds back the database reads instead of filling memory.
  const add = (name: string, body: string) =>
    new Promise<void>((resolve, reject) => {
      const data = Buffer.from(body, 'utf8');
      const entry = pack.entry({ name, mtime, mode: 0o644, size: data.length }, (err) => (err ? reject(err) : resolve()));
      entry.end(data);
    });
  void (async () => {
    const index: ArchiveEntry[] = [];
    try {
      for await (const { entry, body } of archiveEntries(db, scope, format, signal)) {
        await add(entry.path, body);
        index.push(entry);
      }
      await add('index.json', `${JSON.stringify({ format, generatedAt: mtime.toISOString(), resources: index }, null, 2)}\n`);
      pack.finalize();
    } catch (err) {
      pack.destroy(err as Error);
    }
  })();
  // tar-stream's pack is a streamx Readable: bridge it into a Node stream for the gzip, which
  // ends with the pack's error if there is one.
  pipeline(Readable.from(pack as AsyncIterable<Buffer>), gzip, () => undefined);
  return gzip;
}
