/**
 * Builders for inventories and scan results as `vigil scan` produces them, so store tests
 * declare only what matters to each scenario.
 */
import type { Inventory, Package } from '../../src/inventory/types.js';
import type { Finding, ScanResult, Severity } from '../../src/matching/types.js';

/** A package of an inventory. */
export function pkg(ecosystem: string, name: string, version: string, extra: Partial<Package> = {}): Package {
  const purlType = ecosystem.startsWith('Debian') ? 'deb' : ecosystem === 'PyPI' ? 'pypi' : 'npm';
  return { ecosystem, purlType, name, version, purl: `pkg:${purlType}/${name}@${version}`, locations: ['/x'], extractor: 'test@1', ...extra };
}

/** An inventory of a host or image holding these packages. */
export function inventory(name: string, packages: Package[], type: Inventory['target']['type'] = 'host'): Inventory {
  return {
    schemaVersion: 1,
    target: { type, name },
    os: { id: 'debian', ecosystem: 'Debian:12' },
    packages,
    warnings: [],
    partial: false,
    scannedAt: '2026-11-01T00:00:00.000Z',
  };
}

/** One scan finding: vulnerability `id` in package `p`. */
export function finding(id: string, p: Package, opts: { severity?: Severity; score?: number; epss?: number; kev?: boolean; fix?: 'YES' | 'NO' | 'PARTIAL'; title?: string } = {}): Finding {
  return {
    id,
    aliases: [`GHSA-${id.slice(-4)}`],
    title: opts.title ?? `${id} in ${p.name}`,
    package: { name: p.name, version: p.version, ecosystem: p.ecosystem, purl: p.purl, locations: p.locations, ...(p.layer ? { layer: p.layer } : {}) },
    fixAvailable: opts.fix ?? 'YES',
    ...(opts.fix === 'NO' ? {} : { fixedVersion: `${p.version}.1` }),
    severity: opts.severity ?? 'HIGH',
    score: opts.score ?? 7.5,
    scoreSource: 'nvd:3.1',
    adjustments: [],
    ...(opts.epss !== undefined ? { epss: { score: opts.epss, percentile: 0.5 } } : {}),
    ...(opts.kev ? { kev: { dateAdded: '2024-01-01' } } : {}),
    references: [],
    advisories: [id],
  };
}

/** A scan result with these findings. */
export function result(inv: Inventory, findings: Finding[]): ScanResult {
  return { schemaVersion: 1, target: { type: inv.target.type, name: inv.target.name }, packageCount: inv.packages.length, findings, suppressed: [], warnings: [] };
}
