/** Go naming shared by the Go extractors. */
import type { FoundPackage } from '../../types.js';

/**
 * A found Go module. OSV's Go ecosystem writes versions without the leading `v`
 * (`1.2.3`, `0.0.0-2022…`), so it is dropped here; the module path is the name, and the
 * PURL namespace is everything before its last segment.
 */
export function goPackage(path: string, version: string, metadata?: Record<string, string>): FoundPackage {
  const pkg: FoundPackage = { purlType: 'golang', ecosystem: 'Go', name: path, version: version.replace(/^v(?=\d)/, '') };
  const slash = path.lastIndexOf('/');
  if (slash > 0) pkg.namespace = path.slice(0, slash);
  if (metadata && Object.keys(metadata).length > 0) pkg.metadata = metadata;
  return pkg;
}

/**
 * The Go toolchain as the `stdlib` package: Go's advisories for the standard library are
 * filed against `stdlib`, so a binary built with go1.21.0 is `stdlib@1.21.0`.
 * `go1.23.6-xyz` → `1.23.6`; `devel …` toolchains have no release version.
 */
export function stdlibVersion(goVersion: string): string | undefined {
  const m = /^(?:go)?(\d+(?:\.\d+){0,2}(?:(?:rc|beta)\d+)?)/.exec(goVersion.trim());
  return m?.[1];
}
