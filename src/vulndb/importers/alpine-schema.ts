/** zod schema for Alpine secdb files (`v3.11/main.yaml`, `v3.19/main.json`). */
import { z } from 'zod';

// YAML's failsafe schema (used so that `1.10` stays a string) reads an empty value as "".
const idList = z
  .union([z.array(z.union([z.string(), z.number()]).transform(String)), z.string().transform((s) => (s.trim() ? [s] : []))])
  .nullish();
const empty = z.literal('').transform(() => []);

/** One secdb file: one branch and repository of Alpine. */
export const alpineSecdbSchema = z.looseObject({
  distroversion: z.string().regex(/^v?\d+\.\d+|^edge$/, 'expected a branch like v3.19'),
  reponame: z.string().min(1),
  packages: z
    .union([empty, z.array(
      z.looseObject({
        pkg: z.looseObject({
          name: z.string().min(1),
          secfixes: z.union([empty, z.record(z.string(), idList)]).nullish(),
        }),
      }),
    )])
    .nullish(),
});
