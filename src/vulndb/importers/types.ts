/**
 * What an importer is: a parser from one source file (already read, decompressed and
 * verified) to advisory records in OSV shape, or to enrichment joined by CVE id.
 */
import { parse as parseYaml } from 'yaml';
import type { SourceEntry } from '../archive.js';
import type { CvssVector, EpssScore, KevEntry, OsvRecord } from '../types.js';

/** Enrichment for one CVE id from one source; the store merges sources at read time. */
export interface EnrichmentItem {
  cveId: string;
  cvss?: CvssVector[];
  cwes?: string[];
  references?: string[];
  kev?: KevEntry;
  epss?: EpssScore;
}

/** One parsed item: an advisory, or enrichment for a CVE id. */
export type ImportItem = { type: 'advisory'; record: OsvRecord } | { type: 'enrichment'; item: EnrichmentItem };

/** What an importer reports besides its items. */
export interface ImportContext {
  /** Records that a record (named by entry and id) was skipped, and why. */
  skip(item: string, reason: string): void;
  /** For sources whose files do not say it (updateinfo): the ecosystem with release the source names. */
  ecosystem?: string;
}

/** The source kinds `--source KIND=…` accepts. */
export type SourceKind = 'osv' | 'rubysec' | 'packagist' | 'alpine' | 'debian' | 'updateinfo' | 'nvd' | 'cve5' | 'kev' | 'epss';

/** A parser for one source kind. */
export interface Importer {
  /** The `--source` kind this importer reads. */
  readonly kind: SourceKind;
  /** Bump when its output changes, so stored data can be told apart. */
  readonly version: number;
  /** Advisories or enrichment. */
  readonly provides: 'advisories' | 'enrichment';
  /** The OSV ecosystem the advisories belong to, for native formats (`--only` filters on it). */
  readonly ecosystem?: string;
  /**
   * For sources published as one big JSON document (NVD's feeds): the top-level array whose
   * elements are handed to {@link parse} one by one, so the document is never held whole.
   */
  readonly arrayKey?: string;
  /** Whether an entry of the source is one this importer reads (others are ignored, not errors). */
  wants(name: string): boolean;
  /** Parses one entry. Bad records are reported through `ctx.skip` and left out. */
  parse(entry: SourceEntry, ctx: ImportContext): Iterable<ImportItem>;
}

/** The message of an error-like value, for skip reasons. */
export function reason(err: unknown): string {
  if (err && typeof err === 'object' && 'issues' in err && Array.isArray((err as { issues: unknown[] }).issues)) {
    const issues = (err as { issues: { path: PropertyKey[]; message: string }[] }).issues;
    return issues
      .slice(0, 3)
      .map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`)
      .join('; ');
  }
  return err instanceof Error ? err.message : String(err);
}

/** The base name of an entry, without directories and extension. */
export function stem(name: string): string {
  return (name.split('/').pop() ?? name).replace(/\.[^.]+$/, '');
}

/** Returned by {@link decodeEntry} when the entry was skipped. */
export const UNREADABLE = Symbol('unreadable');

/**
 * Decodes an entry's bytes as JSON or YAML; on a syntax error, records the skip (naming the
 * entry) and returns {@link UNREADABLE}, so importers validate only what parsed.
 */
export function decodeEntry(entry: SourceEntry, ctx: ImportContext, syntax: 'JSON' | 'YAML'): unknown {
  const text = entry.data.toString('utf8');
  try {
    return syntax === 'JSON' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    ctx.skip(entry.name, `not valid ${syntax}: ${reason(err)}`);
    return UNREADABLE;
  }
}
