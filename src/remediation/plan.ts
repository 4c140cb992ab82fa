/**
 * The remediation plan of one resource: the fewest actions that clear the most risk. One
 * action per package (per source package for distributions, whose binaries move together),
 * to the lowest version that fixes every fixable finding of it, ordered by the risk it
 * removes; what no upgrade fixes yet is listed apart with the reason.
 */
import { tryParseEcosystem } from '../ecosystems.js';
import type { Finding, Severity } from '../matching/types.js';
import { SEVERITY_ORDER } from '../scoring/severity.js';
import { schemeFor } from '../versioning/index.js';
import { upgradeCommand } from './commands.js';

/** Where a finding's package came from in an image: the base image, or what was built on it. */
export type FindingOrigin = 'BASE_IMAGE' | 'APPLICATION';

/** What the plan reads of a finding (a scan's `Finding`, or a stored one with its id). */
export type PlanFinding = Pick<Finding, 'id' | 'package' | 'fixAvailable' | 'fixedVersion' | 'fixNote' | 'severity' | 'score' | 'kev'> & {
  /** The stored finding's id (server plans). */
  findingId?: string;
  origin?: FindingOrigin;
};

/** A finding as an action or an unfixable entry lists it. */
export interface PlanFindingRef {
  /** CVE or advisory id. */
  vulnerabilityId: string;
  findingId?: string;
  package: string;
  installedVersion: string;
  fixedVersion?: string;
  severity: Severity;
  score: number;
  kev: boolean;
  origin?: FindingOrigin;
}

/** One upgrade. */
export interface RemediationAction {
  ecosystem: string;
  /** The package upgraded: the source package for distributions. */
  package: string;
  /** The installed packages that move (binaries of the source package), sorted. */
  packages: string[];
  /** Installed versions (of the source package for distributions), sorted. */
  installedVersions: string[];
  /** The lowest version that fixes every fixable finding of the package. */
  targetVersion: string;
  manager?: string;
  command?: string;
  hint?: string;
  /** One line for people: "Upgrade openssl (libssl3, openssl) from 3.0.11-1 to 3.0.15-1". */
  summary: string;
  /** Sum of the scores of the findings it closes. */
  riskRemoved: number;
  kevCount: number;
  /** The highest severity among the findings it closes. */
  severity: Severity;
  /** BASE_IMAGE when every finding it closes came from the base image, APPLICATION when none did. */
  origin?: FindingOrigin | 'MIXED';
  findings: PlanFindingRef[];
}

/** Why no upgrade clears a finding now. */
export type UnfixableReason = 'NO_FIX_PUBLISHED' | 'FIX_IN_NEWER_RELEASE' | 'FIX_VERSION_UNKNOWN';

/** Findings of one package that no upgrade in place clears, with the reason. */
export interface UnfixableEntry {
  ecosystem: string;
  package: string;
  reason: UnfixableReason;
  /** In words, for people. */
  detail: string;
  /** With FIX_IN_NEWER_RELEASE: the release that has the fix, and its version there. */
  newerRelease?: { ecosystem: string; version: string };
  riskRemaining: number;
  findings: PlanFindingRef[];
}

/** The plan of one resource (or one `vigil scan`). */
export interface RemediationPlan {
  actions: RemediationAction[];
  unfixable: UnfixableEntry[];
  totals: {
    findings: number;
    /** Findings some action closes. */
    fixable: number;
    unfixable: number;
    /** Sum of the scores of every finding, and of those the actions close. */
    risk: number;
    riskRemovable: number;
  };
}

/** Where a finding a release has no fix for is fixed in a newer release of the same distribution. */
export type NewerReleaseLookup = (finding: PlanFinding) => { ecosystem: string; version: string } | undefined;

/** Options of {@link planRemediation}. */
export interface PlanOptions {
  newerRelease?: NewerReleaseLookup;
}

const round = (n: number) => Math.round(n * 10) / 10;

function ref(f: PlanFinding): PlanFindingRef {
  return {
    vulnerabilityId: f.id,
    ...(f.findingId !== undefined ? { findingId: f.findingId } : {}),
    package: f.package.name,
    installedVersion: f.package.version,
    ...(f.fixedVersion !== undefined ? { fixedVersion: f.fixedVersion } : {}),
    severity: f.severity,
    score: f.score,
    kev: f.kev !== undefined,
    ...(f.origin ? { origin: f.origin } : {}),
  };
}

/** Distributions key advisories (and fixed versions) by source package: the unit that moves. */
function unitOf(f: PlanFinding): { name: string; version: string } {
  const keyedBySource = tryParseEcosystem(f.package.ecosystem)?.info.keyedBySource === true;
  return keyedBySource && f.package.source ? f.package.source : { name: f.package.name, version: f.package.version };
}

/** Sorts highest risk first: findings with a KEV entry, then score. */
function byRisk(a: PlanFindingRef, b: PlanFindingRef): number {
  return Number(b.kev) - Number(a.kev) || b.score - a.score || a.vulnerabilityId.localeCompare(b.vulnerabilityId) || a.package.localeCompare(b.package);
}

function maxSeverity(refs: readonly PlanFindingRef[]): Severity {
  return SEVERITY_ORDER.find((s) => refs.some((r) => r.severity === s)) ?? 'UNTRIAGED';
}

function originOf(refs: readonly PlanFindingRef[]): RemediationAction['origin'] {
  const origins = new Set(refs.map((r) => r.origin));
  if (origins.size !== 1) return origins.has(undefined) ? undefined : 'MIXED';
  return [...origins][0];
}

const sum = (refs: readonly PlanFindingRef[]) => round(refs.reduce((n, r) => n + r.score, 0));
const sorted = (values: Iterable<string>) => [...new Set(values)].sort();

interface Group {
  ecosystem: string;
  unit: string;
  findings: PlanFinding[];
}

/** The highest fixed version of the group (the lowest that fixes all), and findings whose version the scheme cannot read. */
function targetOf(group: Group): { target?: string; unreadable: PlanFinding[] } {
  const scheme = schemeFor(group.ecosystem);
  let target: string | undefined;
  const unreadable: PlanFinding[] = [];
  for (const f of group.findings) {
    const fixed = f.fixedVersion!;
    if (!scheme.isValid(fixed)) unreadable.push(f);
    else if (target === undefined || scheme.compare(fixed, target) > 0) target = fixed;
  }
  return { target, unreadable };
}

function actionOf(group: Group, target: string, findings: PlanFinding[]): RemediationAction {
  const refs = findings.map(ref).sort(byRisk);
  const packages = sorted(findings.map((f) => f.package.name));
  const installedVersions = sorted(findings.map((f) => unitOf(f).version));
  const cmd = upgradeCommand(group.ecosystem, packages, target);
  const moving = packages.length === 1 && packages[0] === group.unit ? group.unit : `${group.unit} (${packages.join(', ')})`;
  return {
    ecosystem: group.ecosystem,
    package: group.unit,
    packages,
    installedVersions,
    targetVersion: target,
    ...(cmd ? { manager: cmd.manager, command: cmd.command } : {}),
    ...(cmd?.hint ? { hint: cmd.hint } : {}),
    summary: `Upgrade ${moving} from ${installedVersions.join(', ')} to ${target} or later`,
    riskRemoved: sum(refs),
    kevCount: refs.filter((r) => r.kev).length,
    severity: maxSeverity(refs),
    origin: originOf(refs),
    findings: refs,
  };
}

const REASON_DETAIL: Record<UnfixableReason, string> = {
  NO_FIX_PUBLISHED: 'no fixed version is published yet',
  FIX_IN_NEWER_RELEASE: 'fixed only in a newer release of the distribution',
  FIX_VERSION_UNKNOWN: 'a fix exists but the advisory names no version this ecosystem can read',
};

/**
 * Builds the plan. Findings are grouped by ecosystem and package (source package for
 * distributions); each group with a fix becomes one action to the highest of its fixed
 * versions, compared with the ecosystem's version scheme. Findings with no fix in place go
 * to `unfixable`, per package and reason.
 */
export function planRemediation(findings: readonly PlanFinding[], options: PlanOptions = {}): RemediationPlan {
  const groups = new Map<string, Group>();
  const unfixable = new Map<string, UnfixableEntry>();
  const setAside = (f: PlanFinding, reason: UnfixableReason, note?: string, newer?: { ecosystem: string; version: string }) => {
    const unit = unitOf(f).name;
    const key = JSON.stringify([f.package.ecosystem, unit, reason, newer?.ecosystem ?? '']);
    let entry = unfixable.get(key);
    if (!entry) {
      const detail = newer ? `fixed in ${newer.ecosystem} (${newer.version}); none in ${f.package.ecosystem}` : REASON_DETAIL[reason];
      entry = { ecosystem: f.package.ecosystem, package: unit, reason, detail: note ? `${detail} (${note})` : detail, ...(newer ? { newerRelease: newer } : {}), riskRemaining: 0, findings: [] };
      unfixable.set(key, entry);
    }
    entry.findings.push(ref(f));
  };

  for (const f of findings) {
    if (f.fixedVersion !== undefined && f.fixAvailable !== 'NO' && tryParseEcosystem(f.package.ecosystem)) {
      const unit = unitOf(f).name;
      const key = JSON.stringify([f.package.ecosystem, unit]);
      const group = groups.get(key) ?? { ecosystem: f.package.ecosystem, unit, findings: [] };
      group.findings.push(f);
      groups.set(key, group);
      continue;
    }
    if (f.fixAvailable === 'YES') {
      setAside(f, 'FIX_VERSION_UNKNOWN');
      continue;
    }
    const newer = options.newerRelease?.(f);
    if (newer) setAside(f, 'FIX_IN_NEWER_RELEASE', undefined, newer);
    else setAside(f, 'NO_FIX_PUBLISHED', f.fixAvailable === 'PARTIAL' ? f.fixNote : undefined);
  }

  const actions: RemediationAction[] = [];
  for (const group of groups.values()) {
    const { target, unreadable } = targetOf(group);
    for (const f of unreadable) setAside(f, 'FIX_VERSION_UNKNOWN', `"${f.fixedVersion}" is not a version here`);
    const readable = group.findings.filter((f) => !unreadable.includes(f));
    if (target !== undefined) actions.push(actionOf(group, target, readable));
  }
  actions.sort((a, b) => Number(b.kevCount > 0) - Number(a.kevCount > 0) || b.riskRemoved - a.riskRemoved || b.findings.length - a.findings.length || a.package.localeCompare(b.package));

  const entries = [...unfixable.values()];
  for (const e of entries) {
    e.findings.sort(byRisk);
    e.riskRemaining = sum(e.findings);
  }
  entries.sort((a, b) => b.riskRemaining - a.riskRemaining || a.package.localeCompare(b.package) || a.reason.localeCompare(b.reason));

  const fixable = actions.reduce((n, a) => n + a.findings.length, 0);
  return {
    actions,
    unfixable: entries,
    totals: {
      findings: findings.length,
      fixable,
      unfixable: findings.length - fixable,
      risk: round(findings.reduce((n, f) => n + f.score, 0)),
      riskRemovable: round(actions.reduce((n, a) => n + a.riskRemoved, 0)),
    },
  };
}

/** The action that closes a finding (by stored id, or vulnerability and package), or its unfixable entry. */
export function planEntryFor(plan: RemediationPlan, match: (r: PlanFindingRef) => boolean): { action?: RemediationAction; unfixable?: UnfixableEntry } {
  const action = plan.actions.find((a) => a.findings.some(match));
  if (action) return { action };
  return { unfixable: plan.unfixable.find((u) => u.findings.some(match)) };
}
