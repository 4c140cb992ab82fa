/**
 * NuGet version ordering, as NuGet.Versioning's `VersionComparer.Default` implements it:
 * SemVer 2.0 plus legacy versions of up to four numeric parts (`1.0.0.1`, leading zeros
 * allowed), release labels compared case-insensitively, build metadata ignored.
 */
import { compareDigits, defineScheme, invalid } from './cache.js';

/** A parsed NuGet version. */
export interface NugetVersion {
  /** Major, minor, patch, revision as digit strings (missing parts are `0`). */
  parts: [string, string, string, string];
  /** Release labels, lower-cased (NuGet compares them ignoring case). */
  labels: string[];
}

const PATTERN = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;

/** Parses a NuGet version (surrounding whitespace is ignored, as NuGet does). */
export function parseNugetVersion(input: string): NugetVersion {
  const m = PATTERN.exec(input.trim());
  if (!m) return invalid('nuget', input, 'not of the form major[.minor[.patch[.revision]]][-label][+metadata]');
  const num = (s: string | undefined): string => (s === undefined ? '0' : s.replace(/^0+(?=\d)/, ''));
  return {
    parts: [num(m[1]), num(m[2]), num(m[3]), num(m[4])],
    labels: m[5] === undefined ? [] : m[5].toLowerCase().split('.'),
  };
}

function isNum(s: string): boolean {
  return /^\d+$/.test(s);
}

/** NuGet's `VersionComparer.Default` (metadata ignored). */
export function compareNugetVersions(a: NugetVersion, b: NugetVersion): number {
  for (let i = 0; i < 4; i++) {
    const c = compareDigits(a.parts[i]!, b.parts[i]!);
    if (c !== 0) return c;
  }
  // A release sorts after its pre-releases.
  if (a.labels.length === 0 || b.labels.length === 0) {
    if (a.labels.length === b.labels.length) return 0;
    return a.labels.length === 0 ? 1 : -1;
  }
  const n = Math.min(a.labels.length, b.labels.length);
  for (let i = 0; i < n; i++) {
    const x = a.labels[i]!;
    const y = b.labels[i]!;
    const xn = isNum(x);
    const yn = isNum(y);
    let c: number;
    if (xn && yn) c = compareDigits(x, y);
    else if (xn !== yn) c = xn ? -1 : 1;
    else c = x < y ? -1 : x > y ? 1 : 0;
    if (c !== 0) return c;
  }
  return a.labels.length === b.labels.length ? 0 : a.labels.length < b.labels.length ? -1 : 1;
}

/** The NuGet scheme. */
export const nuget = defineScheme<NugetVersion>({ id: 'nuget', parse: parseNugetVersion, compare: compareNugetVersions });
