/**
 * The local advisory store as the engine's index: the store answers lookups, and its list of
 * packages with advisories lets the engine skip the many packages that have none (one query
 * per ecosystem instead of one per package).
 */
import type { VulnDb } from '../vulndb/store.js';
import type { AdvisoryIndex } from '../vulndb/types.js';

/** Wraps an opened store; lookups go straight to it, name sets are built once per ecosystem. */
export function storeIndex(db: VulnDb): AdvisoryIndex {
  const names = new Map<string, ReadonlySet<string>>();
  return {
    advisoriesFor: (ecosystem, name) => db.advisoriesFor(ecosystem, name),
    vulnerability: (id) => db.vulnerability(id),
    enrichment: (cveIds) => db.enrichment(cveIds),
    coverage: () => db.coverage(),
    packageNames(ecosystem) {
      let set = names.get(ecosystem);
      if (!set) {
        set = new Set(db.packages(ecosystem).map((p) => p.name));
        names.set(ecosystem, set);
      }
      return set;
    },
  };
}
