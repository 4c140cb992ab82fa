/** zod schema for FriendsOfPHP/security-advisories YAML (`<vendor>/<package>/<id>.yaml`). */
import { z } from 'zod';

const timeValue = z.union([z.string(), z.number(), z.date().transform((d) => d.toISOString())]).transform(String);

/** One branch of a package with its affected versions (a conjunction of constraints). */
const branch = z.looseObject({
  time: timeValue.nullish(),
  versions: z.union([z.array(z.union([z.string(), z.number()]).transform(String)), z.string().transform((s) => [s])]),
});

/** One FriendsOfPHP advisory. */
export const packagistSchema = z.looseObject({
  title: z.string().nullish(),
  link: z.string().nullish(),
  cve: z.string().nullish(),
  branches: z.record(z.string(), branch),
  reference: z.string().regex(/^composer:\/\/[^/]+\/[^/]+$/, 'expected composer://vendor/package'),
});
