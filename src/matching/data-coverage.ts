/**
 * Data coverage of one scan: for each ecosystem of the inventory (with release for OS
 * packages), does the advisory index hold anything to match it against, and is the release
 * still supported by its vendor. "No vulnerabilities" must mean "none known", never "no data":
 * every ecosystem without data is a gap, said in every output format.
 *
 * "Without data" means no advisory record at all for that key (`Ubuntu:22.04:LTS`, `npm`),
 * or only withdrawn ones. A small but non-zero count is reported as a number, not judged: no
 * threshold would be honest across ecosystems of very different sizes.
 */
import { BoundedCache } from '../bounded-cache.js';
import type { Inventory, ScanWarning } from '../inventory/types.js';
import { schemeFor } from '../versioning/index.js';
import { eolSentence, eolVerdict, type EolVerdict } from '../vulndb/eol/index.js';
import type { EcosystemCoverage } from '../vulndb/types.js';
import { ecosystemOf, lookupKeyOf } from './package-ecosystem.js';

/**
 * `covered`: the index has advisories for it; `no-data`: none at all; `eol`: the release is
 * past its vendor's end of life (data may exist, but no more fixes come); `unknown-os`: the OS
 * release is unknown, so its packages have no ecosystem to look up.
 */
export type CoverageStatus = 'covered' | 'no-data' | 'eol' | 'unknown-os';

/** How many packages of an ecosystem have versions its scheme cannot order, with a few named. */
export interface UnreadableVersions {
  count: number;
  /** The first few, as `name version`. */
  packages: string[];
}

/** Coverage of one ecosystem (with release for OS packages) of the inventory. */
export interface EcosystemCoverageEntry {
  /** The ecosystem as the index keys it (`Debian:12`, `Ubuntu:22.04:LTS`, `npm`), or the OS as seen when unknown. */
  ecosystem: string;
  kind: 'os' | 'language';
  /** Packages of the inventory in this ecosystem. */
  packages: number;
  /** Advisory records the index holds for it (withdrawn ones not counted). */
  advisories: number;
  status: CoverageStatus;
  /** One sentence for people: what is covered, or what is missing and what it means. */
  detail: string;
  /** The advisory sources the records came from. */
  sources?: string[];
  /** The newest `modified` of those records. */
  newestModified?: string;
  /** The release's end of security support, when the end-of-life table lists it. */
  endOfLife?: Omit<EolVerdict, 'release'>;
  /** Packages whose versions cannot be placed in any advisory range (counted, never dropped silently). */
  unreadableVersions?: UnreadableVersions;
}

/** The coverage block of a scan result. */
export interface ScanCoverage {
  ecosystems: EcosystemCoverageEntry[];
  /** Entries whose status is not `covered`: what `--fail-on-gaps` fails on. */
  gaps: number;
}

/** What {@link assessCoverage} needs besides the inventory and the index's counts. */
export interface CoverageOptions {
  /** The date end-of-life is judged at (injectable for tests). */
  now: Date;
  /** Language packages owned by OS packages are matched too (see `ScanContext.includeOsOwned`). */
  includeOsOwned?: boolean;
}

const NAMED = 5;

function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/** `1 package was` / `3 packages were`. */
function packagesWere(n: number): string {
  return `${plural(n, 'package')} ${n === 1 ? 'was' : 'were'}`;
}

function shown(list: readonly string[], total: number): string {
  return list.join(', ') + (total > list.length ? `, … (${total - list.length} more)` : '');
}

interface Group {
  kind: 'os' | 'language';
  packages: number;
  unknownOs?: boolean;
  unreadable: string[];
  unreadableCount: number;
}

/** The OS as people name it, for an OS Vigil has no ecosystem for. */
function osLabel(inventory: Inventory, purlType: string): string {
  const os = inventory.os;
  if (!os) return `unknown OS (${purlType} packages)`;
  return os.prettyName ?? [os.id, os.versionId].filter(Boolean).join(' ');
}

/**
 * Compares the inventory's ecosystems with what the index holds. Pure: `db` is the index's
 * per-ecosystem counts (see `AdvisoryIndex.coverage`), `now` the date EOL is judged at.
 */
export function assessCoverage(inventory: Inventory, db: readonly EcosystemCoverage[], opts: CoverageOptions): ScanCoverage {
  const held = new Map(db.map((c) => [c.ecosystem, c]));
  const groups = new Map<string, Group>();
  const group = (key: string, kind: 'os' | 'language'): Group => {
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { kind, packages: 0, unreadable: [], unreadableCount: 0 }));
    return g;
  };
  for (const pkg of inventory.packages) {
    const eco = ecosystemOf(pkg);
    if (!eco) {
      // OS packages of a release Vigil cannot name; a language ecosystem Vigil does not know
      // is named by the engine's warning and has nothing to compare with here.
      if (pkg.ecosystem && !isOsPurlType(pkg.purlType)) continue;
      const g = group(osLabel(inventory, pkg.purlType), 'os');
      g.unknownOs = true;
      g.packages++;
      continue;
    }
    // Language packages an OS package installed are the distribution's to cover (the engine skips them too).
    if (eco.info.kind === 'language' && pkg.ownedBy && !opts.includeOsOwned) continue;
    const key = lookupKeyOf(pkg, eco);
    const g = group(key.ecosystem, eco.info.kind);
    g.packages++;
    if (!readable(key.ecosystem, key.version)) {
      g.unreadableCount++;
      if (g.unreadable.length < NAMED) g.unreadable.push(`${pkg.name} ${key.version || '(no version)'}`);
    }
  }

  const ecosystems: EcosystemCoverageEntry[] = [];
  for (const [ecosystem, g] of [...groups].sort(([a, ga], [b, gb]) => (ga.kind === gb.kind ? (a < b ? -1 : a > b ? 1 : 0) : ga.kind === 'os' ? -1 : 1))) {
    ecosystems.push(g.unknownOs ? unknownOsEntry(ecosystem, g) : knownEntry(ecosystem, g, held.get(ecosystem), opts.now));
  }
  return { ecosystems, gaps: ecosystems.filter((e) => e.status !== 'covered').length };
}

function isOsPurlType(purlType: string): boolean {
  return purlType === 'deb' || purlType === 'rpm' || purlType === 'apk';
}

/**
 * Versions judged readable, by ecosystem: a fleet's inventories repeat the same versions, and
 * parsing each again took ≈ 1 s of matching 10,000 inventories of 500 packages.
 */
const readableVersions = new Map<string, BoundedCache<string, boolean>>();
const READABLE_VERSIONS_PER_ECOSYSTEM = 100_000;

/** Whether the version can be placed in ranges of its ecosystem's scheme. */
function readable(ecosystem: string, version: string): boolean {
  let known = readableVersions.get(ecosystem);
  if (!known) readableVersions.set(ecosystem, (known = new BoundedCache(READABLE_VERSIONS_PER_ECOSYSTEM)));
  let ok = known.get(version);
  if (ok === undefined) {
    ok = version.trim() !== '' && schemeFor(ecosystem).isValid(version);
    known.set(version, ok);
  }
  return ok;
}

function unknownOsEntry(label: string, g: Group): EcosystemCoverageEntry {
  return {
    ecosystem: label,
    kind: 'os',
    packages: g.packages,
    advisories: 0,
    status: 'unknown-os',
    detail: `${label}: no advisory ecosystem is known for this OS release, so its ${packagesWere(g.packages)} not checked against any advisory`,
  };
}

function knownEntry(ecosystem: string, g: Group, held: EcosystemCoverage | undefined, now: Date): EcosystemCoverageEntry {
  const advisories = held ? held.advisories - held.withdrawn : 0;
  const eol = g.kind === 'os' ? eolVerdict(ecosystem, now) : undefined;
  const eolText = eol ? eolSentence(eol) : undefined;
  const unreadable = g.unreadableCount > 0 ? { count: g.unreadableCount, packages: g.unreadable } : undefined;
  const parts: string[] = [];
  let status: CoverageStatus;
  if (advisories === 0) {
    status = 'no-data';
    parts.push(
      `${ecosystem}: the advisory database holds no advisories for ${g.kind === 'os' ? 'this release' : 'this ecosystem'}, so its ${packagesWere(g.packages)} not checked ("no vulnerabilities" here means no data, not none known)`,
    );
  } else {
    status = eol?.state === 'eol' ? 'eol' : 'covered';
    const newest = held?.newestModified && !held.newestModified.startsWith('0001-') ? `, newest modified ${held.newestModified.slice(0, 10)}` : '';
    parts.push(`${ecosystem}: ${plural(advisories, 'advisory', 'advisories')} from ${held!.sources.join(', ')}${newest}`);
  }
  if (eolText) parts.push(eolText);
  if (unreadable) parts.push(`${plural(unreadable.count, 'package')} with versions that cannot be compared (${shown(unreadable.packages, unreadable.count)}) cannot be matched`);
  return {
    ecosystem,
    kind: g.kind,
    packages: g.packages,
    advisories,
    status,
    detail: parts.join('; '),
    ...(held ? { sources: held.sources } : {}),
    ...(held?.newestModified ? { newestModified: held.newestModified } : {}),
    ...(eol ? { endOfLife: { state: eol.state, standard: eol.standard, ...(eol.extended ? { extended: eol.extended } : {}), lifecycle: eol.lifecycle } } : {}),
    ...(unreadable ? { unreadableVersions: unreadable } : {}),
  };
}

/**
 * The warnings a coverage block adds to a scan: one per ecosystem without data or at end of
 * life, and one per release whose standard support is over. An unknown OS is already named by
 * the engine's own warning about its unmatched packages.
 */
export function coverageWarnings(coverage: ScanCoverage): ScanWarning[] {
  const out: ScanWarning[] = [];
  for (const e of coverage.ecosystems) {
    if (e.status === 'no-data' || e.status === 'eol' || e.endOfLife?.state === 'extended-only') out.push({ reason: e.detail });
  }
  return out;
}

/** The entries of OS ecosystems that are gaps: what makes a resource's coverage `UNSUPPORTED_OS`. */
export function osGaps(coverage: ScanCoverage): EcosystemCoverageEntry[] {
  return coverage.ecosystems.filter((e) => e.kind === 'os' && e.status !== 'covered');
}
