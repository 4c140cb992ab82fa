/** zod schema for NVD CVE API 2.0 JSON: single `cve` objects, API responses and yearly feeds. */
import { z } from 'zod';

const cvssMetric = z.looseObject({
  source: z.string().optional(),
  type: z.string().optional(),
  cvssData: z.looseObject({ version: z.string().optional(), vectorString: z.string() }),
});

/** The `cve` object of the NVD API 2.0 format. */
export const nvdCveSchema = z.looseObject({
  id: z.string().regex(/^CVE-\d{4}-\d+$/, 'expected a CVE id'),
  vulnStatus: z.string().optional(),
  metrics: z
    .looseObject({
      cvssMetricV40: z.array(cvssMetric).optional(),
      cvssMetricV31: z.array(cvssMetric).optional(),
      cvssMetricV30: z.array(cvssMetric).optional(),
      cvssMetricV2: z.array(cvssMetric).optional(),
    })
    .optional(),
  weaknesses: z.array(z.looseObject({ description: z.array(z.looseObject({ value: z.string() })).optional() })).optional(),
  references: z.array(z.looseObject({ url: z.string() })).optional(),
});

/** An API response or feed file: `{ vulnerabilities: [{ cve }] }`. */
export const nvdFeedSchema = z.looseObject({ vulnerabilities: z.array(z.looseObject({ cve: z.unknown() })) });
