/**
 * NVD CVE API 2.0 JSON → enrichment: CVSS v2/v3.0/v3.1/v4.0 (NVD's own as `nvd`, a CNA's
 * secondary metric as `cna`), CWE ids and references. Reads single records (the per-CVE
 * mirror layout), API responses and the yearly feed files, gzipped or not.
 */
import { toCvssVector } from '../cvss.js';
import type { CvssVector } from '../types.js';
import { nvdCveSchema, nvdFeedSchema } from './nvd-schema.js';
import { UNREADABLE, decodeEntry, reason, type EnrichmentItem, type ImportContext, type ImportItem, type Importer } from './types.js';

/** Converts one validated NVD `cve` object. */
export function nvdToEnrichment(cve: ReturnType<typeof nvdCveSchema.parse>): EnrichmentItem {
  const cvss: CvssVector[] = [];
  const m = cve.metrics ?? {};
  for (const list of [m.cvssMetricV40, m.cvssMetricV31, m.cvssMetricV30, m.cvssMetricV2]) {
    for (const metric of list ?? []) {
      const source = !metric.source || metric.source === 'nvd@nist.gov' ? 'nvd' : 'cna';
      const v = toCvssVector(metric.cvssData.vectorString, source);
      if (v) cvss.push(v);
    }
  }
  const cwes = new Set<string>();
  for (const w of cve.weaknesses ?? []) for (const d of w.description ?? []) if (/^CWE-\d+$/.test(d.value)) cwes.add(d.value);
  return { cveId: cve.id, cvss, cwes: [...cwes], references: [...new Set((cve.references ?? []).map((r) => r.url))] };
}

function* one(label: string, raw: unknown, ctx: ImportContext): Iterable<ImportItem> {
  const parsed = nvdCveSchema.safeParse(raw);
  if (!parsed.success) {
    ctx.skip(label, `not an NVD CVE record: ${reason(parsed.error)}`);
    return;
  }
  if (parsed.data.vulnStatus === 'Rejected') {
    ctx.skip(label, `${parsed.data.id} is rejected`);
    return;
  }
  yield { type: 'enrichment', item: nvdToEnrichment(parsed.data) };
}

/** The NVD importer. */
export const nvdImporter: Importer = {
  kind: 'nvd',
  version: 1,
  provides: 'enrichment',
  arrayKey: 'vulnerabilities',
  wants: (name) => /\.json$/i.test(name),
  *parse(entry, ctx): Iterable<ImportItem> {
    const raw = decodeEntry(entry, ctx, 'JSON');
    if (raw === UNREADABLE) return;
    const feed = nvdFeedSchema.safeParse(raw);
    if (feed.success) {
      for (const [i, v] of feed.data.vulnerabilities.entries()) yield* one(`${entry.name}[${i}]`, v.cve, ctx);
      return;
    }
    // A single record: the bare `cve` object, or `{ cve: {...} }`.
    const inner = raw && typeof raw === 'object' && 'cve' in raw ? (raw as { cve: unknown }).cve : raw;
    yield* one(entry.name, inner, ctx);
  },
};
