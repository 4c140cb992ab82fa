/**
 * For a distribution finding with no fix in its release: the newest data says whether a later
 * release of the same distribution fixes it (Debian 13 ships the fix Debian 12 has not got).
 * That is a different remedy (upgrade the distribution, or rebuild on a newer base), so the
 * plan names it apart from "no fix published".
 */
import { tryParseEcosystem } from '../ecosystems.js';
import type { ScanEngine } from '../matching/types.js';
import type { AdvisoryIndex, OsvAffected } from '../vulndb/types.js';
import type { NewerReleaseLookup, PlanFinding } from './plan.js';

/** Release strings compared by their numbers (`12` < `13`, `v3.19` < `v3.20`, `22.04:LTS` < `24.04:LTS`). */
function releaseNumbers(release: string): number[] {
  return (release.match(/\d+/g) ?? []).map(Number);
}

function compareReleases(a: string, b: string): number {
  const x = releaseNumbers(a);
  const y = releaseNumbers(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? -1) - (y[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
}

/** The first `fixed` event of the entry's ranges. */
function fixedIn(affected: OsvAffected): string | undefined {
  for (const range of affected.ranges ?? []) {
    for (const event of range.events) if ('fixed' in event && typeof event.fixed === 'string') return event.fixed;
  }
  return undefined;
}

/**
 * A lookup over the index's releases of each distribution (from its coverage list). Undefined
 * when the index cannot list what it holds.
 */
export function newerReleaseLookup(index: AdvisoryIndex): NewerReleaseLookup | undefined {
  const held = index.coverage?.().map((c) => c.ecosystem);
  if (!held) return undefined;
  return (f: PlanFinding) => {
    const eco = tryParseEcosystem(f.package.ecosystem);
    if (!eco || eco.info.kind !== 'os' || eco.release === undefined) return undefined;
    const current = eco.release;
    const newer = held
      .map((e) => tryParseEcosystem(e))
      .filter((e) => e?.info.name === eco.info.name && e.release !== undefined && compareReleases(e.release, current) > 0)
      .sort((a, b) => compareReleases(a!.release!, b!.release!));
    const name = eco.info.keyedBySource && f.package.source ? f.package.source.name : f.package.name;
    for (const release of newer) {
      for (const advisory of index.advisoriesFor(release!.raw, name)) {
        const names = advisory.vulnerabilities ?? [advisory.record.id, ...(advisory.record.aliases ?? [])];
        if (!names.includes(f.id)) continue;
        for (const affected of advisory.affected) {
          const fixed = fixedIn(affected);
          if (fixed !== undefined) return { ecosystem: release!.raw, version: fixed };
        }
      }
    }
    return undefined;
  };
}

/** The lookup over a server's engine's index (undefined without an engine, or one that cannot list its releases). */
export function engineNewerRelease(engine: ScanEngine | undefined): NewerReleaseLookup | undefined {
  return engine?.index ? newerReleaseLookup(engine.index) : undefined;
}
