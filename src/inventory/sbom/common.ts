/**
 * What the CycloneDX and SPDX writers and readers share: unique references, the owner
 * index, and the `vigil:*` properties that carry what the SBOM formats have no field for.
 */
import { PackageURL } from 'packageurl-js';
import type { Inventory, OwnerRef, Package } from '../types.js';

/** Written into SBOMs as the producing tool's version. */
export const VIGIL_VERSION = '0.1.0';

/** Property names Vigil writes (CycloneDX properties, SPDX annotations). */
export const PROP = {
  ecosystem: 'vigil:ecosystem',
  location: 'vigil:location',
  layer: 'vigil:layer',
  extractor: 'vigil:extractor',
  sourceName: 'vigil:source:name',
  sourceVersion: 'vigil:source:version',
  arch: 'vigil:arch',
  kernel: 'vigil:kernel',
  dev: 'vigil:dev',
  metadata: 'vigil:metadata:',
  osEcosystem: 'vigil:os:ecosystem',
  osId: 'vigil:os:id',
  osVersionId: 'vigil:os:version-id',
  osName: 'vigil:os:name',
  osCodename: 'vigil:os:codename',
  targetType: 'vigil:target:type',
  partial: 'vigil:partial',
} as const;

/** The `vigil:*` properties of one package, in a stable order. */
export function packageProperties(pkg: Package): [string, string][] {
  const out: [string, string][] = [];
  if (pkg.ecosystem) out.push([PROP.ecosystem, pkg.ecosystem]);
  for (const l of pkg.locations) out.push([PROP.location, l]);
  if (pkg.layer) out.push([PROP.layer, pkg.layer]);
  out.push([PROP.extractor, pkg.extractor]);
  if (pkg.source) out.push([PROP.sourceName, pkg.source.name], [PROP.sourceVersion, pkg.source.version]);
  if (pkg.arch) out.push([PROP.arch, pkg.arch]);
  if (pkg.kernel) out.push([PROP.kernel, 'true']);
  if (pkg.dev) out.push([PROP.dev, 'true']);
  for (const [k, v] of Object.entries(pkg.metadata ?? {})) out.push([`${PROP.metadata}${k}`, v]);
  return out;
}

/** The `vigil:*` properties of the scanned target and its OS. */
export function targetProperties(inv: Inventory): [string, string][] {
  const out: [string, string][] = [[PROP.targetType, inv.target.type]];
  if (inv.os) {
    out.push([PROP.osId, inv.os.id]);
    if (inv.os.ecosystem) out.push([PROP.osEcosystem, inv.os.ecosystem]);
    if (inv.os.versionId) out.push([PROP.osVersionId, inv.os.versionId]);
    if (inv.os.name) out.push([PROP.osName, inv.os.name]);
    if (inv.os.codename) out.push([PROP.osCodename, inv.os.codename]);
  }
  if (inv.partial) out.push([PROP.partial, 'true']);
  return out;
}

/**
 * A unique reference per package (its PURL, suffixed when the same PURL occurs in several
 * places) and, per package, the index of the OS package that owns it.
 */
export function ownerIndex(packages: readonly Package[]): { refs: string[]; ownerOf: (number | undefined)[] } {
  const counts = new Map<string, number>();
  const refs = packages.map((p) => {
    const n = counts.get(p.purl) ?? 0;
    counts.set(p.purl, n + 1);
    return n === 0 ? p.purl : `${p.purl}#${n}`;
  });
  const byOwner = new Map<string, number>();
  for (const [i, p] of packages.entries()) {
    const key = `${p.purlType}\0${p.name}\0${p.version}`;
    if (!byOwner.has(key) && (p.purlType === 'deb' || p.purlType === 'rpm' || p.purlType === 'apk')) byOwner.set(key, i);
  }
  const ownerOf = packages.map((p) => (p.ownedBy ? byOwner.get(ownerKey(p.ownedBy)) : undefined));
  return { refs, ownerOf };
}

function ownerKey(o: OwnerRef): string {
  return `${o.purlType}\0${o.name}\0${o.version}`;
}

/**
 * Parses a PURL. packageurl-js 2.0.1 validates `golang` versions that start with `v` as SemVer
 * and then fails with a ReferenceError of its own (`pkg:golang/stdlib@v1.20`); Go writes such
 * versions, so a `golang` PURL it refuses is parsed again without the version, which is then
 * taken as written.
 */
export function parsePurl(text: string): PackageURL {
  try {
    return PackageURL.fromString(text);
  } catch (err) {
    const m = /^(pkg:\/*golang\/[^@?#]+)@([^?#]+)(.*)$/i.exec(text);
    if (!m) throw err;
    const purl = PackageURL.fromString(`${m[1]}${m[3]}`);
    // Assigned, not constructed: the constructor runs the same failing validation.
    purl.version = decodeURIComponent(m[2]);
    return purl;
  }
}
