/**
 * The one table of ecosystems Vigil knows: OSV ecosystem name ↔ version scheme ↔ PURL type.
 * Adding an ecosystem means adding a line here (and a scheme, an extractor and their tests).
 */
import { BoundedCache } from './bounded-cache.js';

/** Identifiers of the version schemes in `src/versioning/`. */
export type SchemeId =
  | 'dpkg'
  | 'rpm'
  | 'apk'
  | 'semver'
  | 'pub'
  | 'go'
  | 'pep440'
  | 'maven'
  | 'nuget'
  | 'rubygems'
  | 'composer'
  | 'cran';

/** Whether an ecosystem describes an operating system's packages or a language's. */
export type EcosystemKind = 'os' | 'language';

/** One ecosystem as OSV names it, without a release suffix. */
export interface EcosystemInfo {
  /** OSV ecosystem name, e.g. `Debian`, `PyPI`, `Rocky Linux`. */
  readonly name: string;
  readonly scheme: SchemeId;
  /** PURL type (`deb`, `rpm`, `apk`, `npm`, `pypi`, …). */
  readonly purlType: string;
  /** PURL namespace for OS packages (`debian`, `ubuntu`, `alpine`, `redhat`, …). */
  readonly purlNamespace?: string;
  readonly kind: EcosystemKind;
  /** Distributions whose advisories are keyed by source package rather than binary name. */
  readonly keyedBySource?: boolean;
  /** `ID` values from os-release that mean this ecosystem. */
  readonly osReleaseIds?: readonly string[];
}

/** Every OSV ecosystem Vigil accepts (release suffixes aside). */
export const ECOSYSTEMS = [
  // Distributions
  { name: 'Debian', scheme: 'dpkg', purlType: 'deb', purlNamespace: 'debian', kind: 'os', keyedBySource: true, osReleaseIds: ['debian'] },
  { name: 'Ubuntu', scheme: 'dpkg', purlType: 'deb', purlNamespace: 'ubuntu', kind: 'os', keyedBySource: true, osReleaseIds: ['ubuntu'] },
  { name: 'Alpine', scheme: 'apk', purlType: 'apk', purlNamespace: 'alpine', kind: 'os', osReleaseIds: ['alpine'] },
  { name: 'Wolfi', scheme: 'apk', purlType: 'apk', purlNamespace: 'wolfi', kind: 'os', osReleaseIds: ['wolfi'] },
  { name: 'Chainguard', scheme: 'apk', purlType: 'apk', purlNamespace: 'chainguard', kind: 'os', osReleaseIds: ['chainguard'] },
  { name: 'Red Hat', scheme: 'rpm', purlType: 'rpm', purlNamespace: 'redhat', kind: 'os', osReleaseIds: ['rhel'] },
  { name: 'Rocky Linux', scheme: 'rpm', purlType: 'rpm', purlNamespace: 'rocky', kind: 'os', osReleaseIds: ['rocky'] },
  { name: 'AlmaLinux', scheme: 'rpm', purlType: 'rpm', purlNamespace: 'almalinux', kind: 'os', osReleaseIds: ['almalinux'] },
  { name: 'SUSE', scheme: 'rpm', purlType: 'rpm', purlNamespace: 'suse', kind: 'os', osReleaseIds: ['sles', 'sled', 'sle-micro'] },
  { name: 'openSUSE', scheme: 'rpm', purlType: 'rpm', purlNamespace: 'opensuse', kind: 'os', osReleaseIds: ['opensuse', 'opensuse-leap', 'opensuse-tumbleweed'] },
  { name: 'Fedora', scheme: 'rpm', purlType: 'rpm', purlNamespace: 'fedora', kind: 'os', osReleaseIds: ['fedora'] },
  { name: 'Amazon Linux', scheme: 'rpm', purlType: 'rpm', purlNamespace: 'amazon', kind: 'os', osReleaseIds: ['amzn'] },
  { name: 'Oracle Linux', scheme: 'rpm', purlType: 'rpm', purlNamespace: 'oracle', kind: 'os', osReleaseIds: ['ol'] },
  { name: 'Azure Linux', scheme: 'rpm', purlType: 'rpm', purlNamespace: 'azurelinux', kind: 'os', osReleaseIds: ['azurelinux', 'mariner'] },
  { name: 'Mageia', scheme: 'rpm', purlType: 'rpm', purlNamespace: 'mageia', kind: 'os', osReleaseIds: ['mageia'] },
  { name: 'Photon OS', scheme: 'rpm', purlType: 'rpm', purlNamespace: 'photon', kind: 'os', osReleaseIds: ['photon'] },
  // Languages
  { name: 'npm', scheme: 'semver', purlType: 'npm', kind: 'language' },
  { name: 'crates.io', scheme: 'semver', purlType: 'cargo', kind: 'language' },
  { name: 'Hex', scheme: 'semver', purlType: 'hex', kind: 'language' },
  { name: 'Pub', scheme: 'pub', purlType: 'pub', kind: 'language' },
  { name: 'SwiftURL', scheme: 'semver', purlType: 'swift', kind: 'language' },
  { name: 'Go', scheme: 'go', purlType: 'golang', kind: 'language' },
  { name: 'PyPI', scheme: 'pep440', purlType: 'pypi', kind: 'language' },
  { name: 'Maven', scheme: 'maven', purlType: 'maven', kind: 'language' },
  { name: 'NuGet', scheme: 'nuget', purlType: 'nuget', kind: 'language' },
  { name: 'RubyGems', scheme: 'rubygems', purlType: 'gem', kind: 'language' },
  { name: 'Packagist', scheme: 'composer', purlType: 'composer', kind: 'language' },
  { name: 'CRAN', scheme: 'cran', purlType: 'cran', kind: 'language' },
] as const satisfies readonly EcosystemInfo[];

/** An OSV ecosystem name without release, e.g. `Debian`. */
export type EcosystemName = (typeof ECOSYSTEMS)[number]['name'];

/** An ecosystem string split into its base and release, e.g. `Ubuntu:22.04:LTS`. */
export interface ParsedEcosystem {
  /** The string as given. */
  readonly raw: string;
  readonly info: EcosystemInfo;
  /** Everything after the first `:` (`12`, `22.04:LTS`, `v3.19`), if any. */
  readonly release?: string;
}

/** Thrown for an ecosystem name that is not in {@link ECOSYSTEMS}. */
export class UnknownEcosystemError extends Error {
  constructor(readonly ecosystem: string) {
    super(`unknown ecosystem "${ecosystem}"; known ecosystems: ${ECOSYSTEMS.map((e) => e.name).join(', ')}`);
    this.name = 'UnknownEcosystemError';
  }
}

const byName = new Map<string, EcosystemInfo>(ECOSYSTEMS.map((e) => [e.name.toLowerCase(), e]));

/**
 * Splits `Debian:12` into base and release. The base is matched case-insensitively
 * (users type `debian:12`), but the returned `info.name` is OSV's spelling.
 */
export function parseEcosystem(ecosystem: string): ParsedEcosystem {
  const parsed = tryParseEcosystem(ecosystem);
  if (!parsed) throw new UnknownEcosystemError(ecosystem);
  return parsed;
}

// Matching asks for the same few ecosystem strings once per package: each is parsed once.
// Bounded, as the strings come from scanned files and advisories.
const parsedEcosystems = new BoundedCache<string, ParsedEcosystem | null>(1_000);

/** Like {@link parseEcosystem}, but `undefined` instead of an error. */
export function tryParseEcosystem(ecosystem: string): ParsedEcosystem | undefined {
  let parsed = parsedEcosystems.get(ecosystem);
  if (parsed === undefined) {
    const colon = ecosystem.indexOf(':');
    const info = byName.get((colon < 0 ? ecosystem : ecosystem.slice(0, colon)).trim().toLowerCase());
    parsed = info ? { raw: ecosystem, info, release: colon < 0 ? undefined : ecosystem.slice(colon + 1) || undefined } : null;
    parsedEcosystems.set(ecosystem, parsed);
  }
  return parsed ?? undefined;
}

/** The ecosystem of a language PURL type (`pypi` → PyPI); OS types need a release and return undefined. */
export function languageEcosystemForPurlType(purlType: string): EcosystemInfo | undefined {
  return ECOSYSTEMS.find((e) => e.kind === 'language' && e.purlType === purlType);
}

/** The canonical `Name:release` spelling of an ecosystem string (`debian:12` → `Debian:12`). */
export function canonicalEcosystem(ecosystem: string): string {
  const { info, release } = parseEcosystem(ecosystem);
  return release === undefined ? info.name : `${info.name}:${release}`;
}

/**
 * Normalises a package name the way the ecosystem's registry compares names, so that an
 * inventory and an advisory agree: PyPI per PEP 503, case-insensitive registries lower-cased,
 * case-sensitive ones (npm, Go, Maven, RubyGems, distributions) left alone.
 */
export function normalizePackageName(ecosystem: string, name: string): string {
  const { info } = parseEcosystem(ecosystem);
  const trimmed = name.trim();
  switch (info.name) {
    case 'PyPI':
      return trimmed.toLowerCase().replace(/[-_.]+/g, '-');
    case 'NuGet':
    case 'Packagist':
    case 'crates.io':
    case 'Hex':
    case 'Pub':
      return trimmed.toLowerCase();
    default:
      return trimmed;
  }
}
