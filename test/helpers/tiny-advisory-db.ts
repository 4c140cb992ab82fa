/**
 * A tiny in-memory {@link AdvisoryIndex} for matcher tests: declare a handful of OSV records
 * (and enrichment), get an index that answers like the real store does — distro ecosystems
 * by exact release, language ecosystems by base name, names normalised per ecosystem, aliases
 * grouped under the CVE.
 */
import { canonicalEcosystem, normalizePackageName, parseEcosystem, tryParseEcosystem } from '../../src/ecosystems.js';
import { VulnDbWriter } from '../../src/vulndb/store.js';
import type { AdvisoryIndex, EcosystemCoverage, Enrichment, IndexedAdvisory, OsvAffected, OsvRecord, Vulnerability } from '../../src/vulndb/types.js';

/**
 * Builds the index over these records and enrichment entries. With `coverage`, it also answers
 * {@link AdvisoryIndex.coverage} (records per ecosystem key, all from the one source named),
 * so scans say which of their ecosystems have no data, as over the real store.
 */
export function tinyAdvisoryDb(
  records: readonly OsvRecord[],
  enrichment: readonly Enrichment[] = [],
  opts: { coverage?: { source: string } } = {},
): AdvisoryIndex & { lookups: number } {
  const byKey = new Map<string, IndexedAdvisory[]>();
  const keyFor = (ecosystem: string, name: string): string | undefined => {
    const parsed = tryParseEcosystem(ecosystem);
    if (!parsed) return undefined;
    // Distributions answer for their exact release only; language ecosystems have none.
    const eco = parsed.info.kind === 'os' ? canonicalEcosystem(ecosystem) : parsed.info.name;
    return `${eco}\u0000${normalizePackageName(ecosystem, name)}`;
  };
  for (const record of records) {
    const grouped = new Map<string, OsvAffected[]>();
    for (const affected of record.affected ?? []) {
      if (!affected.package) continue;
      const key = keyFor(affected.package.ecosystem, affected.package.name);
      if (!key) continue;
      grouped.set(key, [...(grouped.get(key) ?? []), affected]);
    }
    for (const [key, affected] of grouped) byKey.set(key, [...(byKey.get(key) ?? []), { record, affected }]);
  }
  const enrichmentById = new Map(enrichment.map((e) => [e.cveId, e]));

  const coverage = (): EcosystemCoverage[] => {
    const by = new Map<string, { advisories: Set<OsvRecord>; names: Set<string> }>();
    for (const [key, list] of byKey) {
      const [eco, name] = key.split('\u0000');
      const c = by.get(eco) ?? { advisories: new Set<OsvRecord>(), names: new Set<string>() };
      for (const a of list) c.advisories.add(a.record);
      c.names.add(name);
      by.set(eco, c);
    }
    return [...by]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([ecosystem, c]) => ({
        ecosystem,
        advisories: c.advisories.size,
        withdrawn: [...c.advisories].filter((r) => r.withdrawn).length,
        packages: c.names.size,
        sources: [opts.coverage!.source],
        newestModified: [...c.advisories].map((r) => r.modified).sort().at(-1),
      }));
  };
  const index = {
    ...(opts.coverage ? { coverage } : {}),
    lookups: 0,
    advisoriesFor(ecosystem: string, name: string): IndexedAdvisory[] {
      index.lookups++;
      const key = keyFor(ecosystem, name);
      return key ? (byKey.get(key) ?? []) : [];
    },
    vulnerability(id: string): Vulnerability | undefined {
      const group = records.filter((r) => r.id === id || (r.aliases ?? []).includes(id));
      if (group.length === 0) return undefined;
      const ids = new Set(group.flatMap((r) => [r.id, ...(r.aliases ?? [])]));
      const primary = [...ids].find((i) => i.startsWith('CVE-')) ?? group[0].id;
      return {
        id: primary,
        aliases: [...ids].filter((i) => i !== primary).sort(),
        records: group,
        enrichment: [...ids].flatMap((i) => (enrichmentById.has(i) ? [enrichmentById.get(i)!] : [])),
        withdrawn: group.every((r) => r.withdrawn !== undefined),
      };
    },
    enrichment(cveIds: readonly string[]): Enrichment[] {
      return cveIds.flatMap((id) => (enrichmentById.has(id) ? [enrichmentById.get(id)!] : []));
    },
    packageNames(ecosystem: string): ReadonlySet<string> | undefined {
      const prefix = keyFor(ecosystem, 'x')?.split('\u0000')[0];
      if (prefix === undefined) return undefined;
      return new Set([...byKey.keys()].filter((k) => k.startsWith(`${prefix}\u0000`)).map((k) => k.slice(prefix.length + 1)));
    },
  };
  return index;
}

/** Shorthand for one OSV record affecting one package with ECOSYSTEM ranges. */
export function advisory(
  id: string,
  ecosystem: string,
  name: string,
  events: Record<string, string>[][],
  extra: Partial<OsvRecord> = {},
): OsvRecord {
  parseEcosystem(ecosystem); // fail fast on a typo in a test's declared data
  return {
    id,
    modified: '2024-01-01T00:00:00Z',
    ...extra,
    affected: [
      {
        package: { ecosystem, name },
        ranges: events.map((e) => ({ type: ecosystem === 'Go' ? 'SEMVER' : 'ECOSYSTEM', events: e })),
      },
      ...(extra.affected ?? []),
    ],
  };
}

/**
 * Writes these records as a real advisory database file (one source named `source`), as
 * `vigil db update` would: for tests that run the CLI or open the store.
 */
export function writeAdvisoryDb(path: string, records: readonly OsvRecord[], source = 'test'): string {
  const w = new VulnDbWriter(path);
  const s = w.startSource(source, 'osv', 'declared in the test');
  for (const record of records) s.add({ type: 'advisory', record });
  s.commit(undefined);
  w.finish({});
  return path;
}
