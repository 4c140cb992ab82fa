/**
 * `pom.xml`: the project's declared dependencies whose versions are literal in the file or
 * resolve through its own `<properties>`, `dependencyManagement`, and parent POMs found on
 * disk (`<relativePath>`, default `../pom.xml`, read as auxiliary files). Nothing is fetched
 * from a repository, so transitive dependencies are not listed: a JAR/WAR scan or a
 * `gradle.lockfile` gives those. A version that does not resolve to a literal (a range, an
 * unknown property) is reported empty with a warning. `test` scope is dev; `provided` is not
 * (the runtime supplies that code, and it runs).
 */
import type { XMLParser } from 'fast-xml-parser';
import type { Extractor, ExtractContext, FileRef, FoundPackage } from '../../types.js';
import { baseName, dedupePackages, dirName, ExtractError, readText } from '../language-common.js';
import { mavenPackage } from './maven.js';

const MAX_PARENT_DEPTH = 5;

interface Dependency {
  groupId?: string;
  artifactId?: string;
  version?: string;
  scope?: string;
  type?: string;
  classifier?: string;
}

interface Pom {
  groupId?: string;
  artifactId?: string;
  version?: string;
  parent?: { groupId?: string; artifactId?: string; version?: string; relativePath?: string };
  properties: Record<string, string>;
  dependencies: Dependency[];
  managed: Dependency[];
}

let parser: Promise<XMLParser> | undefined;

/** The XML parser, loaded with the first POM: most scans read none. */
function pomParser(): Promise<XMLParser> {
  parser ??= import('fast-xml-parser').then(
    ({ XMLParser }) =>
      new XMLParser({
        ignoreAttributes: true,
        parseTagValue: false,
        trimValues: true,
        processEntities: false,
        isArray: (name) => name === 'dependency' || name === 'profile',
      }),
  );
  return parser;
}

function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  return undefined;
}

function deps(node: unknown): Dependency[] {
  const list = (node as { dependency?: unknown } | undefined)?.dependency;
  if (!Array.isArray(list)) return [];
  return list.map((d: Record<string, unknown>) => ({
    groupId: str(d.groupId),
    artifactId: str(d.artifactId),
    version: str(d.version),
    scope: str(d.scope),
    type: str(d.type),
    classifier: str(d.classifier),
  }));
}

/** Parses POM text; throws an error naming the file when it is not a POM. */
export async function parsePom(path: string, text: string): Promise<Pom> {
  const xml = await pomParser();
  let doc: Record<string, unknown>;
  try {
    doc = xml.parse(text, true) as Record<string, unknown>;
  } catch (err) {
    throw new ExtractError(path, `not valid XML: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
  const project = doc.project as Record<string, unknown> | undefined;
  if (!project || typeof project !== 'object') throw new ExtractError(path, 'not a Maven POM (no <project> element)');
  const properties: Record<string, string> = {};
  const props = project.properties;
  if (props && typeof props === 'object') for (const [k, v] of Object.entries(props)) if (str(v) !== undefined) properties[k] = str(v) as string;
  const parentNode = project.parent as Record<string, unknown> | undefined;
  const profileDeps: Dependency[] = [];
  const profileManaged: Dependency[] = [];
  const profiles = (project.profiles as { profile?: unknown[] } | undefined)?.profile ?? [];
  for (const p of profiles as Record<string, unknown>[]) {
    // Profiles may be active in the build that produced the artifact; their dependencies are listed too.
    profileDeps.push(...deps(p.dependencies));
    profileManaged.push(...deps((p.dependencyManagement as Record<string, unknown> | undefined)?.dependencies));
  }
  return {
    groupId: str(project.groupId),
    artifactId: str(project.artifactId),
    version: str(project.version),
    parent: parentNode
      ? { groupId: str(parentNode.groupId), artifactId: str(parentNode.artifactId), version: str(parentNode.version), relativePath: str(parentNode.relativePath) }
      : undefined,
    properties,
    dependencies: [...deps(project.dependencies), ...profileDeps],
    managed: [...deps((project.dependencyManagement as Record<string, unknown> | undefined)?.dependencies), ...profileManaged],
  };
}

function joinPath(dir: string, rel: string): string {
  const segs = dir.split('/').filter(Boolean);
  for (const s of rel.split('/')) {
    if (s === '' || s === '.') continue;
    if (s === '..') segs.pop();
    else segs.push(s);
  }
  return `/${segs.join('/')}`;
}

/** Rounds of `${…}` replacement, as deep as property references may nest. */
const MAX_INTERPOLATION_DEPTH = 10;
/**
 * Longest text an interpolated value may grow to. Real coordinates and versions are far
 * shorter; without a bound, `${p0}` → 100×`${p1}` → … turns a 12 KB POM into gigabytes.
 */
export const MAX_INTERPOLATED_LENGTH = 4096;

/**
 * Replaces `${name}` from the properties (recursively, bounded in depth and size); undefined
 * when something stays unresolved or the value grows past {@link MAX_INTERPOLATED_LENGTH}
 * (then the value is added to `tooLarge`).
 */
function interpolate(value: string | undefined, props: Record<string, string>, tooLarge: Set<string>): string | undefined {
  if (value === undefined) return undefined;
  let out = value;
  for (let i = 0; i < MAX_INTERPOLATION_DEPTH && out.includes('${'); i++) {
    let next = '';
    let at = 0;
    for (const m of out.matchAll(/\$\{([^}]+)\}/g)) {
      next += out.slice(at, m.index) + (props[m[1]] ?? m[0]);
      at = m.index + m[0].length;
      if (next.length > MAX_INTERPOLATED_LENGTH) break;
    }
    out = next + out.slice(at);
    if (out.length > MAX_INTERPOLATED_LENGTH) {
      tooLarge.add(value.slice(0, 80));
      return undefined;
    }
  }
  return out.includes('${') ? undefined : out;
}

/** Extracts Maven dependencies declared in `pom.xml`. */
export const pomXml = {
  id: 'java/pom-xml',
  version: 1,
  fileRequired(path: string): boolean {
    return baseName(path) === 'pom.xml';
  },
  auxiliaryFile(path: string): boolean {
    return baseName(path) === 'pom.xml';
  },
  async extract(file: FileRef, ctx: ExtractContext): Promise<FoundPackage[]> {
    const pom = await parsePom(file.path, await readText(file));
    // The chain of parents found on disk, nearest first.
    const chain: Pom[] = [pom];
    let cur = pom;
    let curPath = file.path;
    for (let depth = 0; depth < MAX_PARENT_DEPTH && cur.parent && ctx.readFile; depth++) {
      const parentPath = joinPath(dirName(curPath), cur.parent.relativePath ?? '../pom.xml');
      const target = parentPath.endsWith('.xml') ? parentPath : `${parentPath}/pom.xml`;
      const buf = await ctx.readFile(target).catch(() => undefined);
      if (!buf) break;
      let parent: Pom;
      try {
        parent = await parsePom(target, buf.toString('utf8'));
      } catch {
        break;
      }
      // Only the parent the POM names; a different project one folder up is not it.
      if (parent.artifactId !== cur.parent.artifactId) break;
      chain.push(parent);
      cur = parent;
      curPath = target;
    }
    const props: Record<string, string> = {};
    for (const p of [...chain].reverse()) {
      Object.assign(props, p.properties);
    }
    const self = chain[0];
    const selfProps: Record<string, string> = {
      'project.groupId': self.groupId ?? self.parent?.groupId ?? '',
      'project.artifactId': self.artifactId ?? '',
      'project.version': self.version ?? self.parent?.version ?? '',
      'project.parent.groupId': self.parent?.groupId ?? '',
      'project.parent.version': self.parent?.version ?? '',
    };
    for (const [k, v] of Object.entries(selfProps)) if (v) props[k] = v;
    if (props['project.version']) props.version = props.version ?? props['project.version'];

    // Values whose expansion passed the size bound, for one warning.
    const tooLarge = new Set<string>();
    const managed = new Map<string, string>();
    for (const p of chain) {
      for (const d of p.managed) {
        const key = `${interpolate(d.groupId, props, tooLarge)}:${interpolate(d.artifactId, props, tooLarge)}`;
        const v = interpolate(d.version, props, tooLarge);
        if (v && !managed.has(key)) managed.set(key, v);
      }
    }
    const seen = new Set<string>();
    const found: FoundPackage[] = [];
    const unresolved: string[] = [];
    for (const d of chain.flatMap((p) => p.dependencies)) {
      const groupId = interpolate(d.groupId, props, tooLarge);
      const artifactId = interpolate(d.artifactId, props, tooLarge);
      // A dependency without a group id is not resolvable by Maven either.
      if (!groupId || !artifactId) continue;
      const name = `${groupId}:${artifactId}`;
      if (seen.has(name)) continue;
      seen.add(name);
      let version = interpolate(d.version, props, tooLarge) ?? (d.version === undefined ? managed.get(name) : undefined) ?? '';
      // `[1.2.3]` is a hard pin; any other range is not one version.
      const hard = /^\[([^,\]]+)\]$/.exec(version);
      if (hard) version = hard[1];
      if (/[[\](),]/.test(version)) version = '';
      if (!version) unresolved.push(name);
      const scope = interpolate(d.scope, props, tooLarge);
      const metadata: Record<string, string> = {};
      if (scope) metadata.scope = scope;
      if (d.type) metadata.type = d.type;
      if (d.classifier) metadata.classifier = d.classifier;
      found.push(mavenPackage(groupId, artifactId, version, { dev: scope === 'test', metadata }));
    }
    if (tooLarge.size > 0) {
      ctx.warn(
        `property interpolation of ${[...tooLarge].join(', ')} expands past ${MAX_INTERPOLATED_LENGTH} characters (nested \${…} references: an expansion bomb?); left unresolved`,
      );
    }
    if (unresolved.length > 0) ctx.warn(`no literal version for ${unresolved.join(', ')}; reported without a version`);
    return dedupePackages(found);
  },
} satisfies Extractor;
