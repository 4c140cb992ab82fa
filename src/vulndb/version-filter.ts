/**
 * Whether a version lies inside OSV `affected` entries, for `vigil db search --version`.
 * Versions compare only through the ecosystem's scheme (`schemeFor`); a version or bound
 * the scheme cannot read gives `unknown`, never a guess with another scheme.
 */
import { schemeFor, type VersionScheme } from '../versioning/index.js';
import type { OsvAffected, OsvEvent } from './types.js';

/** The verdict for one version against a set of affected entries. */
export type AffectsVerdict = 'yes' | 'no' | 'unknown';

/** Evaluates `version` against every entry; `yes` wins over `unknown`, which wins over `no`. */
export function affectsVersion(ecosystem: string, version: string, affected: readonly OsvAffected[]): AffectsVerdict {
  let scheme: VersionScheme;
  try {
    scheme = schemeFor(ecosystem);
  } catch {
    return 'unknown';
  }
  let unknown = !scheme.isValid(version);
  for (const a of affected) {
    if (a.versions?.includes(version)) return 'yes';
    if (unknown) continue;
    for (const r of a.ranges ?? []) {
      if (r.type === 'GIT') continue;
      const v = inRange(scheme, version, r.events);
      if (v === 'yes') return 'yes';
      if (v === 'unknown') unknown = true;
    }
  }
  return unknown ? 'unknown' : 'no';
}

function eventVersion(e: OsvEvent): string {
  return e.introduced ?? e.fixed ?? e.last_affected ?? e.limit ?? '';
}

/** OSV's evaluation: walk the events in version order, toggling on introduced, off on fixed. */
function inRange(scheme: VersionScheme, version: string, events: readonly OsvEvent[]): AffectsVerdict {
  for (const e of events) {
    const ev = eventVersion(e);
    if (!(e.introduced === '0' || scheme.isValid(ev))) return 'unknown';
  }
  const sorted = [...events].sort((x, y) => {
    if (x.introduced === '0') return -1;
    if (y.introduced === '0') return 1;
    return scheme.compare(eventVersion(x), eventVersion(y));
  });
  let affected = false;
  for (const e of sorted) {
    if (e.introduced !== undefined) {
      if (e.introduced === '0' || scheme.compare(version, e.introduced) >= 0) affected = true;
    } else if (e.fixed !== undefined) {
      if (scheme.compare(version, e.fixed) >= 0) affected = false;
    } else if (e.last_affected !== undefined) {
      if (scheme.compare(version, e.last_affected) > 0) affected = false;
    } else if (e.limit !== undefined) {
      if (scheme.compare(version, e.limit) >= 0) affected = false;
    }
  }
  return affected ? 'yes' : 'no';
}
