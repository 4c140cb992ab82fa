/** NuGet naming shared by the .NET extractors. */
import type { FoundPackage } from '../../types.js';

/** A found NuGet package. NuGet ids are case-insensitive; the id is kept as written. */
export function nugetPackage(name: string, version: string, metadata?: Record<string, string>): FoundPackage {
  const pkg: FoundPackage = { purlType: 'nuget', ecosystem: 'NuGet', name, version };
  if (metadata && Object.keys(metadata).length > 0) pkg.metadata = metadata;
  return pkg;
}
