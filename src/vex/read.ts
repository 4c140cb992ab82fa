/**
 * VEX documents in: OpenVEX (0.x) and CycloneDX VEX (any 1.x `vulnerabilities` with
 * `analysis`), read into one statement form. Untrusted input: parsed through zod, bounded,
 * and every error names the document.
 */
import { z } from 'zod';
import type { Justification } from '../findings/justifications.js';

/** The VEX status of a vulnerability in a product (OpenVEX's names). */
export type VexStatus = 'not_affected' | 'affected' | 'fixed' | 'under_investigation';

/** What a statement is about: a package by PURL, or (lacking one) by name and version. */
export interface VexProduct {
  purl?: string;
  name?: string;
  version?: string;
}

/** One statement: a vulnerability's status in some products, with the why. */
export interface VexStatement {
  vulnerability: string;
  aliases: string[];
  products: VexProduct[];
  status: VexStatus;
  justification?: Justification;
  /** The statement's own words: OpenVEX impact/status notes, CycloneDX analysis detail. */
  detail?: string;
  /** OpenVEX action_statement, CycloneDX responses. */
  action?: string;
  /** The statement as the document wrote it, for provenance. */
  raw: Record<string, unknown>;
}

/** A document read. */
export interface VexDocument {
  format: 'openvex' | 'cyclonedx-vex';
  /** `@id`, `serialNumber`, or the name the document came under. */
  id: string;
  author?: string;
  timestamp?: string;
  statements: VexStatement[];
}

/** A VEX document that cannot be read; names it. */
export class VexError extends Error {
  constructor(document: string, reason: string) {
    super(`VEX document ${document}: ${reason}`);
    this.name = 'VexError';
  }
}

const MAX_STATEMENTS = 10_000;
const text = z.string().max(4096);

const openVexSchema = z.object({
  '@context': z.string().startsWith('https://openvex.dev/ns'),
  '@id': text.optional(),
  author: text.optional(),
  timestamp: text.optional(),
  statements: z
    .array(
      z.looseObject({
        vulnerability: z.union([z.looseObject({ name: text.optional(), '@id': text.optional(), aliases: z.array(text).max(100).optional() }), text]),
        products: z.array(z.looseObject({ '@id': text.optional(), subcomponents: z.array(z.looseObject({ '@id': text.optional() })).max(1000).optional() })).max(1000).optional(),
        status: z.enum(['not_affected', 'affected', 'fixed', 'under_investigation']),
        justification: z.enum(['component_not_present', 'vulnerable_code_not_present', 'vulnerable_code_not_in_execute_path', 'vulnerable_code_cannot_be_controlled_by_adversary', 'inline_mitigations_already_exist']).optional(),
        impact_statement: text.optional(),
        status_notes: text.optional(),
        action_statement: text.optional(),
      }),
    )
    .max(MAX_STATEMENTS),
});

const cdxComponent: z.ZodType<{ 'bom-ref'?: string; purl?: string; name?: string; version?: string; components?: unknown[] }> = z.looseObject({
  'bom-ref': text.optional(),
  purl: text.optional(),
  name: text.optional(),
  version: text.optional(),
  components: z.array(z.lazy(() => cdxComponent)).max(100_000).optional(),
});

const cycloneDxSchema = z.object({
  bomFormat: z.literal('CycloneDX'),
  serialNumber: text.optional(),
  metadata: z.looseObject({ timestamp: text.optional(), component: cdxComponent.optional(), authors: z.array(z.looseObject({ name: text.optional() })).max(100).optional() }).optional(),
  components: z.array(cdxComponent).max(100_000).optional(),
  vulnerabilities: z
    .array(
      z.looseObject({
        id: text,
        references: z.array(z.looseObject({ id: text })).max(100).optional(),
        analysis: z
          .looseObject({ state: text.optional(), justification: text.optional(), response: z.array(text).max(20).optional(), detail: text.optional() })
          .optional(),
        affects: z.array(z.looseObject({ ref: text })).max(10_000).optional(),
      }),
    )
    .max(MAX_STATEMENTS),
});

/** CycloneDX analysis states in OpenVEX terms (ISA's mapping, as CISA's VEX minimum requirements list it). */
const CDX_STATE: Record<string, VexStatus> = {
  not_affected: 'not_affected',
  false_positive: 'not_affected',
  resolved: 'fixed',
  resolved_with_pedigree: 'fixed',
  exploitable: 'affected',
  in_triage: 'under_investigation',
};

/** CycloneDX justifications in OpenVEX terms. */
export const CDX_JUSTIFICATION: Record<string, Justification> = {
  code_not_present: 'vulnerable_code_not_present',
  code_not_reachable: 'vulnerable_code_not_in_execute_path',
  requires_configuration: 'vulnerable_code_not_in_execute_path',
  requires_dependency: 'component_not_present',
  requires_environment: 'vulnerable_code_cannot_be_controlled_by_adversary',
  protected_by_compiler: 'inline_mitigations_already_exist',
  protected_at_runtime: 'inline_mitigations_already_exist',
  protected_at_perimeter: 'inline_mitigations_already_exist',
  protected_by_mitigating_control: 'inline_mitigations_already_exist',
};

function issues(err: z.ZodError): string {
  return err.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(document)'}: ${i.message}`)
    .join('; ');
}

function fromOpenVex(doc: z.infer<typeof openVexSchema>, name: string): VexDocument {
  const statements = doc.statements.map((s): VexStatement => {
    const v = typeof s.vulnerability === 'string' ? { name: s.vulnerability } : s.vulnerability;
    const vulnerability = v.name ?? v['@id'];
    if (!vulnerability) throw new VexError(name, 'a statement names no vulnerability');
    // With subcomponents, the product is the image or application and the subcomponent the package.
    const products = (s.products ?? []).flatMap((p) => (p.subcomponents?.length ? p.subcomponents : [p])).flatMap((p) => (p['@id'] ? [{ purl: p['@id'] }] : []));
    const detail = [s.impact_statement, s.status_notes].filter(Boolean).join(' ');
    return {
      vulnerability,
      aliases: v.aliases ?? [],
      products,
      status: s.status,
      ...(s.justification ? { justification: s.justification } : {}),
      ...(detail ? { detail } : {}),
      ...(s.action_statement ? { action: s.action_statement } : {}),
      raw: s,
    };
  });
  return { format: 'openvex', id: doc['@id'] ?? name, author: doc.author, timestamp: doc.timestamp, statements };
}

function fromCycloneDx(doc: z.infer<typeof cycloneDxSchema>, name: string): VexDocument {
  const byRef = new Map<string, VexProduct>();
  const index = (c: z.infer<typeof cdxComponent>) => {
    if (c['bom-ref']) byRef.set(c['bom-ref'], { purl: c.purl, name: c.name, version: c.version });
    for (const child of (c.components ?? []) as z.infer<typeof cdxComponent>[]) index(child);
  };
  if (doc.metadata?.component) index(doc.metadata.component);
  for (const c of doc.components ?? []) index(c);
  const statements: VexStatement[] = [];
  for (const v of doc.vulnerabilities) {
    const state = v.analysis?.state;
    // A vulnerability without analysis is an SBOM's finding, not a VEX statement.
    if (!state) continue;
    const status = CDX_STATE[state];
    if (!status) throw new VexError(name, `vulnerability ${v.id}: unknown analysis state ${JSON.stringify(state)}`);
    const products = (v.affects ?? []).map((a) => byRef.get(a.ref) ?? (a.ref.startsWith('pkg:') ? { purl: a.ref } : { name: a.ref }));
    const justification = v.analysis?.justification ? CDX_JUSTIFICATION[v.analysis.justification] : undefined;
    statements.push({
      vulnerability: v.id,
      aliases: (v.references ?? []).map((r) => r.id),
      products,
      status,
      ...(justification ? { justification } : {}),
      ...(v.analysis?.detail ? { detail: v.analysis.detail } : {}),
      ...(v.analysis?.response?.length ? { action: v.analysis.response.join(', ') } : {}),
      raw: { id: v.id, analysis: v.analysis, affects: v.affects },
    });
  }
  const author = doc.metadata?.authors?.map((a) => a.name).filter(Boolean).join(', ') || undefined;
  return { format: 'cyclonedx-vex', id: doc.serialNumber ?? name, author, timestamp: doc.metadata?.timestamp, statements };
}

/**
 * Refuses a product PURL whose percent-encoding is broken (`%ZZ`): its name could not be read
 * when the statement becomes a rule, midway through applying the document.
 */
function checkPurls(doc: VexDocument, name: string): VexDocument {
  for (const s of doc.statements) {
    for (const p of s.products) {
      if (!p.purl) continue;
      try {
        decodeURIComponent(p.purl);
      } catch {
        throw new VexError(name, `statement on ${s.vulnerability}: product ${JSON.stringify(p.purl.slice(0, 200))} is not a valid package URL (broken percent-encoding)`);
      }
    }
  }
  return doc;
}

/** Reads an OpenVEX or CycloneDX VEX document (parsed JSON); `name` names it in errors and provenance. */
export function readVexDocument(json: unknown, name: string): VexDocument {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new VexError(name, 'not a JSON object');
  if ('@context' in json) {
    const parsed = openVexSchema.safeParse(json);
    if (!parsed.success) throw new VexError(name, `not OpenVEX: ${issues(parsed.error)}`);
    return checkPurls(fromOpenVex(parsed.data, name), name);
  }
  if ('bomFormat' in json) {
    const parsed = cycloneDxSchema.safeParse(json);
    if (!parsed.success) throw new VexError(name, `not CycloneDX VEX: ${issues(parsed.error)}`);
    return checkPurls(fromCycloneDx(parsed.data, name), name);
  }
  throw new VexError(name, 'neither OpenVEX (@context) nor CycloneDX (bomFormat)');
}
