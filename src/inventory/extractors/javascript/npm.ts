/** npm naming shared by the JavaScript extractors. */
import type { FoundPackage } from '../../types.js';

/** The facts a JavaScript extractor knows about one package. */
export interface NpmFacts {
  dev?: boolean;
  optional?: boolean;
  bundled?: boolean;
  commit?: string;
  resolved?: string;
}

/**
 * A found npm package. The name stays whole (`@babel/core`): that is how npm and OSV name it.
 * `namespace` carries the scope without `@`, as the inventory contract asks.
 */
export function npmPackage(name: string, version: string, facts: NpmFacts = {}): FoundPackage {
  const pkg: FoundPackage = { purlType: 'npm', ecosystem: 'npm', name, version };
  if (name.startsWith('@') && name.includes('/')) pkg.namespace = name.slice(1, name.indexOf('/'));
  if (facts.dev) pkg.dev = true;
  const metadata: Record<string, string> = {};
  if (facts.optional) metadata.optional = 'true';
  if (facts.bundled) metadata.bundled = 'true';
  if (facts.commit) metadata.commit = facts.commit;
  if (facts.resolved) metadata.resolved = facts.resolved;
  if (Object.keys(metadata).length > 0) pkg.metadata = metadata;
  return pkg;
}

/** The commit a git URL pins (`…#<sha>`, `…#commit=<sha>`), if it pins one. */
export function commitFromUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  const hash = url.lastIndexOf('#');
  if (hash < 0) return undefined;
  let frag = url.slice(hash + 1);
  const m = /(?:^|[&])commit=([0-9a-f]{7,40})\b/i.exec(frag);
  if (m) return m[1];
  frag = frag.replace(/^commit:/, '');
  return /^[0-9a-f]{7,40}$/i.test(frag) ? frag : undefined;
}

/** True when a spec points somewhere other than the registry (git, GitHub shorthand, file, link, tarball URL). */
export function isNonRegistrySpec(spec: string): boolean {
  return /^(git\+|git:|github:|gitlab:|bitbucket:|file:|link:|https?:|ssh:|[\w.-]+\/[\w.-]+#)/.test(spec) || spec.includes('://');
}

/** `npm:real-name@1.2.3` (an alias) → `{ name, version }`. */
export function parseNpmAlias(spec: string): { name: string; version: string } | undefined {
  if (!spec.startsWith('npm:')) return undefined;
  const rest = spec.slice(4);
  const at = rest.lastIndexOf('@');
  if (at <= 0) return { name: rest, version: '' };
  return { name: rest.slice(0, at), version: rest.slice(at + 1) };
}

/** The package name a `node_modules/…` path ends in (`a/node_modules/@s/b` → `@s/b`); other paths give their last segment. */
export function nameFromInstallPath(path: string): string {
  const i = path.lastIndexOf('node_modules/');
  const tail = i < 0 ? path : path.slice(i + 'node_modules/'.length);
  const segs = tail.split('/').filter(Boolean);
  if (i < 0) return segs[segs.length - 1] ?? '';
  if (segs[0]?.startsWith('@') && segs.length > 1) return `${segs[0]}/${segs[1]}`;
  return segs[0] ?? '';
}
