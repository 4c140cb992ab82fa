/**
 * A Debian 3.0 (woody) host inventory against the shared advisory data (the security
 * tracker's DSA list): phpmyadmin has no fix in woody and one in sarge (DSA-880-1:
 * "[woody] - phpmyadmin <unfixed>", "[sarge] - phpmyadmin 4:2.6.2-3sarge1"); openssl
 * 0.9.6c-2.woody.7 is fixed within woody (DSA-888-1, 0.9.6c-2.woody.8).
 */

/** The inventory, as `vigil sbom` writes it. */
export function woodyHost() {
  const pkg = (name: string, version: string) => ({ ecosystem: 'Debian:3.0', purlType: 'deb', name, version, purl: `pkg:deb/debian/${name}@${version}?distro=debian-3.0`, locations: ['/var/lib/dpkg/status'], extractor: 'os/dpkg-status@1' });
  return {
    schemaVersion: 1,
    target: { type: 'host', name: 'woody' },
    os: { id: 'debian', versionId: '3.0', ecosystem: 'Debian:3.0', prettyName: 'Debian GNU/Linux 3.0 (woody)' },
    packages: [pkg('phpmyadmin', '4:2.2.6-1'), pkg('openssl', '0.9.6c-2.woody.7')],
    warnings: [],
    partial: false,
    scannedAt: '2026-12-01T00:00:00.000Z',
  };
}

/** How the plan words phpmyadmin's entry. */
export const PHPMYADMIN_NEWER_RELEASE = 'fixed in Debian:3.1 (4:2.6.2-3sarge1); none in Debian:3.0';
