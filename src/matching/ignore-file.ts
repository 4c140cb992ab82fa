/**
 * `.vigilignore.yaml`: vulnerabilities a team has decided to accept, each with a reason and
 * optionally an expiry date and a package scope. Expired entries stop applying (and say so);
 * entries that hide nothing are reported as stale so the file does not rot.
 *
 * ```yaml
 * ignore:
 *   - id: CVE-2023-4911
 *     reason: setuid binaries are not shipped in this image
 *     expires: 2026-12-31
 *     packages: [libc6]               # optional: binary or source package names
 *     purls: ["pkg:deb/debian/libc6"] # optional: PURL patterns, `*` matches anything
 * ```
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { ScanWarning } from '../inventory/types.js';
import type { Finding, ScanResult } from './types.js';

/** One accepted vulnerability. */
export interface IgnoreEntry {
  /** A vulnerability id or any of its aliases (CVE, GHSA, DSA…). */
  id: string;
  reason: string;
  /** `YYYY-MM-DD` (the entry applies through that day, UTC) or an ISO timestamp. */
  expires?: string;
  /** Limits the entry to these package names (binary or source). */
  packages?: string[];
  /** Limits the entry to packages whose PURL matches one of these patterns. */
  purls?: string[];
}

/** Thrown for an ignore file that cannot be read or does not fit the format; names the file. */
export class IgnoreFileError extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`ignore file ${file}: ${reason}`);
    this.name = 'IgnoreFileError';
  }
}

const dateLike = z.union([z.string(), z.date()]).transform((v, ctx) => {
  const text = v instanceof Date ? v.toISOString() : v.trim();
  if (Number.isNaN(expiryTime(text))) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not a date (use YYYY-MM-DD)` });
    return z.NEVER;
  }
  return text;
});

const entrySchema = z
  .object({
    id: z.string().trim().min(1),
    reason: z.string().trim().min(1, 'every entry needs a reason'),
    expires: dateLike.optional(),
    packages: z.array(z.string().trim().min(1)).optional(),
    purls: z.array(z.string().trim().min(1)).optional(),
  })
  .strict();

const fileSchema = z.object({ ignore: z.array(entrySchema).default([]) }).strict();

/** Parses ignore-file text; `file` names it in errors. */
export function parseIgnoreFile(text: string, file: string): IgnoreEntry[] {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new IgnoreFileError(file, `not valid YAML: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (doc === null || doc === undefined) return [];
  // A bare list of entries is accepted too; checking the shape first keeps zod's messages
  // about the entries themselves rather than "no variant matched".
  const parsed = fileSchema.safeParse(Array.isArray(doc) ? { ignore: doc } : doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length ? ` at ${issue.path.join('.')}` : '';
    throw new IgnoreFileError(file, `${issue.message}${where}`);
  }
  return parsed.data.ignore.map((e) => ({
    id: e.id,
    reason: e.reason,
    ...(e.expires ? { expires: e.expires } : {}),
    ...(e.packages ? { packages: e.packages } : {}),
    ...(e.purls ? { purls: e.purls } : {}),
  }));
}

/** Reads and parses an ignore file. */
export function readIgnoreFile(file: string): IgnoreEntry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new IgnoreFileError(file, `cannot be read: ${err instanceof Error ? err.message : String(err)}`);
  }
  return parseIgnoreFile(text, file);
}

// A bare date means "through the end of that day", in UTC.
function expiryTime(text: string): number {
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return Date.parse(`${text}T23:59:59.999Z`);
  return Date.parse(text);
}

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

/**
 * Whether a PURL pattern covers a PURL. Without `*`, a pattern with no version
 * (`pkg:npm/lodash`) covers every version and qualifier of that package; with `*`, the
 * pattern is matched against the whole PURL.
 */
export function purlMatches(pattern: string, purl: string): boolean {
  if (pattern.includes('*')) return globToRegExp(pattern).test(purl);
  if (pattern === purl) return true;
  if (pattern.includes('@')) return purl.split('?')[0] === pattern.split('?')[0];
  return purl.split(/[@?#]/)[0] === pattern;
}

function entryCovers(entry: IgnoreEntry, finding: Finding): boolean {
  if (entry.id !== finding.id && !finding.aliases.includes(entry.id)) return false;
  const p = finding.package;
  if (entry.packages && !entry.packages.some((n) => n === p.name || n === p.source?.name)) return false;
  if (entry.purls && !entry.purls.some((pattern) => purlMatches(pattern, p.purl))) return false;
  return true;
}

/**
 * Applies the entries to a result: covered findings move to `suppressed` with the entry's
 * reason; expired and stale entries become warnings. `now` is injectable for tests.
 */
export function applyIgnoreEntries(result: ScanResult, entries: readonly IgnoreEntry[], now: Date = new Date(), file = '.vigilignore.yaml'): ScanResult {
  const live: IgnoreEntry[] = [];
  const warnings: ScanWarning[] = [...result.warnings];
  for (const entry of entries) {
    if (entry.expires && expiryTime(entry.expires) < now.getTime()) {
      warnings.push({ path: file, reason: `ignore entry for ${entry.id} expired on ${entry.expires} and no longer applies (${entry.reason})` });
      continue;
    }
    live.push(entry);
  }
  const used = new Set<IgnoreEntry>();
  const findings: Finding[] = [];
  const suppressed = [...result.suppressed];
  for (const finding of result.findings) {
    const entry = live.find((e) => entryCovers(e, finding));
    if (!entry) {
      findings.push(finding);
      continue;
    }
    used.add(entry);
    suppressed.push({ id: finding.id, package: finding.package.purl, reason: entry.reason });
  }
  for (const entry of live) {
    if (!used.has(entry)) warnings.push({ path: file, reason: `stale ignore entry: ${entry.id} matched no finding` });
  }
  return { ...result, findings, suppressed, warnings };
}
