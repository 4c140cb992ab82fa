/**
 * The scan engine: an inventory and an advisory index in, scored findings out. Knows nothing
 * of files or databases beyond the {@link AdvisoryIndex} contract, so `vigil scan` runs it in
 * one process and the server runs it against stored inventories.
 */
import { languageEcosystemForPurlType, tryParseEcosystem, type EcosystemInfo } from '../ecosystems.js';
import type { Inventory, Package, ScanWarning } from '../inventory/types.js';
import { compareByRisk, scoreFinding, type CvssCandidate } from '../scoring/index.js';
import { schemeFor } from '../versioning/index.js';
import type { AdvisoryIndex, CvssSource, Enrichment, OsvRecord } from '../vulndb/types.js';
import { groupByVulnerability, isCve, type VulnerabilityGroup } from './aliases.js';
import { isImageTarget, isKernelPackage, isRunningKernel } from './kernel.js';
import { evaluateCandidates, lookupCandidates, type Candidates } from './matchers/common.js';
import { distroMatcher } from './matchers/distro.js';
import { ecosystemMatcher } from './matchers/ecosystem.js';
import type { PackageMatches } from './matchers/types.js';
import type { FixAvailable, Finding, ScanContext, ScanEngine, ScanResult } from './types.js';

/** Per-scan counts of what was matched and what was left out, and why. */
export interface ScanStats {
  /** Packages looked up in the index. */
  matchedPackages: number;
  /** Language packages owned by an OS package and not matched (see `includeOsOwned`). */
  osOwnedSkipped: number;
  /** Findings dropped because they are in the kernel of a container image. */
  kernelFindingsDropped: number;
  /** Kernel packages on a host that are installed but not running. */
  kernelPackagesNotRunning: number;
  /** Packages whose ecosystem is unknown, so nothing could be looked up. */
  unknownEcosystem: number;
}

/** A scan result with the counts behind its warnings (the counts are not part of the JSON). */
export interface EngineResult {
  result: ScanResult;
  stats: ScanStats;
  /** The time spent matching and scoring, in milliseconds. */
  timings: { match: number; score: number };
}

/** A finding before scoring. */
interface Draft {
  pkg: Package;
  ecosystem: EcosystemInfo;
  group: VulnerabilityGroup;
  fixAvailable: FixAvailable;
  fixedVersion?: string;
}

/** What the engine remembers about one index between scans. */
interface IndexCache {
  candidatesByName: Map<string, Candidates>;
  namesByEcosystem: Map<string, ReadonlySet<string> | undefined>;
}

const indexCaches = new WeakMap<AdvisoryIndex, IndexCache>();
const CANDIDATE_CACHE_LIMIT = 200_000;

function indexCache(index: AdvisoryIndex): IndexCache {
  let c = indexCaches.get(index);
  if (!c) {
    c = { candidatesByName: new Map(), namesByEcosystem: new Map() };
    indexCaches.set(index, c);
  }
  return c;
}

/** Collects warnings once each (a source package's warning would otherwise repeat per binary). */
class Warnings {
  private readonly seen = new Set<string>();
  readonly list: ScanWarning[] = [];
  add(warning: ScanWarning): void {
    const key = `${warning.path ?? ''}\u0000${warning.extractor ?? ''}\u0000${warning.reason}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.list.push(warning);
  }
}

/** The ecosystem a package is matched in, or undefined when it cannot be known. */
function ecosystemOf(pkg: Package): { raw: string; info: EcosystemInfo } | undefined {
  if (pkg.ecosystem) {
    return tryParseEcosystem(pkg.ecosystem);
  }
  // Language packages know their ecosystem from their PURL type even when no OS was found.
  const info = languageEcosystemForPurlType(pkg.purlType);
  return info ? { raw: info.name, info } : undefined;
}

function fixOf(group: VulnerabilityGroup, compare: (a: string, b: string) => number): { fixAvailable: FixAvailable; fixedVersion?: string } {
  let fixed = 0;
  let notFixed = 0;
  let partial = 0;
  let fixedVersion: string | undefined;
  for (const match of group.matches) {
    for (const status of match.fixStatuses) {
      if (status === 'fixed') fixed++;
      else if (status === 'not-fixed') notFixed++;
      else partial++;
    }
    if (match.fixedVersion !== undefined && (fixedVersion === undefined || compare(match.fixedVersion, fixedVersion) < 0)) fixedVersion = match.fixedVersion;
  }
  // YES only when every matching range of every advisory names a fix; NO when none does.
  const fixAvailable: FixAvailable = partial === 0 && notFixed === 0 ? 'YES' : partial === 0 && fixed === 0 ? 'NO' : 'PARTIAL';
  return fixedVersion === undefined ? { fixAvailable } : { fixAvailable, fixedVersion };
}

function cvssSourceOf(record: OsvRecord, distroRecord: boolean): CvssSource {
  if (distroRecord) return 'vendor';
  return record.id.startsWith('GHSA-') ? 'ghsa' : 'osv';
}

/** Every vector the group's records offer, then the enrichment's. */
function cvssCandidates(draft: Draft, enrichment: readonly Enrichment[]): CvssCandidate[] {
  const out: CvssCandidate[] = [];
  const distro = draft.ecosystem.kind === 'os';
  for (const match of draft.group.matches) {
    const source = cvssSourceOf(match.record, distro);
    const severities = [...(match.record.severity ?? []), ...match.affected.flatMap((a) => a.severity ?? [])];
    for (const s of severities) if (s.type.startsWith('CVSS_')) out.push({ vector: s.score, source });
  }
  for (const e of enrichment) for (const v of e.cvss) out.push({ vector: v.vector, version: v.version, source: v.source });
  return out;
}

/** A vendor's severity word from the records (GHSA `database_specific.severity`, Ubuntu priority). */
function vendorSeverity(draft: Draft): string | undefined {
  for (const match of draft.group.matches) {
    for (const s of match.record.severity ?? []) if (s.type === 'Ubuntu' && s.score) return s.score;
    for (const holder of [match.record.database_specific, ...match.affected.flatMap((a) => [a.ecosystem_specific, a.database_specific])]) {
      const word = holder?.severity;
      if (typeof word === 'string' && word.trim()) return word;
    }
  }
  return undefined;
}

function firstLine(text: string, max: number): string {
  const line = text.trim().split('\n', 1)[0].trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

function describe(group: VulnerabilityGroup): { title: string; description?: string } {
  // The record named like the finding speaks for it; otherwise the first with a summary.
  const records = group.matches.map((m) => m.record);
  const ordered = [...records.filter((r) => r.id === group.id), ...records.filter((r) => r.id.startsWith('GHSA-')), ...records];
  const withSummary = ordered.find((r) => r.summary?.trim());
  const withDetails = ordered.find((r) => r.details?.trim());
  const title = withSummary?.summary ? firstLine(withSummary.summary, 200) : withDetails?.details ? firstLine(withDetails.details, 200) : group.id;
  const details = withDetails?.details?.trim();
  return details ? { title, description: details.length > 4000 ? `${details.slice(0, 3999)}…` : details } : { title };
}

function references(group: VulnerabilityGroup, enrichment: readonly Enrichment[]): string[] {
  const out = new Set<string>();
  for (const m of group.matches) for (const r of m.record.references ?? []) if (r.url) out.add(r.url);
  for (const e of enrichment) for (const r of e.references) out.add(r);
  return [...out];
}

/**
 * Matches and scores an inventory against an index. Pure apart from reading the index:
 * every package dropped or left uncertain is counted and explained in `warnings`.
 */
export function runScan(inventory: Inventory, index: AdvisoryIndex, context: ScanContext = {}): EngineResult {
  const steps = scanSteps(inventory, index, context);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** Packages matched, or findings scored, between two chances to yield. */
const STEP = 64;
/** Longest stretch a yielding scan keeps the event loop, in milliseconds. */
const SLICE_MS = 20;

/**
 * {@link runScan} that gives the event loop back every {@link SLICE_MS} ms, so a server
 * matching a 100,000-package inventory still answers other requests meanwhile. The result
 * is the same as runScan's.
 */
export async function runScanYielding(inventory: Inventory, index: AdvisoryIndex, context: ScanContext = {}, signal?: AbortSignal): Promise<EngineResult> {
  const steps = scanSteps(inventory, index, context);
  let sliceStart = performance.now();
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (performance.now() - sliceStart >= SLICE_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      signal?.throwIfAborted();
      sliceStart = performance.now();
    }
  }
}

/** The scan as a generator that pauses (yields) every {@link STEP} packages or findings. */
function* scanSteps(inventory: Inventory, index: AdvisoryIndex, context: ScanContext): Generator<void, EngineResult> {
  const startedAt = performance.now();
  const warnings = new Warnings();
  for (const w of inventory.warnings) warnings.add(w);
  if (inventory.partial) warnings.add({ reason: 'the inventory is partial (some files could not be read): findings may be missing' });
  const stats: ScanStats = { matchedPackages: 0, osOwnedSkipped: 0, kernelFindingsDropped: 0, kernelPackagesNotRunning: 0, unknownEcosystem: 0 };
  const unknownByKind = new Map<string, string[]>();
  const image = isImageTarget(inventory.target);
  const runningKernel = inventory.target.type === 'host' ? inventory.os?.runningKernel : undefined;
  let kernelUnknownRunning = 0;

  // Binaries of one source share a (name, version); versions of one name share candidates,
  // across scans too (an index does not change while it is open).
  const cache = new Map<string, PackageMatches>();
  const { candidatesByName, namesByEcosystem } = indexCache(index);
  const drafts: Draft[] = [];
  let stepped = 0;
  for (const pkg of inventory.packages) {
    if (++stepped % STEP === 0) yield;
    const eco = ecosystemOf(pkg);
    if (!eco) {
      stats.unknownEcosystem++;
      const kind = pkg.ecosystem ? `packages not matched: ecosystem "${pkg.ecosystem}" is not known to Vigil` : `${pkg.purlType} packages not matched: the OS release is unknown`;
      const names = unknownByKind.get(kind) ?? [];
      names.push(pkg.name);
      unknownByKind.set(kind, names);
      continue;
    }
    if (eco.info.kind === 'language' && pkg.ownedBy && !context.includeOsOwned) {
      stats.osOwnedSkipped++;
      continue;
    }
    const kernel = eco.info.kind === 'os' && isKernelPackage(pkg);
    if (kernel && !image && inventory.target.type === 'host' && runningKernel && !isRunningKernel(pkg, runningKernel)) {
      stats.kernelPackagesNotRunning++;
      continue;
    }
    if (kernel && !image && !runningKernel) kernelUnknownRunning++;

    const matcher = eco.info.kind === 'os' ? distroMatcher : ecosystemMatcher;
    const key = matcher.lookupKey(pkg, eco.raw);
    const nameKey = `${key.ecosystem}\u0000${key.name}`;
    let candidates = candidatesByName.get(nameKey);
    if (!candidates) {
      if (!namesByEcosystem.has(key.ecosystem)) namesByEcosystem.set(key.ecosystem, index.packageNames?.(key.ecosystem));
      candidates = lookupCandidates(index, key, namesByEcosystem.get(key.ecosystem));
      if (candidatesByName.size >= CANDIDATE_CACHE_LIMIT) candidatesByName.clear();
      candidatesByName.set(nameKey, candidates);
    }
    stats.matchedPackages++;
    // Most packages have no advisory at all: nothing to evaluate, warn about or remember.
    if (candidates.advisories.length === 0) continue;
    const cacheKey = `${nameKey}\u0000${key.version}`;
    let found = cache.get(cacheKey);
    if (!found) {
      found = evaluateCandidates(candidates, key, (reason) => warnings.add({ reason }));
      cache.set(cacheKey, found);
    }
    if (found.matches.length === 0) continue;

    const groups = groupByVulnerability(found.matches);
    if (kernel && image) {
      // The container runs the host's kernel: these findings describe code that never runs here.
      stats.kernelFindingsDropped += groups.length;
      continue;
    }
    const scheme = schemeFor(key.ecosystem);
    for (const group of groups) drafts.push({ pkg, ecosystem: eco.info, group, ...fixOf(group, (a, b) => scheme.compare(a, b)) });
  }

  for (const [kind, names] of unknownByKind) {
    const shown = names.slice(0, 5).join(', ') + (names.length > 5 ? `, … (${names.length - 5} more)` : '');
    warnings.add({ reason: `${names.length} ${kind} (${shown})` });
  }
  if (stats.osOwnedSkipped > 0) {
    warnings.add({
      reason: `${stats.osOwnedSkipped} language packages installed by OS packages were not matched against language advisories: the distribution's advisories cover them (--include-os-owned matches them too)`,
    });
  }
  if (stats.kernelFindingsDropped > 0) {
    warnings.add({ reason: `${stats.kernelFindingsDropped} findings in kernel packages dropped: a container image runs on the host's kernel, not its own` });
  }
  if (stats.kernelPackagesNotRunning > 0) {
    warnings.add({ reason: `${stats.kernelPackagesNotRunning} kernel packages not matched: installed but not the running kernel (${runningKernel})` });
  }
  if (kernelUnknownRunning > 0) {
    warnings.add({ reason: `${kernelUnknownRunning} kernel packages matched without knowing the running kernel: some findings may be for kernels that are not running` });
  }
  const matchedAt = performance.now();

  // One enrichment query for the whole scan.
  const cveIds = new Set<string>();
  for (const d of drafts) {
    if (isCve(d.group.id)) cveIds.add(d.group.id);
    for (const a of d.group.aliases) if (isCve(a)) cveIds.add(a);
  }
  const enrichmentById = new Map(index.enrichment([...cveIds]).map((e) => [e.cveId, e]));

  const findings: Finding[] = [];
  const rejectedVectors = new Set<string>();
  for (const draft of drafts) {
    if (++stepped % STEP === 0) yield;
    const { pkg, group } = draft;
    const enrichment = [group.id, ...group.aliases].flatMap((id) => (enrichmentById.has(id) ? [enrichmentById.get(id)!] : []));
    const kev = enrichment.find((e) => e.kev)?.kev;
    const epss = enrichment.find((e) => e.epss)?.epss;
    const word = vendorSeverity(draft);
    const scored = scoreFinding(
      { cvss: cvssCandidates(draft, enrichment), distroPackage: draft.ecosystem.kind === 'os', ...(word ? { vendorSeverity: word } : {}), ...(kev ? { kev } : {}), ...(epss ? { epss } : {}) },
      context,
    );
    for (const r of scored.rejected) rejectedVectors.add(`${group.id}: ${r.source} vector ignored: ${r.reason}`);
    const { title, description } = describe(group);
    findings.push({
      id: group.id,
      aliases: group.aliases,
      title,
      ...(description ? { description } : {}),
      package: {
        name: pkg.name,
        version: pkg.version,
        ecosystem: pkg.ecosystem || draft.ecosystem.name,
        purl: pkg.purl,
        ...(pkg.source ? { source: { name: pkg.source.name, version: pkg.source.version } } : {}),
        ...(pkg.layer ? { layer: pkg.layer } : {}),
        locations: pkg.locations,
      },
      fixAvailable: draft.fixAvailable,
      ...(draft.fixedVersion !== undefined ? { fixedVersion: draft.fixedVersion } : {}),
      severity: scored.severity,
      score: scored.score,
      scoreSource: scored.scoreSource,
      ...(scored.cvss ? { cvss: scored.cvss } : {}),
      adjustments: scored.adjustments,
      ...(scored.epss ? { epss: scored.epss } : {}),
      ...(scored.kev ? { kev: scored.kev } : {}),
      references: references(group, enrichment),
      advisories: group.matches.map((m) => m.record.id).sort(),
    });
  }
  for (const reason of rejectedVectors) warnings.add({ reason });
  findings.sort(compareFindings);
  const scoredAt = performance.now();

  return {
    result: { ...resultFrame(inventory), findings, warnings: warnings.list },
    stats,
    timings: { match: matchedAt - startedAt, score: scoredAt - matchedAt },
  };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The order of a result's findings: most risk first, then package and id. */
export function compareFindings(a: Finding, b: Finding): number {
  return compareByRisk(a, b) || cmp(a.package.name, b.package.name) || cmp(a.id, b.id);
}

/** A result for the inventory with no findings and no warnings yet: what it says about the target. */
export function resultFrame(inventory: Inventory): ScanResult {
  const os = inventory.os;
  return {
    schemaVersion: 1,
    target: { type: inventory.target.type, name: inventory.target.name, ...(inventory.target.digest ? { digest: inventory.target.digest } : {}) },
    ...(os?.ecosystem ? { os: { ecosystem: os.ecosystem, name: os.name ?? os.id, version: os.versionId ?? os.version ?? '' } } : {}),
    packageCount: inventory.packages.length,
    findings: [],
    suppressed: [],
    warnings: [],
  };
}

/** Matches and scores an inventory: the {@link ScanEngine} as a function of the index. */
export function scanInventory(inventory: Inventory, index: AdvisoryIndex, context: ScanContext = {}): ScanResult {
  return runScan(inventory, index, context).result;
}

/** The engine bound to one index, in the {@link ScanEngine} shape the server calls. */
export function createScanEngine(index: AdvisoryIndex): ScanEngine {
  const engine: ScanEngine = (inventory, context) => scanInventory(inventory, index, context);
  engine.yielding = async (inventory, context, signal) => (await runScanYielding(inventory, index, context, signal)).result;
  return engine;
}

/** Runs an engine, yielding to the event loop when it can (engines built by {@link createScanEngine} can). */
export function scanWith(engine: ScanEngine, inventory: Inventory, context: ScanContext, signal?: AbortSignal): Promise<ScanResult> {
  return engine.yielding ? engine.yielding(inventory, context, signal) : Promise.resolve(engine(inventory, context));
}
