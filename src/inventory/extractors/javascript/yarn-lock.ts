/**
 * `yarn.lock`: Yarn classic (v1, its own indented format) and Yarn berry (v2+, YAML with a
 * `__metadata` block). Yarn records no dev/prod split; when the project's `package.json` is
 * beside the lockfile, packages reachable only from its devDependencies are marked dev.
 */
import { z } from 'zod';
import type { Extractor, ExtractContext, FileRef, FoundPackage } from '../../types.js';
import { baseName, dedupePackages, dirName, ExtractError, insideInstalledTree, parseYaml, readText, validate } from '../language-common.js';
import { npmPackage } from './npm.js';

/** Newest berry `__metadata.version` this parser has been checked against. */
const NEWEST_BERRY_VERSION = 8;

const depRecord = z.record(z.string(), z.union([z.string(), z.number()])).optional().catch(undefined);

const berryEntry = z.looseObject({
  version: z.union([z.string(), z.number()]).transform(String).optional().catch(undefined),
  resolution: z.string().optional().catch(undefined),
  dependencies: depRecord,
  optionalDependencies: depRecord,
});

/** A Yarn berry lockfile: `__metadata` plus one entry per resolution. */
export const berryLockSchema = z.record(z.string(), z.unknown());

function unquote(s: string): string {
  const t = s.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t;
}

/** Splits `name@range` at the `@` that ends the name (scoped names start with one). */
function splitSpec(spec: string): { name: string; range: string } {
  const at = spec.indexOf('@', spec.startsWith('@') ? 1 : 0);
  return at < 0 ? { name: spec, range: '' } : { name: spec.slice(0, at), range: spec.slice(at + 1) };
}

/** The commit a Yarn `resolved` URL pins, if it is a git or code-host source rather than a registry tarball. */
export function yarnCommit(resolved: string | undefined): string | undefined {
  if (!resolved) return undefined;
  // Registry tarballs end in `.tgz#<sha1 of the tarball>`: a checksum, not a commit.
  if (/\.tgz#[0-9a-f]+$/i.test(resolved)) return undefined;
  const m =
    /#(?:commit[=:])?([0-9a-f]{7,40})$/i.exec(resolved) ??
    /[#&]commit=([0-9a-f]{7,40})\b/i.exec(resolved) ??
    /\/tar\.gz\/([0-9a-f]{40})\b/i.exec(resolved) ??
    /[?&]ref=([0-9a-f]{40})\b/i.exec(resolved);
  return m?.[1];
}

/** One lockfile entry: the specs that resolve to it, what it is, and what it depends on. */
interface YarnEntry {
  specs: string[];
  pkg: FoundPackage;
  deps: { name: string; range: string }[];
}

function parseClassic(text: string): YarnEntry[] {
  const entries: YarnEntry[] = [];
  let header: string | undefined;
  let fields: Record<string, string> = {};
  let deps: { name: string; range: string }[] = [];
  let inDeps = false;
  const flush = () => {
    if (header === undefined) return;
    const specs = header.replace(/:\s*$/, '').split(/,\s*/).map(unquote);
    const spec = splitSpec(specs[0] ?? '');
    // `alias@npm:real-name@range` installs `real-name`.
    const name = spec.range.startsWith('npm:') ? splitSpec(spec.range.slice(4)).name : spec.name;
    if (name) entries.push({ specs, pkg: npmPackage(name, fields.version ?? '', { commit: yarnCommit(fields.resolved) }), deps });
  };
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    if (!/^\s/.test(line)) {
      flush();
      header = line;
      fields = {};
      deps = [];
      inDeps = false;
      continue;
    }
    // The entry's own fields sit at two spaces; its dependency maps' entries at four.
    const m = /^ {2}"?(\w+)"?\s*(.*)$/.exec(line);
    if (m) {
      inDeps = (m[1] === 'dependencies' || m[1] === 'optionalDependencies') && m[2].trim() === ':';
      if (m[2].trim() !== ':') fields[m[1]] = unquote(m[2]);
      continue;
    }
    const d = /^ {4}("[^"]+"|\S+)\s+(.*)$/.exec(line);
    if (d && inDeps) deps.push({ name: unquote(d[1]), range: unquote(d[2]) });
  }
  flush();
  return entries;
}

function parseBerry(path: string, data: Record<string, unknown>, ctx: ExtractContext): YarnEntry[] {
  const meta = data.__metadata as { version?: unknown } | undefined;
  const metaVersion = Number(meta?.version);
  if (metaVersion > NEWEST_BERRY_VERSION) {
    ctx.warn(`yarn lockfile __metadata.version ${metaVersion} is newer than ${NEWEST_BERRY_VERSION}; read as if it were`);
  }
  const entries: YarnEntry[] = [];
  for (const [key, raw] of Object.entries(data)) {
    if (key === '__metadata') continue;
    const parsed = berryEntry.safeParse(raw);
    if (!parsed.success) {
      ctx.warn(`entry "${key}" is not an object; skipped`);
      continue;
    }
    const entry = parsed.data;
    const resolution = entry.resolution ?? key.split(/,\s*/)[0];
    const { name, range } = splitSpec(resolution);
    // `workspace:.` is the project itself; other workspaces are the project's own packages and are kept.
    if (range === 'workspace:.') continue;
    if (!name) throw new ExtractError(path, `entry "${key}" has no package name`);
    const deps = Object.entries({ ...entry.dependencies, ...entry.optionalDependencies }).map(([n, r]) => ({ name: n, range: String(r) }));
    entries.push({ specs: key.split(/,\s*/), pkg: npmPackage(name, entry.version ?? '', { commit: yarnCommit(range) }), deps });
  }
  return entries;
}

/**
 * Marks dev packages using the `package.json` beside the lockfile (Yarn records no dev flag):
 * those reachable only from its `devDependencies`. Without a package.json nothing is marked.
 */
function markDev(entries: YarnEntry[], manifest: unknown): void {
  if (!manifest || typeof manifest !== 'object') return;
  const bySpec = new Map<string, YarnEntry>();
  for (const e of entries) for (const s of e.specs) bySpec.set(s, e);
  const find = (name: string, range: string) => bySpec.get(`${name}@${range}`) ?? bySpec.get(`${name}@npm:${range}`);
  const rootsOf = (fields: string[]) =>
    fields.flatMap((f) => Object.entries(((manifest as Record<string, unknown>)[f] ?? {}) as Record<string, unknown>).map(([n, r]) => find(n, String(r))));
  const walk = (roots: (YarnEntry | undefined)[]) => {
    const seen = new Set<YarnEntry>();
    const stack = roots.filter((e): e is YarnEntry => e !== undefined);
    while (stack.length > 0) {
      const e = stack.pop() as YarnEntry;
      if (seen.has(e)) continue;
      seen.add(e);
      for (const d of e.deps) {
        const next = find(d.name, d.range);
        if (next) stack.push(next);
      }
    }
    return seen;
  };
  const prod = walk(rootsOf(['dependencies', 'optionalDependencies', 'peerDependencies']));
  for (const e of walk(rootsOf(['devDependencies']))) if (!prod.has(e)) e.pkg.dev = true;
}

/** Extracts npm packages from `yarn.lock` (classic and berry). */
export const yarnLock = {
  id: 'javascript/yarn-lock',
  version: 1,
  fileRequired(path: string): boolean {
    return baseName(path) === 'yarn.lock' && !insideInstalledTree(path);
  },
  /** The project's package.json, to tell dev dependencies apart. */
  auxiliaryFile(path: string): boolean {
    return baseName(path) === 'package.json' && !insideInstalledTree(path);
  },
  async extract(file: FileRef, ctx: ExtractContext): Promise<FoundPackage[]> {
    const text = await readText(file);
    let entries: YarnEntry[];
    if (/^__metadata:/m.test(text)) {
      const data = validate(file.path, berryLockSchema, await parseYaml(file.path, text), 'Yarn berry lockfile');
      entries = parseBerry(file.path, data, ctx);
    } else {
      entries = parseClassic(text);
    }
    const manifestPath = `${dirName(file.path).replace(/\/$/, '')}/package.json`;
    const manifest = ctx.readFile ? await ctx.readFile(manifestPath).catch(() => undefined) : undefined;
    if (manifest) {
      try {
        markDev(entries, JSON.parse(manifest.toString('utf8')));
      } catch {
        ctx.warn(`${manifestPath} is not valid JSON; dev dependencies not marked`);
      }
    }
    return dedupePackages(entries.map((e) => e.pkg));
  },
} satisfies Extractor;
