/**
 * VEX on the server. In: a document's `not_affected` and `fixed` statements become
 * suppression rules (vulnerability × package, with the statement as provenance), so they
 * also cover findings that appear later; `affected` and `under_investigation` statements
 * become notes on the findings they name. Out: the suppression decisions in scope as an
 * OpenVEX or CycloneDX VEX document.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../db/connect.js';
import { VIGIL_VERSION } from '../inventory/sbom/common.js';
import { describeStatement, statementCovers, suppresses } from '../vex/match.js';
import type { VexDocument, VexStatement } from '../vex/read.js';
import type { FilterCriteria } from './criteria.js';
import type { Justification } from './justifications.js';
import type { AccountScope } from './scope.js';
import { iterateFindings, type PackageApiFinding as ApiFinding } from './search.js';
import { insertRule, listRules, type SuppressionRule } from './suppression.js';

/** What applying a document did. */
export interface VexImportResult {
  document: string;
  rules: SuppressionRule[];
  suppressed: number;
  notes: number;
  /** Statements that named no finding in the account (their rules still wait for one). */
  unmatched: number;
}

const eq = (value: string) => [{ comparison: 'EQUALS' as const, value }];

/** The account's findings a statement names. */
async function findingsOf(db: Db, accountId: string, s: VexStatement): Promise<ApiFinding[]> {
  const ids = [s.vulnerability, ...s.aliases].slice(0, 10);
  const out: ApiFinding[] = [];
  for await (const f of iterateFindings(db, [accountId], { vulnerabilityId: ids.map((value) => ({ comparison: 'EQUALS' as const, value })) })) {
    // VEX statements are about packages: a network exposure is never one's subject.
    if (f.type === 'PACKAGE_VULNERABILITY' && statementCovers(s, { id: f.vulnerabilityId, aliases: f.aliases, package: f.package })) out.push(f);
  }
  return out;
}

/** Rule criteria for a statement: its vulnerability in each package it names (by name, and version when given). */
function ruleCriteria(s: VexStatement, matched: readonly ApiFinding[]): FilterCriteria[] {
  const out = new Map<string, FilterCriteria>();
  // Matched findings give Vigil's own package names (a PURL's name differs for scoped npm, Maven…).
  for (const f of matched) {
    const c: FilterCriteria = { vulnerabilityId: eq(f.vulnerabilityId), packageName: eq(f.package.name), packageVersion: eq(f.package.version) };
    out.set(JSON.stringify(c), c);
  }
  if (out.size === 0) {
    for (const p of s.products) {
      const m = p.purl ? /^pkg:[^/]+\/(?:.*\/)?([^/@?#]+)(?:@([^?#]+))?/.exec(p.purl) : undefined;
      const name = m ? decodeURIComponent(m[1]) : p.name;
      const version = m ? (m[2] ? decodeURIComponent(m[2]) : undefined) : p.version;
      if (!name) continue;
      const c: FilterCriteria = { vulnerabilityId: eq(s.vulnerability), packageName: eq(name), ...(version ? { packageVersion: eq(version) } : {}) };
      out.set(JSON.stringify(c), c);
    }
  }
  return [...out.values()];
}

/**
 * Applies a document to one account's findings (now, and through rules, later), all or
 * nothing: one transaction, so a statement that fails leaves none of the document's rules,
 * suppressions or notes behind.
 */
export async function importVex(db: Db, accountId: string, doc: VexDocument, createdBy: string, at = Date.now()): Promise<VexImportResult> {
  return db.kysely.transaction().execute((trx) => applyStatements({ ...db, kysely: trx }, accountId, doc, createdBy, at));
}

/** Applies every statement of a document through `db` (a transaction). */
async function applyStatements(db: Db, accountId: string, doc: VexDocument, createdBy: string, at: number): Promise<VexImportResult> {
  const result: VexImportResult = { document: doc.id, rules: [], suppressed: 0, notes: 0, unmatched: 0 };
  for (const s of doc.statements) {
    const matched = await findingsOf(db, accountId, s);
    if (matched.length === 0) result.unmatched++;
    const line = describeStatement(doc, s);
    if (suppresses(s.status)) {
      const provenance = { source: doc.format, document: doc.id, author: doc.author, timestamp: doc.timestamp, statement: s.raw };
      for (const criteria of ruleCriteria(s, matched)) {
        const { rule, suppressed } = await insertRule(
          db,
          {
            accountId,
            name: `VEX ${s.status}: ${s.vulnerability} in ${criteria.packageName?.[0]?.value ?? 'package'}`.slice(0, 200),
            reason: line.slice(0, 2000),
            ...(s.justification ? { justification: s.justification } : {}),
            criteria,
            createdBy,
            provenance,
          },
          at,
        );
        result.rules.push(rule);
        result.suppressed += suppressed;
      }
      continue;
    }
    // affected / under_investigation: the finding stays open with the statement on its timeline.
    if (matched.length > 0) {
      await db.kysely
        .insertInto('finding_events')
        .values(matched.map((f) => ({ finding_id: f.findingId, account_id: f.accountId, at, event: 'NOTE', detail: JSON.stringify({ note: line, source: doc.format, document: doc.id, author: doc.author, status: s.status }) })))
        .execute();
      result.notes += matched.length;
    }
  }
  return result;
}

/** VEX export formats. */
export const VEX_FORMATS = ['openvex', 'cyclonedx'] as const;
/** One of them. */
export type VexFormat = (typeof VEX_FORMATS)[number];

/** One exported decision: a suppressed finding and the rule that suppressed it. */
interface Decision {
  finding: ApiFinding;
  rule?: SuppressionRule;
}

async function decisions(db: Db, scope: AccountScope, criteria: FilterCriteria): Promise<Decision[]> {
  const rules = new Map((await listRules(db, scope)).map((r) => [r.id, r]));
  const out: Decision[] = [];
  for await (const f of iterateFindings(db, scope, { ...criteria, status: eq('SUPPRESSED') })) if (f.type === 'PACKAGE_VULNERABILITY') out.push({ finding: f, rule: f.suppressedBy ? rules.get(f.suppressedBy) : undefined });
  return out;
}

/** OpenVEX status of a decision: accepted risk is not "not affected" but a decision to live with it. */
function openVexStatement(d: Decision, timestamp: string): Record<string, unknown> {
  const f = d.finding;
  const reason = d.rule ? `${d.rule.name}: ${d.rule.reason}` : 'suppressed in Vigil';
  const base = { vulnerability: { name: f.vulnerabilityId, ...(f.aliases.length ? { aliases: f.aliases } : {}) }, timestamp, products: [{ '@id': f.package.purl }] };
  if (d.rule?.justification === 'accepted_risk') return { ...base, status: 'affected', action_statement: `Risk accepted: ${reason}` };
  return { ...base, status: 'not_affected', ...(d.rule?.justification ? { justification: d.rule.justification } : {}), impact_statement: reason };
}

/** CycloneDX justifications for Vigil's (OpenVEX's) names. */
const TO_CDX: Record<Exclude<Justification, 'accepted_risk'>, string> = {
  component_not_present: 'requires_dependency',
  vulnerable_code_not_present: 'code_not_present',
  vulnerable_code_not_in_execute_path: 'code_not_reachable',
  vulnerable_code_cannot_be_controlled_by_adversary: 'requires_environment',
  inline_mitigations_already_exist: 'protected_by_mitigating_control',
};

function openVex(list: readonly Decision[], author: string): string {
  const timestamp = new Date().toISOString();
  return `${JSON.stringify(
    {
      '@context': 'https://openvex.dev/ns/v0.2.0',
      '@id': `urn:uuid:${randomUUID()}`,
      author,
      timestamp,
      version: 1,
      tooling: `vigil/${VIGIL_VERSION}`,
      statements: list.map((d) => openVexStatement(d, d.rule?.updatedAt ?? d.finding.updatedAt)),
    },
    null,
    2,
  )}\n`;
}

function cycloneDxVex(list: readonly Decision[], author: string): string {
  const components = new Map<string, Record<string, unknown>>();
  const vulns = new Map<string, { id: string; analysis: Record<string, unknown>; affects: { ref: string }[] }>();
  for (const d of list) {
    const f = d.finding;
    components.set(f.package.purl, { type: 'library', 'bom-ref': f.package.purl, name: f.package.name, version: f.package.version, purl: f.package.purl });
    const reason = d.rule ? `${d.rule.name}: ${d.rule.reason}` : 'suppressed in Vigil';
    const j = d.rule?.justification;
    const analysis =
      j === 'accepted_risk'
        ? { state: 'exploitable', response: ['will_not_fix'], detail: `Risk accepted: ${reason}` }
        : { state: 'not_affected', ...(j ? { justification: TO_CDX[j] } : {}), detail: reason };
    // One vulnerability entry per (id, decision): the same decision across packages shares it.
    const key = `${f.vulnerabilityId}\u0000${JSON.stringify(analysis)}`;
    const v = vulns.get(key) ?? { id: f.vulnerabilityId, analysis, affects: [] as { ref: string }[] };
    if (!v.affects.some((a) => a.ref === f.package.purl)) v.affects.push({ ref: f.package.purl });
    vulns.set(key, v);
  }
  const bom = {
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: `urn:uuid:${randomUUID()}`,
    version: 1,
    metadata: { timestamp: new Date().toISOString(), tools: { components: [{ type: 'application', name: 'vigil', version: VIGIL_VERSION }] }, authors: [{ name: author }] },
    components: [...components.values()],
    vulnerabilities: [...vulns.values()].map((v, i) => ({ 'bom-ref': `vigil:vex:${i}`, ...v })),
  };
  return `${JSON.stringify(bom, null, 2)}\n`;
}

/** The suppression decisions in scope (narrowed by the criteria) as a VEX document. */
export async function exportVex(db: Db, scope: AccountScope, criteria: FilterCriteria, format: VexFormat, author: string): Promise<string> {
  const list = await decisions(db, scope, criteria);
  return format === 'openvex' ? openVex(list, author) : cycloneDxVex(list, author);
}
