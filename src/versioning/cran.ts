/**
 * CRAN package version ordering, as R's `package_version` implements it: at least two
 * non-negative integers separated by `.` or `-`, compared part by part, a longer version
 * being greater when the shorter is its prefix (`1.0 < 1.0.0`).
 */
import { compareDigits, defineScheme, invalid } from './cache.js';

/** A parsed CRAN version: its numbers as digit strings. */
export interface CranVersion {
  parts: string[];
}

/** Parses an R package version (surrounding whitespace is ignored, as R does). */
export function parseCranVersion(input: string): CranVersion {
  const s = input.trim();
  if (!/^\d+(?:[.-]\d+)+$/.test(s)) invalid('cran', input, 'not of the form number[.-]number[…] (at least two parts)');
  return { parts: s.split(/[.-]/) };
}

/** R's `compareVersion` on package versions. */
export function compareCranVersions(a: CranVersion, b: CranVersion): number {
  const n = Math.min(a.parts.length, b.parts.length);
  for (let i = 0; i < n; i++) {
    const c = compareDigits(a.parts[i]!, b.parts[i]!);
    if (c !== 0) return c;
  }
  return a.parts.length === b.parts.length ? 0 : a.parts.length < b.parts.length ? -1 : 1;
}

/** The CRAN scheme. */
export const cran = defineScheme<CranVersion>({ id: 'cran', parse: parseCranVersion, compare: compareCranVersions });
