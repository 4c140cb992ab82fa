/**
 * The scan engine: an inventory and an advisory index in, scored findings out. Knows nothing
 * of files or databases beyond the {@link AdvisoryIndex} contract, so `vigil scan` runs it in
 * one process and the server runs it against stored inventories.
 */
import { BoundedCache } from '../bounded-cache.js';
import { normalizePackageName, type EcosystemInfo } from '../ecosystems.js';
import type { Inventory, Package, ScanWarning } from '../inventory/types.js';
import { compareByRisk, scoreFinding, tryScoreCvss, type CvssCandidate, type ScoreOutcome } from '../scoring/index.js';
import { resolveFix, type FixSource } from '../versioning/osv-range.js';
import type { AdvisoryIndex, CvssSource, Enrichment, OsvRecord } from '../vulndb/types.js';
import { groupByVulnerability, idsOf, isCve, type VulnerabilityGroup } from './aliases.js';
import { assessCoverage, coverageWarnings, type ScanCoverage } from './data-coverage.js';
import { isImageTarget, isKernelPackage, isKernelSourceOnly, isRunningKernel, kernelSourceReason } from './kernel.js';
import { evaluateCandidates, lookupCandidates, type Candidates } from './matchers/common.js';
import type { LookupKey } from './matchers/types.js';
import { ecosystemOf, lookupKeyOf } from './package-ecosystem.js';
import { vendorRating } from './vendor-severity.js';
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
  /** Findings scored INFORMATIONAL by the kernel source package policy (headers and tools built from the kernel's source). */
  kernelSourceFindings: number;
  /** Packages whose ecosystem is unknown, so nothing could be looked up. */
  unknownEcosystem: number;
}

/** What the engine is told besides the inventory and the context. */
export interface EngineOptions {
  /** The date end of life is judged at (default: now; injectable for tests). */
  now?: Date;
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
  fix: FixOfFinding;
  /** The group's remembered assessments (see {@link MatchedGroup}). */
  assessments: Map<string, Assessment>;
  /** Set when the package was matched with low confidence, and why. */
  confidenceNote?: string;
  /** Set when a policy says the vulnerable code does not run in this package, and why. */
  notRunning?: string;
}

/**
 * One vulnerability group a version of a package matched, with its fix and what its findings
 * say of it (see {@link Assessment}) by package ecosystem, policy and context.
 */
interface MatchedGroup {
  group: VulnerabilityGroup;
  fix: FixOfFinding;
  assessments: Map<string, Assessment>;
}

/**
 * A looked-up name's candidate advisories, and what each of its versions matched in evaluations
 * that warned of nothing (a fleet's hosts share most package versions, and an index does not
 * change while it is open).
 */
interface NameEntry {
  candidates: Candidates;
  versions?: Map<string, MatchedGroup[]>;
}

/** What the engine remembers about one index between scans. */
interface IndexCache {
  /** Looked-up names by ecosystem, then name (nested: no key string built per package). */
  names: Map<string, BoundedCache<string, NameEntry>>;
  namesByEcosystem: Map<string, ReadonlySet<string> | undefined>;
  /** Maven advisory names (`group:artifact`) by artifact id, built on first need. */
  mavenByArtifact?: Map<string, string[]>;
  /** Vectors of each CVE's advisory records, by CVE (see {@link otherRecordVectors}). */
  recordVectors: Map<string, CvssCandidate[]>;
}

const indexCaches = new WeakMap<AdvisoryIndex, IndexCache>();
/** Bounds the memory of a long-lived server: names per ecosystem (the most recently used), versions per name, contexts per group. */
const CANDIDATE_CACHE_LIMIT = 200_000;
const VERSIONS_PER_NAME = 64;
/** Reachability reasons can name each host: a group keeps the latest few contexts. */
const CONTEXTS_PER_GROUP = 8;

function indexCache(index: AdvisoryIndex): IndexCache {
  let c = indexCaches.get(index);
  if (!c) {
    c = { names: new Map(), namesByEcosystem: new Map(), recordVectors: new Map() };
    indexCaches.set(index, c);
  }
  return c;
}

/** A looked-up name's entry, its candidates looked up once per index. */
function nameEntry(index: AdvisoryIndex, cache: IndexCache, key: LookupKey): NameEntry {
  let byName = cache.names.get(key.ecosystem);
  if (!byName) cache.names.set(key.ecosystem, (byName = new BoundedCache(CANDIDATE_CACHE_LIMIT)));
  let entry = byName.get(key.name);
  if (!entry) {
    if (!cache.namesByEcosystem.has(key.ecosystem)) cache.namesByEcosystem.set(key.ecosystem, index.packageNames?.(key.ecosystem));
    entry = { candidates: lookupCandidates(index, key, cache.namesByEcosystem.get(key.ecosystem)) };
    byName.set(key.name, entry);
  }
  return entry;
}

/** Remembers what a version of the name matched. */
function rememberVersion(entry: NameEntry, version: string, groups: MatchedGroup[]): void {
  entry.versions ??= new Map();
  if (entry.versions.size >= VERSIONS_PER_NAME) entry.versions.clear();
  entry.versions.set(version, groups);
}

/** Every Maven name with advisories whose artifact id is `artifactId` (any group). */
function mavenNamesForArtifact(index: AdvisoryIndex, cache: IndexCache, artifactId: string): string[] {
  if (!cache.mavenByArtifact) {
    const byArtifact = new Map<string, string[]>();
    for (const name of index.packageNames?.('Maven') ?? []) {
      const artifact = name.slice(name.lastIndexOf(':') + 1);
      const list = byArtifact.get(artifact) ?? [];
      list.push(name);
      byArtifact.set(artifact, list);
    }
    cache.mavenByArtifact = byArtifact;
  }
  return cache.mavenByArtifact.get(normalizePackageName('Maven', artifactId)) ?? [];
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

/** The fix of one finding: {@link resolveFix} over every entry of every record behind it. */
interface FixOfFinding {
  fixAvailable: FixAvailable;
  fixedVersion?: string;
  fixNote?: string;
}

const FIX_AVAILABLE = { fixed: 'YES', 'partially-fixed': 'PARTIAL', 'not-fixed': 'NO' } as const satisfies Record<string, FixAvailable>;

/** Every id each candidate advisory counts toward, by id: built once per looked-up name. */
const advisoriesByVulnerability = new WeakMap<Candidates, Map<string, Candidates['advisories']>>();

function byVulnerability(candidates: Candidates): Map<string, Candidates['advisories']> {
  let map = advisoriesByVulnerability.get(candidates);
  if (map) return map;
  map = new Map();
  for (const a of candidates.advisories) {
    // The store names the vulnerabilities a record counts toward without loading it.
    const ids = a.advisory.vulnerabilities ?? idsOf(a.advisory.record);
    for (const id of ids) {
      const list = map.get(id) ?? [];
      list.push(a);
      map.set(id, list);
    }
  }
  advisoriesByVulnerability.set(candidates, map);
  return map;
}

/**
 * The fixed version must leave every record behind the finding: the ones that matched, and the
 * ones for the same vulnerability and package that did not (a record whose range starts where
 * another's fix is would otherwise report the "fixed" version again).
 */
function fixOf(group: VulnerabilityGroup, candidates: Candidates, key: LookupKey): FixOfFinding {
  const sources: FixSource[] = [];
  const seen = new Set<string>();
  for (const m of group.matches) {
    seen.add(m.record.id);
    for (const entry of m.entries) sources.push({ id: m.record.id, entry });
  }
  // Most names have one advisory, or all of them in this group: no other record to look for.
  const index = seen.size < candidates.advisories.length ? byVulnerability(candidates) : new Map<string, Candidates['advisories']>();
  for (const id of [group.id, ...group.aliases]) {
    for (const a of index.get(id) ?? []) {
      if (seen.has(a.id)) continue;
      seen.add(a.id);
      for (const { entry } of a.entries) sources.push({ id: a.id, entry });
    }
  }
  const fix = resolveFix(key.version, sources, { ecosystem: key.ecosystem });
  return {
    fixAvailable: FIX_AVAILABLE[fix.fixStatus],
    ...(fix.fixedVersion !== undefined ? { fixedVersion: fix.fixedVersion } : {}),
    ...(fix.note !== undefined ? { fixNote: fix.note } : {}),
  };
}

function cvssSourceOf(record: OsvRecord, distroRecord: boolean): CvssSource {
  if (distroRecord) return 'vendor';
  return record.id.startsWith('GHSA-') ? 'ghsa' : 'osv';
}

/**
 * Vectors that advisories of other packages give the same CVEs (a crate's RUSTSEC record for
 * the copy a distribution vendors): read only when nothing closer scores a finding, since
 * it costs a vulnerability lookup per CVE (remembered per index).
 */
function otherRecordVectors(draft: Draft, index: AdvisoryIndex, cache: Map<string, CvssCandidate[]>): CvssCandidate[] {
  const own = new Set(draft.group.matches.map((m) => m.record.id));
  const out: CvssCandidate[] = [];
  for (const id of [draft.group.id, ...draft.group.aliases].filter(isCve)) {
    let vectors = cache.get(id);
    if (!vectors) {
      vectors = [];
      for (const record of index.vulnerability(id)?.records ?? []) {
        const source = cvssSourceOf(record, false);
        for (const s of [...(record.severity ?? []), ...(record.affected ?? []).flatMap((a) => a.severity ?? [])]) {
          if (s.type.startsWith('CVSS_')) vectors.push({ vector: s.score, source, via: record.id });
        }
      }
      if (cache.size >= CANDIDATE_CACHE_LIMIT) cache.clear();
      cache.set(id, vectors);
    }
    out.push(...vectors.filter((v) => !own.has(v.via as string)));
  }
  return out;
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

/** What a finding says of its vulnerability, whichever version of the package it is in. */
interface Assessment {
  scored: ScoreOutcome;
  title: string;
  description?: string;
  references: string[];
  advisories: string[];
}

/** Remembers an assessment of a group (see {@link MatchedGroup.assessments}). */
function rememberAssessment(assessments: Map<string, Assessment>, key: string, assessment: Assessment): void {
  if (assessments.size >= CONTEXTS_PER_GROUP) assessments.clear();
  assessments.set(key, assessment);
}

/** Scores a draft's vulnerability and describes it. */
function assess(draft: Draft, enrichmentById: ReadonlyMap<string, Enrichment>, index: AdvisoryIndex, recordVectors: Map<string, CvssCandidate[]>, context: ScanContext): Assessment {
  const { group } = draft;
  const enrichment = [group.id, ...group.aliases].flatMap((id) => (enrichmentById.has(id) ? [enrichmentById.get(id)!] : []));
  const kev = enrichment.find((e) => e.kev)?.kev;
  const epss = enrichment.find((e) => e.epss)?.epss;
  const distro = draft.ecosystem.kind === 'os';
  const rating = vendorRating(group.matches);
  let cvss = cvssCandidates(draft, enrichment);
  if (!cvss.some((c) => tryScoreCvss(c.vector))) cvss = [...cvss, ...otherRecordVectors(draft, index, recordVectors)];
  const scored = scoreFinding(
    {
      cvss,
      distroPackage: distro,
      ...(distro ? { vendorName: draft.ecosystem.name } : {}),
      ...(rating ? { vendorSeverity: rating } : {}),
      ...(kev ? { kev } : {}),
      ...(epss ? { epss } : {}),
      ...(draft.notRunning !== undefined ? { notRunning: draft.notRunning } : {}),
    },
    context,
  );
  return { scored, ...describe(group), references: references(group, enrichment), advisories: group.matches.map((m) => m.record.id).sort() };
}

/**
 * Matches and scores an inventory against an index. Pure apart from reading the index:
 * every package dropped or left uncertain is counted and explained in `warnings`.
 */
export function runScan(inventory: Inventory, index: AdvisoryIndex, context: ScanContext = {}, options: EngineOptions = {}): EngineResult {
  const steps = scanSteps(inventory, index, context, options);
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
export async function runScanYielding(inventory: Inventory, index: AdvisoryIndex, context: ScanContext = {}, signal?: AbortSignal, options: EngineOptions = {}): Promise<EngineResult> {
  signal?.throwIfAborted();
  const steps = scanSteps(inventory, index, context, options);
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
function* scanSteps(inventory: Inventory, index: AdvisoryIndex, context: ScanContext, options: EngineOptions): Generator<void, EngineResult> {
  const startedAt = performance.now();
  const warnings = new Warnings();
  // Gaps first: they say what every other line of the result cannot.
  const coverage = coverageOf(inventory, index, context, options);
  if (coverage) for (const w of coverageWarnings(coverage)) warnings.add(w);
  for (const w of inventory.warnings) warnings.add(w);
  if (inventory.partial) warnings.add({ reason: 'the inventory is partial (some files could not be read): findings may be missing' });
  const stats: ScanStats = { matchedPackages: 0, osOwnedSkipped: 0, kernelFindingsDropped: 0, kernelPackagesNotRunning: 0, kernelSourceFindings: 0, unknownEcosystem: 0 };
  const unknownByKind = new Map<string, string[]>();
  const image = isImageTarget(inventory.target);
  const runningKernel = inventory.target.type === 'host' ? inventory.os?.runningKernel : undefined;
  let kernelUnknownRunning = 0;

  // Versions of one name share candidates, and hosts share versions: both are remembered per
  // index. An evaluation that warned is remembered for this scan only (binaries of one source
  // share a name and version), so every scan reports its own warnings.
  const warnedGroups = new Map<string, MatchedGroup[]>();
  const cache0 = indexCache(index);
  const { recordVectors } = cache0;
  const drafts: Draft[] = [];
  const warn = (reason: string): void => warnings.add({ reason });
  /** The vulnerability groups of one lookup, with their fixes. */
  const matchKey = (key: LookupKey): MatchedGroup[] => {
    const entry = nameEntry(index, cache0, key);
    const { candidates } = entry;
    // Most packages have no advisory at all: nothing to evaluate, warn about or remember.
    if (candidates.advisories.length === 0) return [];
    const known = entry.versions?.get(key.version);
    if (known) return known;
    const warnedKey = `${key.ecosystem}\u0000${key.name}\u0000${key.version}`;
    let groups = warnedGroups.get(warnedKey);
    if (groups) return groups;
    let warned = false;
    const found = evaluateCandidates(candidates, key, (reason) => {
      warned = true;
      warn(reason);
    });
    groups = groupByVulnerability(found.matches).map((group) => ({ group, fix: fixOf(group, candidates, key), assessments: new Map() }));
    if (warned) warnedGroups.set(warnedKey, groups);
    else rememberVersion(entry, key.version, groups);
    return groups;
  };
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
    // Headers and tools built from the kernel's source are kept, at score 0 with the policy's
    // reason; only the kernel itself is judged on whether it is the running one.
    const sourceOnly = kernel && !image && isKernelSourceOnly(pkg);
    if (kernel && !sourceOnly && !image && inventory.target.type === 'host' && runningKernel && !isRunningKernel(pkg, runningKernel)) {
      stats.kernelPackagesNotRunning++;
      continue;
    }
    if (kernel && !sourceOnly && !image && !runningKernel) kernelUnknownRunning++;

    const key = lookupKeyOf(pkg, eco);
    stats.matchedPackages++;
    const lookups: { key: LookupKey; confidenceNote?: string }[] = [{ key }];
    if (key.ecosystem === 'Maven' && !key.name.includes(':')) {
      // A Java archive whose group could not be known: an advisory for any group's artifact of
      // this name may be about it. Reported, marked LOW confidence, rather than not at all.
      lookups.length = 0;
      for (const name of mavenNamesForArtifact(index, cache0, key.name)) {
        lookups.push({ key: { ...key, name }, confidenceNote: `the archive's Maven group is unknown; matched by artifact id "${key.name}" as ${name}` });
      }
    }
    for (const lookup of lookups) {
      const groups = matchKey(lookup.key);
      if (groups.length === 0) continue;
      if (kernel && image) {
        // The container runs the host's kernel: these findings describe code that never runs here.
        stats.kernelFindingsDropped += groups.length;
        continue;
      }
      if (sourceOnly) stats.kernelSourceFindings += groups.length;
      const notRunning = sourceOnly ? { notRunning: kernelSourceReason(pkg) } : {};
      for (const { group, fix, assessments } of groups) drafts.push({ pkg, ecosystem: eco.info, group, fix, assessments, ...(lookup.confidenceNote ? { confidenceNote: lookup.confidenceNote } : {}), ...notRunning });
    }
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
  if (stats.kernelSourceFindings > 0) {
    warnings.add({ reason: `${stats.kernelSourceFindings} findings in packages built from the kernel source but not the kernel (headers, tools) scored INFORMATIONAL: kernel source package policy` });
  }
  if (kernelUnknownRunning > 0) {
    warnings.add({ reason: `${kernelUnknownRunning} kernel packages matched without knowing the running kernel: some findings may be for kernels that are not running` });
  }
  const matchedAt = performance.now();

  // What a finding says of its vulnerability is remembered per group, package ecosystem, policy
  // and context; the enrichment is asked once for the whole scan, for the rest.
  const contextKey = JSON.stringify(context);
  const assessmentKeys = drafts.map((d) => `${d.ecosystem.name}\u0000${d.notRunning ?? ''}\u0000${contextKey}`);
  const known = drafts.map((d, i) => d.assessments.get(assessmentKeys[i]!));
  const cveIds = new Set<string>();
  drafts.forEach((d, i) => {
    if (known[i]) return;
    if (isCve(d.group.id)) cveIds.add(d.group.id);
    for (const a of d.group.aliases) if (isCve(a)) cveIds.add(a);
  });
  const enrichmentById = new Map(cveIds.size > 0 ? index.enrichment([...cveIds]).map((e) => [e.cveId, e]) : []);

  const findings: Finding[] = [];
  const rejectedVectors = new Set<string>();
  for (let i = 0; i < drafts.length; i++) {
    if (++stepped % STEP === 0) yield;
    const draft = drafts[i]!;
    const { pkg, group } = draft;
    let assessment = known[i];
    if (!assessment) {
      assessment = assess(draft, enrichmentById, index, recordVectors, context);
      rememberAssessment(draft.assessments, assessmentKeys[i]!, assessment);
    }
    const { scored, title, description } = assessment;
    for (const r of scored.rejected) rejectedVectors.add(`${group.id}: ${r.source} vector ignored: ${r.reason}`);
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
      fixAvailable: draft.fix.fixAvailable,
      ...(draft.fix.fixedVersion !== undefined ? { fixedVersion: draft.fix.fixedVersion } : {}),
      ...(draft.fix.fixNote !== undefined ? { fixNote: draft.fix.fixNote } : {}),
      ...(draft.confidenceNote !== undefined ? { confidence: 'LOW' as const, confidenceNote: draft.confidenceNote } : {}),
      severity: scored.severity,
      score: scored.score,
      scoreSource: scored.scoreSource,
      scoreReason: scored.scoreReason,
      ...(scored.vendorSeverity ? { vendorSeverity: scored.vendorSeverity } : {}),
      ...(scored.cvss ? { cvss: scored.cvss } : {}),
      adjustments: scored.adjustments,
      ...(scored.epss ? { epss: scored.epss } : {}),
      ...(scored.kev ? { kev: scored.kev } : {}),
      references: assessment.references,
      advisories: assessment.advisories,
    });
  }
  for (const reason of rejectedVectors) warnings.add({ reason });
  findings.sort(compareFindings);
  const scoredAt = performance.now();

  return {
    result: { ...resultFrame(inventory), ...(coverage ? { coverage } : {}), findings, warnings: warnings.list },
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
export function scanInventory(inventory: Inventory, index: AdvisoryIndex, context: ScanContext = {}, options: EngineOptions = {}): ScanResult {
  return runScan(inventory, index, context, options).result;
}

/** The engine bound to one index, in the {@link ScanEngine} shape the server calls. */
export function createScanEngine(index: AdvisoryIndex, options: EngineOptions = {}): ScanEngine {
  const engine: ScanEngine = (inventory, context) => scanInventory(inventory, index, context, options);
  engine.yielding = async (inventory, context, signal) => (await runScanYielding(inventory, index, context, signal, options)).result;
  engine.coverage = (inventory, context = {}) => coverageOf(inventory, index, context, options);
  engine.index = index;
  return engine;
}

/** Runs an engine, yielding to the event loop when it can (engines built by {@link createScanEngine} can). */
export function scanWith(engine: ScanEngine, inventory: Inventory, context: ScanContext, signal?: AbortSignal): Promise<ScanResult> {
  return engine.yielding ? engine.yielding(inventory, context, signal) : Promise.resolve(engine(inventory, context));
}

/** The data coverage of an inventory against the index, when the index can tell what it holds. */
function coverageOf(inventory: Inventory, index: AdvisoryIndex, context: ScanContext, options: EngineOptions): ScanCoverage | undefined {
  const held = index.coverage?.();
  if (!held) return undefined;
  return assessCoverage(inventory, held, { now: options.now ?? new Date(), ...(context.includeOsOwned ? { includeOsOwned: true } : {}) });
}
