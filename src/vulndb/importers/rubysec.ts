/**
 * ruby-advisory-db (rubysec) YAML → OSV records in the RubyGems ecosystem. Rubysec lists
 * the safe versions (patched and unaffected); the affected ranges are everything else,
 * ordered with RubyGems' own version order.
 */
import { schemes } from '../../versioning/index.js';
import type { OsvRecord } from '../types.js';
import { ConstraintError, eventsOutside, parseConjunction, type Interval } from './ranges.js';
import { rubysecSchema } from './rubysec-schema.js';
import { UNREADABLE, decodeEntry, reason, stem, type ImportItem, type Importer } from './types.js';

/** RubyGems order, through the scheme; an unreadable bound makes the advisory a skipped record. */
function compareGem(a: string, b: string): number {
  try {
    return schemes.rubygems.compare(a, b);
  } catch (err) {
    throw new ConstraintError((err as Error).message);
  }
}

/** Converts one parsed rubysec advisory; `path` is its name inside the source. */
export function rubysecToOsv(path: string, adv: ReturnType<typeof rubysecSchema.parse>): OsvRecord {
  const gem = adv.gem;
  if (!gem) throw new Error('no gem: key (interpreter advisories under rubies/ have no OSV ecosystem)');
  const safe: Interval[] = [];
  for (const c of [...(adv.patched_versions ?? []), ...(adv.unaffected_versions ?? [])]) safe.push(parseConjunction(c));
  const events = eventsOutside(safe, compareGem);
  const aliases: string[] = [];
  if (adv.cve) aliases.push(`CVE-${adv.cve.replace(/^CVE-/i, '')}`);
  if (adv.ghsa) aliases.push(`GHSA-${adv.ghsa.replace(/^GHSA-/i, '')}`);
  if (adv.osvdb) aliases.push(`OSVDB-${adv.osvdb.replace(/^OSVDB-/i, '')}`);
  const urls = [...new Set([adv.url, ...(adv.related?.url ?? [])].filter((u): u is string => !!u))];
  const published = adv.date ? `${String(adv.date).slice(0, 10)}T00:00:00Z` : undefined;
  return {
    id: `RUBYSEC-${gem}-${stem(path)}`,
    modified: published ?? '0001-01-01T00:00:00Z',
    published,
    aliases,
    summary: adv.title ?? undefined,
    details: adv.description?.trim() || undefined,
    affected: events.length === 0 ? [] : [{ package: { ecosystem: 'RubyGems', name: gem, purl: `pkg:gem/${gem}` }, ranges: [{ type: 'ECOSYSTEM', events }] }],
    references: urls.map((url) => ({ type: url === adv.url ? 'ADVISORY' : 'WEB', url })),
    database_specific: {
      source: 'rubysec',
      path,
      ...(adv.cvss_v2 != null ? { cvss_v2_score: adv.cvss_v2 } : {}),
      ...(adv.cvss_v3 != null ? { cvss_v3_score: adv.cvss_v3 } : {}),
      ...(adv.cvss_v4 != null ? { cvss_v4_score: adv.cvss_v4 } : {}),
      ...(adv.patched_versions ? { patched_versions: adv.patched_versions } : {}),
      ...(adv.unaffected_versions ? { unaffected_versions: adv.unaffected_versions } : {}),
    },
  };
}

/** The rubysec importer. */
export const rubysecImporter: Importer = {
  kind: 'rubysec',
  version: 1,
  provides: 'advisories',
  ecosystem: 'RubyGems',
  wants: (name) => /(^|\/)(gems|rubies)\/[^/]+\/[^/]+\.ya?ml$/i.test(name),
  *parse(entry, ctx): Iterable<ImportItem> {
    const raw = decodeEntry(entry, ctx, 'YAML');
    if (raw === UNREADABLE) return;
    const parsed = rubysecSchema.safeParse(raw);
    if (!parsed.success) {
      ctx.skip(entry.name, `not a rubysec advisory: ${reason(parsed.error)}`);
      return;
    }
    try {
      yield { type: 'advisory', record: rubysecToOsv(entry.name, parsed.data) };
    } catch (err) {
      ctx.skip(entry.name, err instanceof ConstraintError ? `bad version constraint: ${err.message}` : reason(err));
    }
  },
};
