/**
 * Fixtures of the continuous-scanning tests: a tiny Debian 12 image (hand-written dpkg
 * status, so it builds in a second) and OSV advisories for its packages, written as loose
 * records in a directory `vigil db update --source osv=DIR` imports.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Inventory, Package } from '../../src/inventory/types.js';

/** Files of an image holding openssl and zlib1g as Debian 12 installs them. */
export const debianTwoPackages: Record<string, string> = {
  'etc/os-release': 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n',
  'etc/debian_version': '12.2\n',
  'var/lib/dpkg/status': [
    'Package: openssl',
    'Status: install ok installed',
    'Priority: optional',
    'Architecture: amd64',
    'Version: 3.0.11-1~deb12u2',
    'Description: Secure Sockets Layer toolkit',
    '',
    'Package: zlib1g',
    'Status: install ok installed',
    'Priority: optional',
    'Architecture: amd64',
    'Source: zlib',
    'Version: 1:1.2.13.dfsg-1',
    'Description: compression library - runtime',
    '',
  ].join('\n'),
};

/** An OSV record for a Debian 12 source package, fixed in `fixed`, with a CVSS 3.1 vector. */
export function debianAdvisory(id: string, cve: string, source: string, fixed: string): Record<string, unknown> {
  return {
    schema_version: '1.6.0',
    id,
    aliases: [cve],
    modified: '2026-11-01T00:00:00Z',
    published: '2026-11-01T00:00:00Z',
    summary: `${source} vulnerability ${cve}`,
    severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N' }],
    affected: [{ package: { ecosystem: 'Debian:12', name: source }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }] }],
  };
}

/** Writes OSV records into `dir` (one file each), creating it. */
export function writeAdvisories(dir: string, records: Record<string, unknown>[]): void {
  mkdirSync(dir, { recursive: true });
  for (const r of records) writeFileSync(join(dir, `${String(r.id)}.json`), JSON.stringify(r));
}

/** The first advisory the tests load (openssl). */
export const opensslAdvisory = debianAdvisory('DSA-9001-1', 'CVE-2026-9001', 'openssl', '3.0.13-1~deb12u1');
/** The advisory a later update adds (zlib). */
export const zlibAdvisory = debianAdvisory('DSA-9002-1', 'CVE-2026-9002', 'zlib', '1:1.2.13.dfsg-1+deb12u1');

/** An OSV record for an npm package, fixed in `fixed`, scored by `vector`. */
export function npmAdvisory(id: string, cve: string, name: string, fixed: string, vector = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N'): Record<string, unknown> {
  return {
    id,
    aliases: [cve],
    modified: '2026-11-01T00:00:00Z',
    summary: `${name} vulnerability ${cve}`,
    severity: [{ type: 'CVSS_V3', score: vector }],
    affected: [{ package: { ecosystem: 'npm', name }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }] }],
  };
}

/** An npm package installed under /app. */
export function npm(name: string, version: string): Package {
  return { ecosystem: 'npm', purlType: 'npm', name, version, purl: `pkg:npm/${name}@${version}`, locations: [`/app/node_modules/${name}`], extractor: 'test@1' };
}

/** Debian 12's libssl3, built from openssl: matched through its source package. */
export const libssl: Package = {
  ecosystem: 'Debian:12',
  purlType: 'deb',
  name: 'libssl3',
  version: '3.0.11-1~deb12u2',
  source: { name: 'openssl', version: '3.0.11-1~deb12u2' },
  purl: 'pkg:deb/debian/libssl3@3.0.11-1~deb12u2',
  locations: [],
  extractor: 'test@1',
};

/** A Debian 12 host's inventory holding `packages`. */
export function host(name: string, packages: Package[]): Inventory {
  return { schemaVersion: 1, target: { type: 'host', name }, os: { id: 'debian', ecosystem: 'Debian:12', versionId: '12' }, packages, warnings: [], partial: false, scannedAt: '2026-11-01T00:00:00.000Z' };
}
