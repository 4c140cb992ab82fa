/**
 * CVE JSON 5 records → enrichment: CVSS from the CNA container (`cna`) and from CISA's
 * ADP container (`cisa-adp`, vulnrichment), CWE ids and references.
 */
import { toCvssVector } from '../cvss.js';
import type { CvssSource, CvssVector } from '../types.js';
import { cve5Schema } from './cve5-schema.js';
import { UNREADABLE, decodeEntry, reason, type EnrichmentItem, type ImportItem, type Importer } from './types.js';

type Container = NonNullable<ReturnType<typeof cve5Schema.parse>['containers']['cna']>;

function vectorsOf(c: Container, source: CvssSource): CvssVector[] {
  const out: CvssVector[] = [];
  for (const m of c.metrics ?? []) {
    for (const v of [m.cvssV4_0, m.cvssV3_1, m.cvssV3_0, m.cvssV2_0]) {
      const cv = v && toCvssVector(v.vectorString, source);
      if (cv) out.push(cv);
    }
  }
  return out;
}

/** Converts one validated CVE JSON 5 record. */
export function cve5ToEnrichment(rec: ReturnType<typeof cve5Schema.parse>): EnrichmentItem {
  const containers: [Container, CvssSource | undefined][] = [];
  if (rec.containers.cna) containers.push([rec.containers.cna, 'cna']);
  for (const adp of rec.containers.adp ?? []) {
    // Only CISA's ADP scores; the "CVE Program Container" ADP carries references only.
    containers.push([adp, adp.providerMetadata?.shortName === 'CISA-ADP' ? 'cisa-adp' : undefined]);
  }
  const cvss: CvssVector[] = [];
  const cwes = new Set<string>();
  const refs = new Set<string>();
  for (const [c, source] of containers) {
    if (source) cvss.push(...vectorsOf(c, source));
    for (const p of c.problemTypes ?? []) for (const d of p.descriptions ?? []) if (d.cweId && /^CWE-\d+$/.test(d.cweId)) cwes.add(d.cweId);
    for (const r of c.references ?? []) refs.add(r.url);
  }
  return { cveId: rec.cveMetadata.cveId, cvss, cwes: [...cwes], references: [...refs] };
}

/** The CVE JSON 5 importer. */
export const cve5Importer: Importer = {
  kind: 'cve5',
  version: 1,
  provides: 'enrichment',
  wants: (name) => /(^|\/)CVE-\d{4}-\d+\.json$/i.test(name),
  *parse(entry, ctx): Iterable<ImportItem> {
    const raw = decodeEntry(entry, ctx, 'JSON');
    if (raw === UNREADABLE) return;
    const parsed = cve5Schema.safeParse(raw);
    if (!parsed.success) {
      ctx.skip(entry.name, `not a CVE JSON 5 record: ${reason(parsed.error)}`);
      return;
    }
    if (parsed.data.cveMetadata.state !== 'PUBLISHED') {
      ctx.skip(entry.name, `${parsed.data.cveMetadata.cveId} is ${parsed.data.cveMetadata.state.toLowerCase()}`);
      return;
    }
    yield { type: 'enrichment', item: cve5ToEnrichment(parsed.data) };
  },
};
