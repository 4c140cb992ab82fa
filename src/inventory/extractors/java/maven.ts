/** Maven naming shared by the Java extractors. */
import type { FoundPackage } from '../../types.js';

/**
 * A found Maven artifact, named `groupId:artifactId` as OSV names Maven packages, with the
 * group id as PURL namespace. Without a group id the artifact id alone is the name.
 */
export function mavenPackage(groupId: string | undefined, artifactId: string, version: string, extra: { dev?: boolean; metadata?: Record<string, string> } = {}): FoundPackage {
  const pkg: FoundPackage = { purlType: 'maven', ecosystem: 'Maven', name: groupId ? `${groupId}:${artifactId}` : artifactId, version };
  if (groupId) pkg.namespace = groupId;
  if (extra.dev) pkg.dev = true;
  const metadata = { artifactId, ...(groupId ? { groupId } : {}), ...extra.metadata };
  pkg.metadata = metadata;
  return pkg;
}
