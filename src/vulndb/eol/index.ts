/**
 * End of life of distribution releases: the maintained table in `distributions.json` (its
 * sources cited there), checked through a schema when loaded, and the verdict for one OSV
 * ecosystem string at a given date.
 */
import { z } from 'zod';
import { tryParseEcosystem } from '../../ecosystems.js';
import table from './distributions.json' with { type: 'json' };

/**
 * The schema of `distributions.json`, built on first use: the table is only read when a scan
 * meets an OS release, so a lockfile scan does not pay for building it.
 */
function buildEolTableSchema() {
  /** A day, or a month when the vendor announces only the month (meaning its last day). */
  const dateSchema = z.string().regex(/^\d{4}-\d{2}(-\d{2})?$/, 'expected YYYY-MM-DD or YYYY-MM');
  const releaseSchema = z.strictObject({
    standard: dateSchema,
    extended: z.strictObject({ until: dateSchema, name: z.string().min(1) }).optional(),
  });
  return z.strictObject({
    about: z.string(),
    reviewed: dateSchema,
    sources: z.array(z.url()).min(1),
    distributions: z.record(
      z.string(),
      z.strictObject({
        lifecycle: z.url(),
        note: z.string().optional(),
        releases: z.record(z.string(), releaseSchema),
      }),
    ),
  });
}

let schema: ReturnType<typeof buildEolTableSchema> | undefined;

/** The shape of `distributions.json`. */
export function eolTableSchema(): ReturnType<typeof buildEolTableSchema> {
  schema ??= buildEolTableSchema();
  return schema;
}

/** The end-of-life table, as `distributions.json` holds it. */
export type EolTable = z.infer<ReturnType<typeof buildEolTableSchema>>;

let loaded: EolTable | undefined;

/** The bundled table, validated on first use (a malformed edit fails loudly, naming the field). */
export function eolTable(): EolTable {
  if (!loaded) {
    const parsed = eolTableSchema().safeParse(table);
    if (!parsed.success) throw new Error(`src/vulndb/eol/distributions.json: ${z.prettifyError(parsed.error)}`);
    loaded = parsed.data;
  }
  return loaded;
}

/** Where a release stands at a date. */
export interface EolVerdict {
  /** `supported`; `extended-only` (standard support over, paid extended support goes on); `eol`. */
  state: 'supported' | 'extended-only' | 'eol';
  /** The distribution and release as people name them, e.g. `Debian 10`. */
  release: string;
  /** End of standard security support, as the table writes it. */
  standard: string;
  extended?: { until: string; name: string };
  /** The vendor's lifecycle page. */
  lifecycle: string;
}

/** The last instant of a table date (a month means its last day), in UTC. */
function endOf(date: string): number {
  const [y, m, d] = date.split('-').map(Number);
  return d === undefined ? Date.UTC(y, m, 1) - 1 : Date.UTC(y, m - 1, d + 1) - 1;
}

/** The table's release key of an OSV release string (`22.04:LTS` → `22.04`, `v3.19` → `3.19`). */
function releaseKey(distribution: string, release: string): string {
  switch (distribution) {
    case 'Alpine':
      return release.replace(/^v/, '');
    case 'Ubuntu':
      return release.split(':')[0];
    case 'SUSE':
      return /(\d+)/.exec(release)?.[1] ?? release;
    case 'openSUSE':
      return release.replace(/^Leap\s+/i, '');
    default:
      return release;
  }
}

/**
 * The end-of-life verdict for an OSV distribution ecosystem with release (`Debian:10`,
 * `Ubuntu:20.04:LTS`, `Alpine:v3.15`) at `now`; undefined when the table does not list it
 * (language ecosystems, rolling distributions, releases newer or older than the table).
 */
export function eolVerdict(ecosystem: string, now: Date, eol: EolTable = eolTable()): EolVerdict | undefined {
  const parsed = tryParseEcosystem(ecosystem);
  if (!parsed || parsed.info.kind !== 'os' || !parsed.release) return undefined;
  const distribution = eol.distributions[parsed.info.name];
  const key = releaseKey(parsed.info.name, parsed.release);
  const entry = distribution?.releases[key];
  if (!entry) return undefined;
  const t = now.getTime();
  const state = t <= endOf(entry.standard) ? 'supported' : entry.extended && t <= endOf(entry.extended.until) ? 'extended-only' : 'eol';
  return { state, release: `${parsed.info.name} ${key}`, standard: entry.standard, ...(entry.extended ? { extended: entry.extended } : {}), lifecycle: distribution.lifecycle };
}

/** One sentence on a verdict that is not `supported`, for warnings and coverage details. */
export function eolSentence(v: EolVerdict): string | undefined {
  if (v.state === 'supported') return undefined;
  if (v.state === 'extended-only') {
    return `${v.release}: standard security support ended ${v.standard}; fixes continue only through ${v.extended!.name} until ${v.extended!.until} (${v.lifecycle})`;
  }
  const last = v.extended ? `${v.extended.name} ended ${v.extended.until}` : `security support ended ${v.standard}`;
  return `${v.release} is end of life: ${last}; it gets no more security fixes and new vulnerabilities may go unreported (${v.lifecycle})`;
}
