/**
 * PEP 440 version specifiers (`>=1.0,<2`, `~=2.2`, `==1.4.*`, `!=1.5.0`), as pypa/packaging's
 * `SpecifierSet.contains` evaluates them, over the {@link pep440} scheme's ordering. Requirement
 * files and lockfiles use this syntax; OSV ranges do not.
 */
import { InvalidVersionError } from './types.js';
import { comparePep440Versions, pep440, type Pep440Version } from './pep440.js';

/** Options of {@link pep440Satisfies}. */
export interface Pep440SpecifierOptions {
  /** Allow pre-releases; by default only when a specifier names one (packaging's rule). */
  prereleases?: boolean;
}

interface Spec {
  op: string;
  version: string;
}

const SPEC = /^\s*(~=|===|==|!=|<=|>=|<|>)\s*([^\s,;]+)\s*$/;

function parseSpecs(specifiers: string): Spec[] {
  if (specifiers.trim() === '') return [];
  return specifiers.split(',').map((part) => {
    const m = SPEC.exec(part);
    if (!m) throw new InvalidVersionError('pep440', specifiers, `invalid specifier "${part.trim()}"`);
    return { op: m[1]!, version: m[2]! };
  });
}

function isPrerelease(v: Pep440Version): boolean {
  return v.pre !== undefined || v.dev !== undefined;
}
function publicOf(v: Pep440Version): Pep440Version {
  return { ...v, local: undefined };
}
function baseOf(v: Pep440Version): Pep440Version {
  return { epoch: v.epoch, release: v.release, fullRelease: v.fullRelease };
}
/** packaging's `_version_split` of the canonical public version: epoch, release numbers, then suffixes. */
function split(v: Pep440Version): string[] {
  const out = [v.epoch, ...v.fullRelease];
  if (v.pre) out.push(`${v.pre.letter}${v.pre.num}`);
  if (v.post) out.push(`post${v.post.num}`);
  if (v.dev) out.push(`dev${v.dev.num}`);
  return out;
}
function releaseLength(parts: string[]): number {
  let n = 0;
  while (n < parts.length && /^\d+$/.test(parts[n]!)) n++;
  return n;
}
/** `==prefix.*`: the prospective, padded with zeros and cut to the prefix's length, equals it. */
function prefixMatch(v: Pep440Version, prefix: Pep440Version): boolean {
  const want = split(prefix);
  const have = split(publicOf(v));
  const pad = Math.max(0, releaseLength(want) - releaseLength(have));
  const padded = [...have.slice(0, releaseLength(have)), ...Array<string>(pad).fill('0'), ...have.slice(releaseLength(have))];
  return want.every((p, i) => padded[i] === p);
}

function specPrereleases(s: Spec): boolean {
  if (!['==', '===', '>=', '<=', '~='].includes(s.op)) return false;
  const raw = s.op === '==' && s.version.endsWith('.*') ? s.version.slice(0, -2) : s.version;
  return pep440.isValid(raw) && isPrerelease(pep440.parse(raw));
}

function contains(s: Spec, item: string, v: Pep440Version): boolean {
  if (s.op === '===') return item.toLowerCase() === s.version.toLowerCase();
  if ((s.op === '==' || s.op === '!=') && s.version.endsWith('.*')) {
    const hit = prefixMatch(v, pep440.parse(s.version.slice(0, -2)));
    return s.op === '==' ? hit : !hit;
  }
  const spec = pep440.parse(s.version);
  const cmpPublic = comparePep440Versions(publicOf(v), spec);
  switch (s.op) {
    case '==':
    case '!=': {
      const eq = (spec.local === undefined ? cmpPublic : comparePep440Versions(v, spec)) === 0;
      return s.op === '==' ? eq : !eq;
    }
    case '<=':
      return cmpPublic <= 0;
    case '>=':
      return cmpPublic >= 0;
    case '<':
      if (comparePep440Versions(v, spec) >= 0) return false;
      // <V excludes pre-releases of V itself unless V is one.
      return isPrerelease(spec) || !isPrerelease(v) || comparePep440Versions(baseOf(v), baseOf(spec)) !== 0;
    case '>':
      if (comparePep440Versions(v, spec) <= 0) return false;
      // >V excludes post-releases of V unless V is one, and local versions of exactly V.
      if (spec.post === undefined && v.post !== undefined && comparePep440Versions(baseOf(v), baseOf(spec)) === 0) return false;
      return v.local === undefined || cmpPublic !== 0;
    case '~=': {
      const parts = split(spec).filter((p) => !/^(dev|a|b|rc|post)/.test(p));
      if (parts.length < 3) throw new InvalidVersionError('pep440', s.version, '~= needs at least two release numbers');
      const prefix = pep440.parse(`${parts[0]}!${parts.slice(1, -1).join('.')}`);
      return cmpPublic >= 0 && prefixMatch(v, prefix);
    }
    default:
      return false;
  }
}

/**
 * Whether `version` satisfies every specifier of a comma-separated PEP 440 specifier set.
 * Throws {@link InvalidVersionError} for an invalid version or specifier.
 */
export function pep440Satisfies(version: string, specifiers: string, options: Pep440SpecifierOptions = {}): boolean {
  const v = pep440.parse(version);
  const specs = parseSpecs(specifiers);
  const prereleases = options.prereleases ?? specs.some(specPrereleases);
  if (isPrerelease(v) && !prereleases) return false;
  return specs.every((s) => contains(s, version, v));
}
