/**
 * NVD's JSON 2.0 data feeds (https://nvd.nist.gov/vuln/data-feeds): one gzipped file per CVE
 * year, `nvdcve-2.0-<year>.json.gz` (2002 holds every CVE up to 2002), plus
 * `nvdcve-2.0-modified.json.gz`, the CVEs added or changed in the last eight days.
 *
 * A feed base (the URL directory, or a local folder holding such files) becomes one unit per
 * year and one for the modified feed. Years are fetched by fingerprint like any file; the
 * modified feed is a patch: it replaces only the CVEs it lists, inside their year's rows, so
 * that a day's changes cost one small download instead of the year files.
 */
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { SourceSpec, SourceUnit } from './sources.js';

/** NVD's public feed directory. */
export const NVD_FEEDS_BASE = 'https://nvd.nist.gov/feeds/json/cve/2.0';

/** The first yearly feed: it also holds the CVEs of 1999–2001. */
export const NVD_FIRST_YEAR = 2002;

const FEED_FILE = /^nvdcve-2\.0-(\d{4}|modified)\.json(\.gz)?$/;

/** The file name of one feed. */
export function nvdFeedFile(which: number | 'modified'): string {
  return `nvdcve-2.0-${which}.json.gz`;
}

/** The year feed a CVE id is published in. */
export function nvdFeedYear(cveId: string): number {
  const year = Number(/^CVE-(\d{4})-/i.exec(cveId)?.[1]);
  return Number.isFinite(year) && year > NVD_FIRST_YEAR ? year : NVD_FIRST_YEAR;
}

/**
 * Whether an `nvd=` location is a feed base rather than one file or a per-CVE folder: a URL
 * that does not name a file, or a folder holding `nvdcve-2.0-*.json(.gz)` files.
 */
export async function isNvdFeedBase(spec: SourceSpec): Promise<boolean> {
  if (spec.remote) return !/\.(json|gz|zip)$/i.test(new URL(spec.location).pathname);
  if (!existsSync(spec.location) || !(await stat(spec.location)).isDirectory()) return false;
  return (await readdir(spec.location)).some((f) => FEED_FILE.test(f));
}

/**
 * The units of a feed base: each year (every year from 2002 to `now`'s for a URL; the year
 * files present in a folder), then the modified feed as a patch of the year units.
 */
export async function expandNvdFeeds(spec: SourceSpec, base: string, now = new Date()): Promise<SourceUnit[]> {
  const years: number[] = [];
  const files = new Map<string, string>();
  if (spec.remote) {
    for (let y = NVD_FIRST_YEAR; y <= now.getUTCFullYear(); y++) years.push(y);
  } else {
    for (const f of (await readdir(spec.location)).sort()) {
      const m = FEED_FILE.exec(f);
      if (!m) continue;
      files.set(m[1], f);
      if (m[1] !== 'modified') years.push(Number(m[1]));
    }
  }
  const target = (which: number | 'modified'): string =>
    spec.remote ? `${spec.location}/${nvdFeedFile(which)}` : join(spec.location, files.get(String(which)) as string);
  const units: SourceUnit[] = years.map((y) => ({ name: `${base}/${y}`, spec, target: target(y) }));
  if (spec.remote || files.has('modified')) {
    units.push({ name: `${base}/modified`, spec, target: target('modified'), patchOf: (cveId) => `${base}/${nvdFeedYear(cveId)}` });
  }
  return units;
}
