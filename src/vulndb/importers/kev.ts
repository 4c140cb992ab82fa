/** The CISA Known Exploited Vulnerabilities catalog (JSON) → KEV enrichment by CVE id. */
import { kevCatalogSchema, kevEntrySchema } from './kev-schema.js';
import { UNREADABLE, decodeEntry, reason, type ImportItem, type Importer } from './types.js';

/** The KEV importer. */
export const kevImporter: Importer = {
  kind: 'kev',
  version: 1,
  provides: 'enrichment',
  wants: (name) => /\.json$/i.test(name) && !/schema/i.test(name),
  *parse(entry, ctx): Iterable<ImportItem> {
    const raw = decodeEntry(entry, ctx, 'JSON');
    if (raw === UNREADABLE) return;
    const catalog = kevCatalogSchema.safeParse(raw);
    if (!catalog.success) {
      ctx.skip(entry.name, `not a KEV catalog: ${reason(catalog.error)}`);
      return;
    }
    for (const [i, v] of catalog.data.vulnerabilities.entries()) {
      const e = kevEntrySchema.safeParse(v);
      if (!e.success) {
        ctx.skip(`${entry.name}[${i}]`, `not a KEV entry: ${reason(e.error)}`);
        continue;
      }
      const d = e.data;
      yield {
        type: 'enrichment',
        item: {
          cveId: d.cveID,
          kev: {
            cveId: d.cveID,
            dateAdded: d.dateAdded,
            dueDate: d.dueDate,
            knownRansomwareCampaignUse: d.knownRansomwareCampaignUse,
            vendorProject: d.vendorProject,
            product: d.product,
            vulnerabilityName: d.vulnerabilityName,
            requiredAction: d.requiredAction,
          },
        },
      };
    }
  },
};
