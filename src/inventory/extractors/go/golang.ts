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
 * The Go toolchain as the `stdlib` package, in the form Go's advisories use (as
 * golang.org/x/vuln's `GoTagToSemver` reads tags): `go1.21.3` → `1.21.3`, `go1.19` → `1.19`
 * (= 1.19.0), `go1.21rc2` → `1.21.0-rc.2`, `go1.19beta1` → `1.19.0-beta.1`. Words after the
 * first space (`X:boringcrypto`, `cl/…`) are build details. A suffix after a full release
 * (`go1.23.6-xyz`) is a vendor's build of that release: `1.23.6`. A suffix after a bare
 * `MAJOR.MINOR` (`go1.22-20231128-RC02`) is a snapshot from before that line's first release:
 * the pre-release `1.22.0-20231128-RC02`, inside the line's `1.22.0-0` and below 1.22.0.
 * `devel …` toolchains have no release version. A leading `v` (SBOMs write
 * `pkg:golang/stdlib@v1.20`) is read like `go`.
 */
export function stdlibVersion(goVersion: string): string | undefined {
  const tag = goVersion.trim().split(/\s+/, 1)[0] ?? '';
  const m = /^(?:go|v)?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:(rc|beta|-pre)(\d+)|-([0-9A-Za-z][0-9A-Za-z.-]*))?$/.exec(tag);
  if (!m) return /^(?:go|v)?(\d+(?:\.\d+){0,2})/.exec(tag)?.[1];
  const [, major, minor, patch, kind, number, suffix] = m;
  const written = [major, minor, patch].filter((x) => x !== undefined).join('.');
  const release = `${major}.${minor ?? '0'}.${patch ?? '0'}`;
  if (kind) return `${release}-${kind.replace(/^-/, '')}.${number}`;
  // Dots inside the suffix would start new pre-release identifiers: keep it one identifier.
  if (suffix && patch === undefined) return `${release}-${suffix.replace(/\.+/g, '-').replace(/-+$/, '')}`;
  return written;
}
