/**
 * A vendor's own severity word for a vulnerability, with who said it, read from the advisory
 * records that matched: the fallback when no source publishes a CVSS vector.
 *
 * Where each source puts its word:
 * - Ubuntu: a record `severity` entry of type `Ubuntu` (the priority: negligible … critical);
 * - Debian: `affected[].ecosystem_specific.urgency` of osv.dev's DEBIAN-CVE records (the
 *   security tracker's urgency; a trailing `*` marks one not yet reviewed and is dropped);
 * - GitHub: `database_specific.severity` of GHSA records (LOW, MODERATE, HIGH, CRITICAL);
 * - Red Hat, SUSE, Amazon Linux (updateinfo), Alma, Rocky, Oracle and other records:
 *   `database_specific.severity` or `affected[].ecosystem_specific.severity` /
 *   `affected[].database_specific.severity`.
 *
 * Debian changelog upload urgency (`database_specific.urgency` of records derived from
 * changelogs) is not read: it says how fast an upload should migrate, not how severe a flaw is.
 */
import { tryParseEcosystem } from '../ecosystems.js';
import { SEVERITY_ORDER, severityFromVendorWord } from '../scoring/severity.js';
import type { VendorRating } from '../scoring/context.js';
import type { OsvAffected, OsvRecord } from '../vulndb/types.js';

/** The records behind one finding, as the engine groups them. */
export interface RatedMatch {
  record: OsvRecord;
  affected: readonly OsvAffected[];
}

function wordOf(holder: Record<string, unknown> | undefined, key: string): string | undefined {
  const value = holder?.[key];
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

/** Who speaks through a record's severity word: GitHub for GHSA ids, else the ecosystem's distribution or registry. */
function speakerOf(record: OsvRecord, affected: readonly OsvAffected[]): string {
  if (record.id.startsWith('GHSA-')) return 'GitHub (GHSA)';
  const ecosystem = affected.find((a) => a.package)?.package?.ecosystem ?? record.affected?.find((a) => a.package)?.package?.ecosystem;
  return (ecosystem && tryParseEcosystem(ecosystem)?.info.name) ?? record.id.split('-')[0];
}

/** Every rating the records carry, in record order. */
function ratingsOf(match: RatedMatch): VendorRating[] {
  const out: VendorRating[] = [];
  const { record, affected } = match;
  const speaker = speakerOf(record, affected);
  for (const s of record.severity ?? []) if (s.type === 'Ubuntu' && s.score.trim()) out.push({ rating: s.score.trim(), source: 'Ubuntu priority' });
  for (const a of affected) {
    const urgency = wordOf(a.ecosystem_specific, 'urgency');
    if (urgency) out.push({ rating: urgency.replace(/\*+$/, ''), source: `${speaker === 'Debian' ? 'Debian security tracker' : speaker} urgency` });
  }
  const top = wordOf(record.database_specific, 'severity');
  if (top) out.push({ rating: top, source: `${speaker} severity` });
  for (const a of affected) {
    for (const holder of [a.ecosystem_specific, a.database_specific]) {
      const word = wordOf(holder, 'severity');
      if (word) out.push({ rating: word, source: `${speaker} severity` });
    }
  }
  return out;
}

/**
 * The most severe rating any matched record gives (words Vigil does not know, such as Debian's
 * "not yet assigned", count as no rating), or undefined when nobody rated it.
 */
export function vendorRating(matches: readonly RatedMatch[]): VendorRating | undefined {
  let best: { rating: VendorRating; rank: number } | undefined;
  for (const match of matches) {
    for (const rating of ratingsOf(match)) {
      const severity = severityFromVendorWord(rating.rating);
      if (!severity) continue;
      const rank = SEVERITY_ORDER.indexOf(severity);
      if (!best || rank < best.rank) best = { rating, rank };
    }
  }
  return best?.rating;
}
