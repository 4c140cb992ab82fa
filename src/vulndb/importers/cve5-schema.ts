/** zod schema for CVE JSON 5.x records (cvelistV5, cisagov/vulnrichment). */
import { z } from 'zod';

const vector = z.looseObject({ vectorString: z.string() });

/** One entry of `metrics[]`: CVSS of some version, or `other` (SSVC, KEV) content. */
const metric = z.looseObject({
  cvssV4_0: vector.optional(),
  cvssV3_1: vector.optional(),
  cvssV3_0: vector.optional(),
  cvssV2_0: vector.optional(),
});

const container = z.looseObject({
  metrics: z.array(metric).optional(),
  problemTypes: z.array(z.looseObject({ descriptions: z.array(z.looseObject({ cweId: z.string().optional() })).optional() })).optional(),
  references: z.array(z.looseObject({ url: z.string() })).optional(),
  providerMetadata: z.looseObject({ shortName: z.string().optional() }).optional(),
});

/** A CVE JSON 5 record. */
export const cve5Schema = z.looseObject({
  dataType: z.literal('CVE_RECORD'),
  cveMetadata: z.looseObject({ cveId: z.string().regex(/^CVE-\d{4}-\d+$/, 'expected a CVE id'), state: z.string() }),
  containers: z.looseObject({ cna: container.optional(), adp: z.array(container).optional() }),
});
