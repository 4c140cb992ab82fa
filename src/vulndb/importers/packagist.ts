/**
 * FriendsOfPHP/security-advisories YAML → OSV records in the Packagist ecosystem. Each
 * branch lists an affected interval (`['>=2.0', '<2.3.1']`), which maps to OSV directly.
 */
import type { OsvRecord } from '../types.js';
import { packagistSchema } from './packagist-schema.js';
import { ConstraintError, eventsForAffected, parseConjunction, type Interval } from './ranges.js';
import { UNREADABLE, decodeEntry, reason, stem, type ImportItem, type Importer } from './types.js';

/** `2016-08-28 23:50:00` (FriendsOfPHP's branch time) → RFC 3339, or undefined. */
function date(t: string | undefined): string | undefined {
  const m = t ? /^(\d{4}-\d\d-\d\d)(?:[ T](\d\d:\d\d)(:\d\d)?)?/.exec(t) : null;
  if (!m) return undefined;
  return `${m[1]}T${m[2] ?? '00:00'}${m[3] ?? ':00'}Z`;
}

/** Converts one parsed advisory; `path` is its name inside the source. */
export function packagistToOsv(path: string, adv: ReturnType<typeof packagistSchema.parse>): OsvRecord {
  const name = adv.reference.slice('composer://'.length);
  const intervals: Interval[] = [];
  const times: string[] = [];
  for (const [branchName, b] of Object.entries(adv.branches)) {
    try {
      intervals.push(parseConjunction(b.versions.join(',')));
    } catch (err) {
      throw new ConstraintError(`branch ${branchName}: ${(err as Error).message}`);
    }
    if (b.time) times.push(b.time);
  }
  times.sort();
  const cve = adv.cve && /^CVE-\d{4}-\d+$/i.test(adv.cve.trim()) ? adv.cve.trim().toUpperCase() : undefined;
  const published = date(times[0]);
  return {
    id: `FRIENDSOFPHP-${name}/${stem(path)}`,
    modified: date(times[times.length - 1]) ?? '0001-01-01T00:00:00Z',
    published,
    aliases: cve ? [cve] : [],
    summary: adv.title ?? undefined,
    affected: [{ package: { ecosystem: 'Packagist', name, purl: `pkg:composer/${name}` }, ranges: [{ type: 'ECOSYSTEM', events: eventsForAffected(intervals) }] }],
    references: adv.link ? [{ type: 'ADVISORY', url: adv.link }] : [],
    database_specific: { source: 'friendsofphp', path, branches: Object.keys(adv.branches) },
  };
}

/** The FriendsOfPHP importer. */
export const packagistImporter: Importer = {
  kind: 'packagist',
  version: 1,
  provides: 'advisories',
  ecosystem: 'Packagist',
  // <vendor>/<package>/<id>.yaml, possibly under one top-level folder of the archive.
  wants: (name) => /(^|\/)[^/.][^/]*\/[^/]+\/[^/]+\.ya?ml$/i.test(name) && !/(^|\/)\.[^/]+\//.test(name),
  *parse(entry, ctx): Iterable<ImportItem> {
    const raw = decodeEntry(entry, ctx, 'YAML');
    if (raw === UNREADABLE) return;
    const parsed = packagistSchema.safeParse(raw);
    if (!parsed.success) {
      ctx.skip(entry.name, `not a FriendsOfPHP advisory: ${reason(parsed.error)}`);
      return;
    }
    try {
      yield { type: 'advisory', record: packagistToOsv(entry.name, parsed.data) };
    } catch (err) {
      ctx.skip(entry.name, `bad version constraint: ${reason(err)}`);
    }
  },
};
