/**
 * The matching projection of an OSV `affected` entry: only what the range evaluation
 * (`src/versioning/osv-range.ts`) reads. The store keeps it beside
 * each full record so that a lookup parses a few dozen bytes per advisory instead of the
 * record (a kernel advisory lists thousands of CVEs; PyPI and Go entries carry symbol lists).
 */
import type { OsvAffected, OsvRange } from './types.js';

/**
 * Reduces one entry to each range's type and events and the versions list. The package is
 * left out: the projection is stored under the package's key, so it names it by construction
 * (the range evaluation is told the ecosystem). Ranges keep their positions (verdicts name
 * ranges by index); `GIT` ranges, which evaluation skips by type, keep no events.
 */
export function matchProjection(entry: OsvAffected): OsvAffected {
  const out: OsvAffected = {};
  if (entry.ranges) out.ranges = entry.ranges.map((r): OsvRange => ({ type: r.type, events: r.type === 'GIT' ? [] : r.events }));
  if (entry.versions) out.versions = entry.versions;
  return out;
}
