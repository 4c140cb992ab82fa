/** zod schema for the CISA Known Exploited Vulnerabilities catalog JSON. */
import { z } from 'zod';

/** One catalog entry. */
export const kevEntrySchema = z.looseObject({
  cveID: z.string().regex(/^CVE-\d{4}-\d+$/, 'expected a CVE id'),
  vendorProject: z.string().optional(),
  product: z.string().optional(),
  vulnerabilityName: z.string().optional(),
  dateAdded: z.string().regex(/^\d{4}-\d\d-\d\d/, 'expected a date'),
  requiredAction: z.string().optional(),
  dueDate: z.string().optional(),
  knownRansomwareCampaignUse: z.string().optional(),
});

/** The catalog: entries are validated one by one so one bad entry does not lose the rest. */
export const kevCatalogSchema = z.looseObject({
  catalogVersion: z.string().optional(),
  vulnerabilities: z.array(z.unknown()),
});
