/** Builders for matcher tests: packages and inventories with only the fields a test cares about. */
import type { Inventory, Package, TargetInfo } from '../../src/inventory/types.js';

/** A package with defaults filled in (purl and extractor are derived, locations empty). */
export function pkg(p: Partial<Package> & Pick<Package, 'name' | 'version' | 'purlType'>): Package {
  return {
    ecosystem: '',
    purl: `pkg:${p.purlType}/${p.name}@${p.version}`,
    locations: [`/test/${p.name}`],
    extractor: 'test@1',
    ...p,
  };
}

/** A Debian 12 binary package built from `source`. */
export function deb(name: string, version: string, source?: [string, string], extra: Partial<Package> = {}): Package {
  return pkg({
    purlType: 'deb',
    ecosystem: 'Debian:12',
    name,
    version,
    purl: `pkg:deb/debian/${name}@${version}?arch=amd64&distro=debian-12`,
    ...(source ? { source: { name: source[0], version: source[1] } } : {}),
    locations: ['/var/lib/dpkg/status'],
    ...extra,
  });
}

/** An inventory of these packages on a target of this type. */
export function inventory(packages: Package[], target: Partial<TargetInfo> = {}, os?: Inventory['os']): Inventory {
  return {
    schemaVersion: 1,
    target: { type: 'dir', name: '/rootfs', ...target },
    ...(os ? { os } : {}),
    packages,
    warnings: [],
    partial: false,
    scannedAt: '2026-11-27T00:00:00Z',
  };
}
