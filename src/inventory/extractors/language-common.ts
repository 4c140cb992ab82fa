/**
 * Helpers shared by the language package extractors (`javascript/`, `python/`, `go/`, …):
 * bounded reads and parse errors that name the file, so that one bad lockfile becomes one
 * recorded warning and the scan goes on.
 */
import type { z } from 'zod';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../json-depth.js';
import type { FileRef, FoundPackage } from '../types.js';

/**
 * Largest lockfile or metadata file a language extractor parses. Real lockfiles of very large
 * monorepos reach a few tens of megabytes; anything past this is more likely hostile than real,
 * and parsing it whole would hold the scan hostage.
 */
export const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;

/** Thrown for a file an extractor cannot use; the walker records it as a warning. */
export class ExtractError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`${path}: ${reason}`);
    this.name = 'ExtractError';
  }
}

/** Reads a text file whole, refusing files past `limit` before reading them. */
export async function readText(file: FileRef, limit = MAX_MANIFEST_BYTES): Promise<string> {
  if (file.size > limit) throw new ExtractError(file.path, `file too large (${file.size} bytes, limit ${limit})`);
  const buf = await file.read();
  if (buf.length > limit) throw new ExtractError(file.path, `file too large (${buf.length} bytes, limit ${limit})`);
  const text = buf.toString('utf8');
  // A UTF-8 byte order mark is legal in JSON written by Windows tools (NuGet, Visual Studio).
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0] : String(err);
}

/** Parses JSON, naming the file on failure; refuses documents nested past {@link MAX_JSON_DEPTH}. */
export function parseJson(path: string, text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (err) {
    throw new ExtractError(path, `not valid JSON: ${describe(err)}`);
  }
  if (nestsDeeperThan(value, MAX_JSON_DEPTH)) throw new ExtractError(path, `JSON nests more than ${MAX_JSON_DEPTH} levels deep; not read`);
  return value;
}

/**
 * Parses TOML, naming the file on failure. The parser loads with the first TOML file (as the
 * YAML one below): a scan of a target without one should not pay for loading it.
 */
export async function parseToml(path: string, text: string): Promise<Record<string, unknown>> {
  const { parse: parseTomlText } = await import('smol-toml');
  try {
    return parseTomlText(text) as Record<string, unknown>;
  } catch (err) {
    throw new ExtractError(path, `not valid TOML: ${describe(err)}`);
  }
}

/** Lockfiles are machine-written and never use YAML aliases; a file full of them is an attack. */
const MAX_YAML_ALIASES = 100;

/**
 * Parses YAML (one document, core schema: no timestamps or custom tags), naming the file on
 * failure. js-yaml rather than the `yaml` package: on a 20,000-package pnpm lockfile it is
 * several times faster (the benchmark in `bench/lang-extract.ts` measures it).
 */
export async function parseYaml(path: string, text: string): Promise<unknown> {
  const aliases = text.match(/(?:^|[\s[{,:-])\*[A-Za-z0-9_.-]+/g)?.length ?? 0;
  if (aliases > MAX_YAML_ALIASES) throw new ExtractError(path, `YAML uses ${aliases} aliases (limit ${MAX_YAML_ALIASES}); not a lockfile`);
  const { default: yaml } = await import('js-yaml');
  try {
    return yaml.load(text, { schema: yaml.CORE_SCHEMA, filename: path, json: true });
  } catch (err) {
    throw new ExtractError(path, `not valid YAML: ${describe(err)}`);
  }
}

/** Validates parsed data against a schema, naming the file and the first problem on failure. */
export function validate<T extends z.ZodType>(path: string, schema: T, data: unknown, what: string): z.infer<T> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
  throw new ExtractError(path, `not a ${what}: ${issue?.message ?? 'invalid'}${where}`);
}

/**
 * Strips `//` and `/* *\/` comments and trailing commas from JSONC (bun.lock, some
 * `.NET` files) so that `JSON.parse` can read it; strings are left untouched.
 */
export function stripJsonc(text: string): string {
  let out = '';
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < n && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (c === '/' && text[i + 1] === '/') {
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
      continue;
    }
    if (c === ',') {
      let j = i + 1;
      while (j < n && /\s/.test(text[j])) j++;
      if (text[j] === '}' || text[j] === ']') {
        i++;
        continue;
      }
    }
    out += c;
    i++;
  }
  return out;
}

let lastPath = '';
let lastBase = '';

/** Last path segment. */
export function baseName(path: string): string {
  // Every extractor asks for the base name of the same path in turn while a walk decides
  // whether anyone wants a file: slice it once, not once per extractor.
  if (path === lastPath) return lastBase;
  const i = path.lastIndexOf('/');
  lastPath = path;
  lastBase = i < 0 ? path : path.slice(i + 1);
  return lastBase;
}

/** Path without its last segment (`/` for top-level files). */
export function dirName(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/**
 * True when a lockfile sits inside an installed dependency tree (`node_modules/`, PHP's
 * `vendor/`). Such lockfiles describe what a dependency was developed with, not what is
 * installed; the installed metadata beside them (each package's `package.json`,
 * `vendor/composer/installed.json`) is what is really there, so they are skipped.
 */
export function insideInstalledTree(path: string, dirs: readonly string[] = ['node_modules']): boolean {
  const segs = path.split('/');
  segs.pop();
  return segs.some((s) => dirs.includes(s));
}

/**
 * Merges packages a lockfile lists more than once (the same name and version installed at
 * several paths): one package per file is what a reader wants. A merged package is dev only
 * when every copy is dev — one production copy makes it production code.
 */
export function dedupePackages(found: readonly FoundPackage[]): FoundPackage[] {
  const byKey = new Map<string, FoundPackage>();
  for (const p of found) {
    const k = `${p.purlType}\u0000${p.name}\u0000${p.version}\u0000${p.metadata?.commit ?? ''}`;
    const prev = byKey.get(k);
    if (!prev) {
      byKey.set(k, { ...p });
      continue;
    }
    if (!p.dev) delete prev.dev;
  }
  return [...byKey.values()];
}

/** Folders whose files are data, documentation or other languages' packages, never compiled programs. */
const NOT_PROGRAM_DIRS = /(?:^|\/)(?:usr\/share|usr\/include|etc|var\/lib\/dpkg|var\/cache|proc|sys|dev|node_modules|site-packages|dist-packages|\.git)\//;

/**
 * Names of source, text, document, image and font formats: never compiled programs whatever
 * their mode. Without this every script, page and bytecode file (a Rust toolchain's 110,000
 * HTML pages, a Python's 60,000 `.pyc`) would be stat'ed to learn its size and mode.
 */
const NOT_PROGRAM_NAMES = /\.(?:html?|s?css|js|mjs|cjs|jsx|tsx?|mts|cts|map|json|ya?ml|toml|xml|py[cio]?|pyi|rbs?|pl|pm|ph|php|sh|bash|h|hh|hpp|hxx|inl|c|cc|cpp|cxx|cu|cuh|txt|md|rst|pem|crt|patch|diff|csv|tsv|png|svg|gif|jpe?g|ico|woff2?|ttf|otf)$/i;

// Folders whose files are programs whatever their names (`kubectl.1.33`,
// `terraform-provider-aws_v5.100.0_x5` in a plugin folder under a bin directory).
const PROGRAM_DIRS = /(?:^|\/)(?:s?bin|libexec)\//;

/**
 * Whether a file may be a compiled program worth opening. The walker shows path, size and,
 * where the source knows it, the mode, so this is a cheap guess: at least 512 KiB (a Go or
 * Rust program with its runtime is larger than that), outside folders that hold only data,
 * and either executable (any exec bit), or in a `bin`/`sbin`/`libexec` folder, or named like a
 * program (no extension, or `.exe`; what is left when the mode is unknown), and not named as a
 * source, text or image file (an executable `.py` or `.sh` is a script). The extractor then
 * decides by content (the executable magic and its own marker) and returns nothing for files
 * that are not its programs. There is no upper bound here: a wanted file over the scan's
 * `maxFileBytes` is skipped by the walk with a warning, never silently.
 */
export function mayBeProgram(path: string, size: number, mode?: number): boolean {
  if (size < 512 * 1024 || !mayBeProgramPath(path)) return false;
  if (mode !== undefined && (mode & 0o111) !== 0) return true;
  if (PROGRAM_DIRS.test(path)) return true;
  const name = baseName(path);
  return !name.includes('.') || name.endsWith('.exe');
}

/** False for paths {@link mayBeProgram} refuses whatever the size and mode: a walk need not stat them. */
export function mayBeProgramPath(path: string): boolean {
  return !NOT_PROGRAM_NAMES.test(baseName(path)) && !NOT_PROGRAM_DIRS.test(path);
}

/** The first `n` bytes of a file (fewer when it is shorter), without reading the rest. */
export async function peek(file: FileRef, n: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of file.stream()) {
    chunks.push(chunk as Buffer);
    length += (chunk as Buffer).length;
    // Leaving the loop destroys the stream: nothing more is read.
    if (length >= n) break;
  }
  // Copy only the head: an image layer hands a file over as one chunk of its whole size.
  return Buffer.concat(chunks, Math.min(length, n));
}

/** The executable format a file's first bytes announce. */
export function executableFormat(head: Buffer): 'elf' | 'pe' | 'macho' | undefined {
  if (head.length < 4) return undefined;
  if (head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46) return 'elf';
  if (head[0] === 0x4d && head[1] === 0x5a) return 'pe';
  const magic = head.readUInt32BE(0);
  if ([0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe, 0xcafebabe].includes(magic)) return 'macho';
  return undefined;
}
