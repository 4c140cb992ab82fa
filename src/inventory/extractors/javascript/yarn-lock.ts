/**
 * `yarn.lock`: Yarn classic (v1, its own indented format) and Yarn berry (v2+, YAML with a
 * `__metadata` block). Yarn records no dev/prod split, so packages are never marked dev here.
 */
import { z } from 'zod';
import type { Extractor, ExtractContext, FileRef, FoundPackage } from '../../types.js';
import { baseName, dedupePackages, ExtractError, insideInstalledTree, parseYaml, readText, validate } from '../language-common.js';
import { npmPackage } from './npm.js';

/** Newest berry `__metadata.version` this parser has been checked against. */
const NEWEST_BERRY_VERSION = 8;

const berryEntry = z.looseObject({
  version: z.union([z.string(), z.number()]).transform(String).optional().catch(undefined),
  resolution: z.string().optional().catch(undefined),
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

function* parseClassic(text: string): Generator<FoundPackage> {
  let header: string | undefined;
  let fields: Record<string, string> = {};
  function* flush(): Generator<FoundPackage> {
    if (header === undefined) return;
    const first = unquote(header.replace(/:\s*$/, '').split(/,\s*/)[0] ?? '');
    const spec = splitSpec(first);
    // `alias@npm:real-name@range` installs `real-name`.
    const name = spec.range.startsWith('npm:') ? splitSpec(spec.range.slice(4)).name : spec.name;
    if (name) yield npmPackage(name, fields.version ?? '', { commit: yarnCommit(fields.resolved) });
  }
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    if (!/^\s/.test(line)) {
      yield* flush();
      header = line;
      fields = {};
      continue;
    }
    // Only the entry's own fields (two-space indent), not nested dependency maps.
    const m = /^ {2}"?(\w+)"?\s+(.*)$/.exec(line);
    if (m) fields[m[1]] = unquote(m[2]);
  }
  yield* flush();
}

function* parseBerry(path: string, data: Record<string, unknown>, ctx: ExtractContext): Generator<FoundPackage> {
  const meta = data.__metadata as { version?: unknown } | undefined;
  const metaVersion = Number(meta?.version);
  if (metaVersion > NEWEST_BERRY_VERSION) {
    ctx.warn(`yarn lockfile __metadata.version ${metaVersion} is newer than ${NEWEST_BERRY_VERSION}; read as if it were`);
  }
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
    yield npmPackage(name, entry.version ?? '', { commit: yarnCommit(range) });
  }
}

/** Extracts npm packages from `yarn.lock` (classic and berry). */
export const yarnLock = {
  id: 'javascript/yarn-lock',
  version: 1,
  fileRequired(path: string): boolean {
    return baseName(path) === 'yarn.lock' && !insideInstalledTree(path);
  },
  async extract(file: FileRef, ctx: ExtractContext): Promise<FoundPackage[]> {
    const text = await readText(file);
    if (/^__metadata:/m.test(text)) {
      const data = validate(file.path, berryLockSchema, parseYaml(file.path, text), 'Yarn berry lockfile');
      return dedupePackages([...parseBerry(file.path, data, ctx)]);
    }
    return dedupePackages([...parseClassic(text)]);
  },
} satisfies Extractor;
