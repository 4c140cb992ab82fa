/** crates.io naming shared by the Rust extractors. */
import type { FoundPackage } from '../../types.js';

/** A found crate; `source` is Cargo's (`registry+https://…`, `git+https://…#<sha>`), if known. */
export function cargoPackage(name: string, version: string, source?: string, extra: { dev?: boolean; metadata?: Record<string, string> } = {}): FoundPackage {
  const pkg: FoundPackage = { purlType: 'cargo', ecosystem: 'crates.io', name, version };
  const metadata: Record<string, string> = { ...extra.metadata };
  if (source) metadata.source = source;
  const commit = source?.startsWith('git+') ? /#([0-9a-f]{7,40})$/.exec(source)?.[1] : undefined;
  if (commit) metadata.commit = commit;
  if (extra.dev) pkg.dev = true;
  if (Object.keys(metadata).length > 0) pkg.metadata = metadata;
  return pkg;
}
