/** zod schema for ruby-advisory-db YAML (`gems/<gem>/<id>.yml`, `rubies/<engine>/<id>.yml`). */
import { z } from 'zod';

const text = z.union([z.string(), z.number()]).transform(String);
const versions = z.array(text).nullish();

/** One rubysec advisory; unknown keys are kept out of the way. */
export const rubysecSchema = z.looseObject({
  gem: z.string().min(1).optional(),
  engine: z.string().optional(),
  cve: text.nullish(),
  ghsa: text.nullish(),
  osvdb: text.nullish(),
  url: z.string().nullish(),
  title: z.string().nullish(),
  date: z.union([z.string(), z.date().transform((d) => d.toISOString().slice(0, 10))]).nullish(),
  description: z.string().nullish(),
  cvss_v2: z.number().nullish(),
  cvss_v3: z.number().nullish(),
  cvss_v4: z.number().nullish(),
  patched_versions: versions,
  unaffected_versions: versions,
  related: z.looseObject({ url: z.array(z.string()).nullish() }).nullish(),
  notes: z.string().nullish(),
});
