/**
 * Which VEX statement speaks about a finding: the vulnerability by id or alias, the package
 * by PURL (qualifiers aside, version when the PURL has one) or by name and version.
 */
import { purlMatches } from '../matching/ignore-file.js';
import type { VexDocument, VexProduct, VexStatement } from './read.js';

/** What a statement is matched against: a finding's vulnerability and package. */
export interface VexSubject {
  id: string;
  aliases: readonly string[];
  package: { purl: string; name: string; version: string };
}

function productCovers(p: VexProduct, pkg: VexSubject['package']): boolean {
  if (p.purl) return purlMatches(p.purl, pkg.purl);
  if (p.name) return p.name === pkg.name && (p.version === undefined || p.version === pkg.version);
  return false;
}

/** Whether the statement is about this finding. */
export function statementCovers(s: VexStatement, f: VexSubject): boolean {
  const ids = new Set([f.id, ...f.aliases]);
  if (!ids.has(s.vulnerability) && !s.aliases.some((a) => ids.has(a))) return false;
  return s.products.some((p) => productCovers(p, f.package));
}

/** The first statement of the documents about this finding, with its document; later documents win over earlier ones. */
export function findStatement(docs: readonly VexDocument[], f: VexSubject): { doc: VexDocument; statement: VexStatement } | undefined {
  for (let i = docs.length - 1; i >= 0; i--) {
    const doc = docs[i];
    // Within a document, the last statement about a product is its current word (OpenVEX keeps history in order).
    for (let j = doc.statements.length - 1; j >= 0; j--) if (statementCovers(doc.statements[j], f)) return { doc, statement: doc.statements[j] };
  }
  return undefined;
}

/** One line saying which statement of which document, by whom, and why. */
export function describeStatement(doc: VexDocument, s: VexStatement): string {
  const why = [s.justification, s.detail, s.action].filter(Boolean).join('; ');
  return `VEX ${doc.id}${doc.author ? ` (${doc.author})` : ''}: ${s.status}${why ? ` — ${why}` : ''}`;
}

/** Whether the status takes the finding off the open list. */
export function suppresses(status: VexStatement['status']): boolean {
  return status === 'not_affected' || status === 'fixed';
}
