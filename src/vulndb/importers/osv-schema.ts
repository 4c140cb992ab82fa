/**
 * zod schema for OSV records (https://ossf.github.io/osv-schema/). Lenient where real feeds
 * are (unknown fields kept, optional fields missing, Go's placeholder dates), strict where
 * the index depends on a field: an id, and package names that are strings.
 */
import { z } from 'zod';

const event = z.looseObject({
  introduced: z.string().optional(),
  fixed: z.string().optional(),
  last_affected: z.string().optional(),
  limit: z.string().optional(),
});

const range = z.looseObject({
  type: z.string(),
  repo: z.string().optional(),
  events: z.array(event),
  database_specific: z.record(z.string(), z.unknown()).optional(),
});

const severity = z.looseObject({ type: z.string(), score: z.string() });

const affected = z.looseObject({
  package: z.looseObject({ ecosystem: z.string().min(1), name: z.string().min(1), purl: z.string().optional() }).optional(),
  severity: z.array(severity).optional(),
  ranges: z.array(range).optional(),
  versions: z.array(z.string()).optional(),
  ecosystem_specific: z.record(z.string(), z.unknown()).optional(),
  database_specific: z.record(z.string(), z.unknown()).optional(),
});

/** YAML sources give dates as Date objects; OSV wants RFC 3339 strings. */
const timestamp = z.union([z.string(), z.date().transform((d) => d.toISOString())]);

/** One OSV record as found in a feed. */
export const osvRecordSchema = z.looseObject({
  schema_version: z.string().optional(),
  id: z.string().min(1),
  modified: timestamp.optional(),
  published: timestamp.optional(),
  withdrawn: timestamp.optional(),
  aliases: z.array(z.string()).nullish(),
  related: z.array(z.string()).nullish(),
  upstream: z.array(z.string()).nullish(),
  summary: z.string().optional(),
  details: z.string().optional(),
  severity: z.array(severity).nullish(),
  affected: z.array(affected).nullish(),
  references: z.array(z.looseObject({ type: z.string(), url: z.string() })).nullish(),
  credits: z.array(z.unknown()).nullish(),
  database_specific: z.record(z.string(), z.unknown()).nullish(),
});
