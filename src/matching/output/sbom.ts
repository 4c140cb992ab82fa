/**
 * Findings inside SBOMs. `cyclonedx` is the inventory's CycloneDX 1.6 document (written by
 * the inventory's own SBOM writer) with a `vulnerabilities` section; `cyclonedx-vex` is the
 * same for the affected packages only, a VEX document whose analysis states say what Vigil
 * knows; `spdx` is the inventory's SPDX 2.3 document with SECURITY advisory references on
 * the affected packages (SPDX 2.3 has no vulnerability section).
 */
import { toCycloneDxJson, toSpdx } from '../../inventory/sbom/index.js';
import type { Inventory } from '../../inventory/types.js';
import type { Finding, ScanResult, Severity } from '../types.js';
import type { RenderContext } from './index.js';

/** CycloneDX 1.6 `vulnerability` as JSON. */
interface CdxVulnerability {
  'bom-ref': string;
  id: string;
  source?: { name: string; url?: string };
  references?: { id: string; source: { name: string; url?: string } }[];
  ratings: { source?: { name: string }; score?: number; severity: string; method?: string; vector?: string }[];
  description?: string;
  recommendation: string;
  advisories?: { url: string }[];
  analysis: { state: string; response?: string[]; detail?: string };
  affects: { ref: string; versions?: { version: string; status: 'affected' }[] }[];
  properties?: { name: string; value: string }[];
}

const CDX_SEVERITY: Record<Severity, string> = {
  CRITICAL: 'critical',
  HIGH: 'high',
  MEDIUM: 'medium',
  LOW: 'low',
  INFORMATIONAL: 'info',
  UNTRIAGED: 'unknown',
};

const CDX_METHOD: Record<string, string> = { '2.0': 'CVSSv2', '3.0': 'CVSSv3', '3.1': 'CVSSv31', '4.0': 'CVSSv4' };

/** Where people read about an advisory id. */
export function advisoryUrl(id: string): { name: string; url: string } {
  if (id.startsWith('CVE-')) return { name: 'NVD', url: `https://nvd.nist.gov/vuln/detail/${id}` };
  if (id.startsWith('GHSA-')) return { name: 'GitHub', url: `https://github.com/advisories/${id}` };
  return { name: 'OSV', url: `https://osv.dev/vulnerability/${id}` };
}

const SOURCE_NAMES: Record<string, string> = { nvd: 'NVD', 'cisa-adp': 'CISA-ADP', vendor: 'distribution', ghsa: 'GitHub', osv: 'OSV', cna: 'CNA' };

function analysis(f: Finding): CdxVulnerability['analysis'] {
  const response = f.fixAvailable === 'NO' ? [] : ['update'];
  // Vigil knows the package is affected, not whether this deployment can be exploited: that is
  // triage, unless CISA has seen it exploited in the wild.
  if (f.kev) return { state: 'exploitable', response, detail: `listed in CISA KEV since ${f.kev.dateAdded}` };
  return { state: 'in_triage', ...(response.length ? { response } : {}) };
}

function vulnerabilities(result: ScanResult, refOf: (purl: string) => string | undefined): CdxVulnerability[] {
  const byId = new Map<string, CdxVulnerability>();
  for (const f of result.findings) {
    const ref = refOf(f.package.purl);
    if (!ref) continue;
    let v = byId.get(f.id);
    if (!v) {
      const source = advisoryUrl(f.id);
      v = {
        'bom-ref': `vigil:vulnerability:${f.id}`,
        id: f.id,
        source,
        ...(f.aliases.length ? { references: f.aliases.map((a) => ({ id: a, source: advisoryUrl(a) })) } : {}),
        ratings: [
          f.cvss
            ? { source: { name: SOURCE_NAMES[f.cvss.source] ?? f.cvss.source }, score: f.score, severity: CDX_SEVERITY[f.severity], method: CDX_METHOD[f.cvss.version] ?? 'other', vector: f.cvss.vector }
            : { severity: CDX_SEVERITY[f.severity] },
        ],
        ...(f.description ? { description: f.description } : { description: f.title }),
        recommendation: f.fixedVersion ? `Upgrade ${f.package.name} to ${f.fixedVersion} or later.` : f.fixAvailable === 'NO' ? 'No fix is available yet.' : 'See the advisory for fixed versions.',
        ...(f.references.length ? { advisories: f.references.filter((u) => /^https?:\/\//.test(u)).map((url) => ({ url })) } : {}),
        analysis: analysis(f),
        affects: [],
        properties: [
          { name: 'vigil:score', value: String(f.score) },
          { name: 'vigil:scoreSource', value: f.scoreSource },
          ...(f.scoreReason ? [{ name: 'vigil:scoreReason', value: f.scoreReason }] : []),
          ...(f.epss ? [{ name: 'vigil:epss', value: String(f.epss.score) }, { name: 'vigil:epssPercentile', value: String(f.epss.percentile) }] : []),
          ...f.adjustments.map((a) => ({ name: 'vigil:adjustment', value: `${a.metric} ${a.from} → ${a.to}: ${a.reason}` })),
        ],
      };
      byId.set(f.id, v);
    }
    v.affects.push({ ref, versions: [{ version: f.package.version, status: 'affected' }] });
    v.properties!.push({ name: 'vigil:fixAvailable', value: `${f.package.purl} ${f.fixAvailable}${f.fixedVersion ? ` ${f.fixedVersion}` : ''}` });
  }
  for (const s of result.suppressed) {
    const ref = refOf(s.package);
    if (!ref) continue;
    byId.set(`${s.id}\u0000${s.package}`, {
      'bom-ref': `vigil:suppressed:${s.id}:${s.package}`,
      id: s.id,
      source: advisoryUrl(s.id),
      ratings: [{ severity: 'unknown' }],
      recommendation: 'Suppressed by an ignore rule.',
      // An ignore rule is a person's statement that the finding does not apply here.
      analysis: { state: 'not_affected', detail: s.reason },
      affects: [{ ref }],
    });
  }
  return [...byId.values()];
}

interface CdxComponent {
  'bom-ref'?: string;
  purl?: string;
  components?: CdxComponent[];
}

function indexRefs(components: readonly CdxComponent[] | undefined, into: Map<string, string>): void {
  for (const c of components ?? []) {
    if (c.purl && c['bom-ref'] && !into.has(c.purl)) into.set(c.purl, c['bom-ref']);
    indexRefs(c.components, into);
  }
}

/** The property Vigil writes per ecosystem of the scan's data coverage: `status: detail`. */
export const COVERAGE_PROPERTY = 'vigil:coverage';

/** The data coverage as `vigil:coverage` name/value pairs, gaps first. */
function coverageProperties(result: ScanResult): [string, string][] {
  const entries = result.coverage?.ecosystems ?? [];
  const ordered = [...entries.filter((e) => e.status !== 'covered'), ...entries.filter((e) => e.status === 'covered')];
  return ordered.map((e) => [COVERAGE_PROPERTY, `${e.status}: ${e.detail}`]);
}

function cycloneDx(result: ScanResult, inventory: Inventory, vexOnly: boolean): string {
  // A VEX document carries only the packages it makes statements about.
  const affected = new Set([...result.findings.map((f) => f.package.purl), ...result.suppressed.map((s) => s.package)]);
  const subject = vexOnly ? { ...inventory, packages: inventory.packages.filter((p) => affected.has(p.purl)) } : inventory;
  const bom = JSON.parse(toCycloneDxJson(subject)) as {
    metadata?: { properties?: { name: string; value: string }[] };
    components?: CdxComponent[];
    vulnerabilities?: CdxVulnerability[];
  };
  const refs = new Map<string, string>();
  indexRefs(bom.components, refs);
  bom.vulnerabilities = vulnerabilities(result, (purl) => refs.get(purl));
  const coverage = coverageProperties(result);
  if (coverage.length > 0) {
    // Where CycloneDX has no field for it: properties of the document's metadata.
    bom.metadata ??= {};
    bom.metadata.properties = [...(bom.metadata.properties ?? []), ...coverage.map(([name, value]) => ({ name, value }))];
  }
  return `${JSON.stringify(bom, null, 2)}\n`;
}

function spdx(result: ScanResult, inventory: Inventory): string {
  const doc = toSpdx(inventory);
  const byPurl = new Map<string, Finding[]>();
  for (const f of result.findings) byPurl.set(f.package.purl, [...(byPurl.get(f.package.purl) ?? []), f]);
  const date = doc.creationInfo.created;
  // SPDX 2.3 has no place for a scan's gaps but annotations: on the package the document describes.
  const described = new Set((doc.relationships ?? []).filter((r) => r.relationshipType === 'DESCRIBES').map((r) => r.relatedSpdxElement));
  const root = doc.packages.find((p) => described.has(p.SPDXID));
  const coverage = coverageProperties(result);
  if (root && coverage.length > 0) {
    root.annotations = [
      ...(root.annotations ?? []),
      ...coverage.map(([name, value]) => ({ annotationDate: date, annotationType: 'OTHER' as const, annotator: doc.creationInfo.creators[0], comment: `${name}=${value}` })),
    ];
  }
  for (const pkg of doc.packages) {
    const purl = pkg.externalRefs?.find((r) => r.referenceType === 'purl')?.referenceLocator;
    const findings = purl ? byPurl.get(purl) : undefined;
    if (!findings) continue;
    for (const f of findings) {
      pkg.externalRefs!.push({ referenceCategory: 'SECURITY', referenceType: 'advisory', referenceLocator: advisoryUrl(f.id).url });
      pkg.annotations = [
        ...(pkg.annotations ?? []),
        {
          annotationDate: date,
          annotationType: 'OTHER',
          annotator: doc.creationInfo.creators[0],
          comment: `vigil:vulnerability=${f.id} severity=${f.severity} score=${f.score} fixAvailable=${f.fixAvailable}${f.fixedVersion ? ` fixedVersion=${f.fixedVersion}` : ''}`,
        },
      ];
    }
  }
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** Renders `cyclonedx`, `cyclonedx-vex` or `spdx`. */
export function renderSbomWithVulnerabilities(format: 'cyclonedx' | 'cyclonedx-vex' | 'spdx', result: ScanResult, ctx: RenderContext): string {
  if (format === 'spdx') return spdx(result, ctx.inventory);
  return cycloneDx(result, ctx.inventory, format === 'cyclonedx-vex');
}
