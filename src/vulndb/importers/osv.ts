/**
 * OSV records, one per `.json` (or `.yaml`, as pypa keeps them) file: osv.dev's
 * `<Ecosystem>/all.zip` exports, directories of loose records, single zips.
 */
import { parse as parseYaml } from 'yaml';
import type { OsvRecord } from '../types.js';
import { osvRecordSchema } from './osv-schema.js';
import { reason, type ImportContext, type ImportItem, type Importer } from './types.js';

/** Turns a validated record into the stored shape: nulls dropped, `modified` always set. */
export function normaliseOsvRecord(parsed: ReturnType<typeof osvRecordSchema.parse>): OsvRecord {
  const record = { ...parsed } as Record<string, unknown>;
  for (const key of Object.keys(record)) if (record[key] === null) delete record[key];
  // Go's repository copy carries the placeholder 0001-01-01 (the public feed fills it at
  // deploy time); keep it: change detection compares content, not this date.
  if (typeof record.modified !== 'string') record.modified = (record.published as string | undefined) ?? '0001-01-01T00:00:00Z';
  return record as unknown as OsvRecord;
}

/** Parses OSV JSON or YAML text; throws with the reason. */
export function parseOsvText(text: string, yaml: boolean): OsvRecord {
  const raw: unknown = yaml ? parseYaml(text, { schema: 'core' }) : JSON.parse(text);
  return normaliseOsvRecord(osvRecordSchema.parse(raw));
}

/** The OSV importer. */
export const osvImporter: Importer = {
  kind: 'osv',
  version: 1,
  provides: 'advisories',
  wants(name: string): boolean {
    const base = name.split('/').pop() ?? name;
    return /\.(json|ya?ml)$/i.test(base) && !/^(ecosystems|index|modified_id)/i.test(base);
  },
  *parse(entry, ctx: ImportContext): Iterable<ImportItem> {
    const text = entry.data.toString('utf8');
    const yaml = /\.ya?ml$/i.test(entry.name);
    // A file may hold one record or, in some mirrors, an array of them.
    let raw: unknown;
    try {
      raw = yaml ? parseYaml(text, { schema: 'core' }) : JSON.parse(text);
    } catch (err) {
      ctx.skip(entry.name, `not valid ${yaml ? 'YAML' : 'JSON'}: ${reason(err)}`);
      return;
    }
    const list = Array.isArray(raw) ? raw : [raw];
    for (const [i, item] of list.entries()) {
      const label = list.length > 1 ? `${entry.name}[${i}]` : entry.name;
      const parsed = osvRecordSchema.safeParse(item);
      if (!parsed.success) {
        ctx.skip(label, `not an OSV record: ${reason(parsed.error)}`);
        continue;
      }
      yield { type: 'advisory', record: normaliseOsvRecord(parsed.data) };
    }
  },
};
