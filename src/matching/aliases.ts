/**
 * One finding per (package, vulnerability): the advisories that matched a package are grouped
 * by the vulnerability they describe. A CVE is the vulnerability's name when there is one;
 * GHSA, DSA, PYSEC, GO, RUSTSEC… ids that alias it become the finding's aliases.
 */
import type { OsvRecord } from '../vulndb/types.js';
import type { AdvisoryMatch } from './matchers/types.js';

/** One vulnerability of one package, and the advisory matches behind it. */
export interface VulnerabilityGroup {
  id: string;
  aliases: string[];
  matches: AdvisoryMatch[];
}

const CVE = /^CVE-\d{4}-\d{4,}$/;

/** True for a CVE id. */
export function isCve(id: string): boolean {
  return CVE.test(id);
}

/** Every id the record goes by: its own, its aliases, and the upstream CVEs it fixes downstream. */
export function idsOf(record: OsvRecord): string[] {
  return [record.id, ...(record.aliases ?? []), ...(record.upstream ?? []).filter(isCve)];
}

// Without a CVE, the finding is named by its GHSA (the cross-ecosystem id peers and GitHub
// show), else by the smallest id, so the name is stable whatever order the index returns.
function preferredId(ids: Iterable<string>): string {
  const sorted = [...ids].sort();
  return sorted.find((i) => i.startsWith('GHSA-')) ?? sorted[0];
}

/**
 * Groups matches into vulnerabilities. A record naming several CVEs (a DSA fixing five
 * CVEs) contributes to each; a record without a CVE joins the group of any record it shares
 * an id with, else forms its own. Output is sorted by id.
 */
export function groupByVulnerability(matches: readonly AdvisoryMatch[]): VulnerabilityGroup[] {
  const byCve = new Map<string, { aliases: Set<string>; matches: AdvisoryMatch[] }>();
  const withoutCve: AdvisoryMatch[] = [];
  for (const match of matches) {
    const ids = idsOf(match.record);
    const cves = [...new Set(ids.filter(isCve))];
    if (cves.length === 0) {
      withoutCve.push(match);
      continue;
    }
    const others = ids.filter((i) => !isCve(i));
    for (const cve of cves) {
      let group = byCve.get(cve);
      if (!group) byCve.set(cve, (group = { aliases: new Set(), matches: [] }));
      for (const o of others) group.aliases.add(o);
      if (!group.matches.includes(match)) group.matches.push(match);
    }
  }

  // Records without a CVE: join every CVE group that already knows one of their ids, else
  // merge with each other through shared ids (union-find over the few such records).
  const parent = withoutCve.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i])));
  const owner = new Map<string, number>();
  const loose: number[] = [];
  withoutCve.forEach((match, i) => {
    const ids = idsOf(match.record);
    let joined = false;
    for (const [, group] of byCve) {
      if (ids.some((id) => group.aliases.has(id))) {
        for (const id of ids) group.aliases.add(id);
        if (!group.matches.includes(match)) group.matches.push(match);
        joined = true;
      }
    }
    if (joined) return;
    loose.push(i);
    for (const id of ids) {
      const prev = owner.get(id);
      if (prev === undefined) owner.set(id, i);
      else parent[find(i)] = find(prev);
    }
  });

  const groups: VulnerabilityGroup[] = [];
  for (const [cve, group] of byCve) {
    group.aliases.delete(cve);
    groups.push({ id: cve, aliases: [...group.aliases].sort(), matches: group.matches });
  }
  const looseGroups = new Map<number, AdvisoryMatch[]>();
  for (const i of loose) {
    const root = find(i);
    looseGroups.set(root, [...(looseGroups.get(root) ?? []), withoutCve[i]]);
  }
  for (const members of looseGroups.values()) {
    const ids = new Set(members.flatMap((m) => idsOf(m.record)));
    const id = preferredId(ids);
    ids.delete(id);
    groups.push({ id, aliases: [...ids].sort(), matches: members });
  }
  return groups.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
