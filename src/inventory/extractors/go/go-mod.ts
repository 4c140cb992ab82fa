/**
 * `go.mod`: required modules with `replace` directives applied, and the `go`/`toolchain`
 * version as `stdlib`. Before Go 1.17 a go.mod lists only direct requirements, so for those
 * the `go.sum` beside it (read as an auxiliary file) adds the modules whose code was
 * downloaded (lines with a zip hash, not only a `/go.mod` hash).
 */
import semverCompare from 'semver/functions/compare.js';
import semverValid from 'semver/functions/valid.js';
import type { Extractor, ExtractContext, FileRef, FoundPackage } from '../../types.js';
import { baseName, dedupePackages, dirName, readText } from '../language-common.js';
import { goPackage, stdlibVersion } from './golang.js';

interface Directive {
  verb: string;
  args: string[];
  indirect: boolean;
}

/** Splits go.mod into directives, unfolding `verb ( … )` blocks and dropping comments. */
function directives(text: string): Directive[] {
  const out: Directive[] = [];
  let block: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const comment = raw.indexOf('//');
    const indirect = comment >= 0 && /\/\/\s*indirect\b/.test(raw.slice(comment));
    const line = (comment >= 0 ? raw.slice(0, comment) : raw).trim();
    if (line === '') continue;
    if (block !== undefined) {
      if (line === ')') {
        block = undefined;
        continue;
      }
      out.push({ verb: block, args: line.split(/\s+/), indirect });
      continue;
    }
    const m = /^(\w+)\s*\($/.exec(line);
    if (m) {
      block = m[1];
      continue;
    }
    const [verb, ...args] = line.split(/\s+/);
    out.push({ verb, args, indirect });
  }
  return out.map((d) => ({ ...d, args: d.args.map((a) => a.replace(/^"(.*)"$/, '$1')) }));
}

function goCompare(a: string, b: string): number {
  const va = semverValid(a.replace(/^v/, ''));
  const vb = semverValid(b.replace(/^v/, ''));
  if (va && vb) return semverCompare(va, vb);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Modules whose code a go.sum records (zip hashes), highest version per module. */
export function parseGoSum(text: string): Map<string, string> {
  const best = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const [path, version] = line.trim().split(/\s+/);
    if (!path || !version || version.endsWith('/go.mod')) continue;
    const prev = best.get(path);
    if (!prev || goCompare(version, prev) > 0) best.set(path, version);
  }
  return best;
}

/** Parses a go.mod into packages; `goSum` is the text of the go.sum beside it, if any. */
export function parseGoMod(text: string, goSum?: string): FoundPackage[] {
  const dirs = directives(text);
  const requires: { path: string; version: string; indirect: boolean }[] = [];
  const replaces: { from: string; fromVersion?: string; to: string; toVersion?: string }[] = [];
  let goVersion: string | undefined;
  let toolchain: string | undefined;
  for (const d of dirs) {
    if (d.verb === 'go' && d.args[0]) goVersion = d.args[0];
    else if (d.verb === 'toolchain' && d.args[0]) toolchain = d.args[0];
    else if (d.verb === 'require' && d.args.length >= 2) requires.push({ path: d.args[0], version: d.args[1], indirect: d.indirect });
    else if (d.verb === 'replace') {
      const arrow = d.args.indexOf('=>');
      if (arrow < 1) continue;
      const left = d.args.slice(0, arrow);
      const right = d.args.slice(arrow + 1);
      replaces.push({ from: left[0], fromVersion: left[1], to: right[0], toVersion: right[1] });
    }
  }
  // Go 1.16 and older list only direct requirements in go.mod; go.sum knows the rest.
  const [major, minor] = (goVersion ?? '').split('.').map((n) => Number.parseInt(n, 10));
  if (goSum !== undefined && major === 1 && minor <= 16) {
    const listed = new Set(requires.map((r) => r.path));
    for (const [path, version] of parseGoSum(goSum)) if (!listed.has(path)) requires.push({ path, version, indirect: true });
  }
  const found: FoundPackage[] = [];
  for (const r of requires) {
    const rep = replaces.find((x) => x.from === r.path && (x.fromVersion === undefined || x.fromVersion === r.version));
    const meta: Record<string, string> = {};
    if (r.indirect) meta.indirect = 'true';
    if (!rep) {
      found.push(goPackage(r.path, r.version, meta));
      continue;
    }
    meta.replaces = `${r.path}@${r.version}`;
    // A replacement by a local directory has no version: it is the directory's code.
    found.push(goPackage(rep.to, rep.toVersion ?? '', meta));
  }
  const stdlib = stdlibVersion(toolchain ?? goVersion ?? '');
  if (stdlib) found.push(goPackage('stdlib', stdlib));
  // Two requirements replaced by the same module and version are one module in the build.
  return dedupePackages(found);
}

/** Extracts Go modules from `go.mod` (with `go.sum` for Go ≤ 1.16 modules). */
export const goMod = {
  id: 'go/go-mod',
  version: 2,
  fileRequired(path: string): boolean {
    // The module cache (`…/pkg/mod/…`) holds the go.mod of every module ever downloaded:
    // those describe dependencies' own builds, not this project.
    return baseName(path) === 'go.mod' && !path.includes('/pkg/mod/') && !path.split('/').includes('vendor');
  },
  auxiliaryFile(path: string): boolean {
    return baseName(path) === 'go.sum' && !path.includes('/pkg/mod/');
  },
  async extract(file: FileRef, ctx: ExtractContext): Promise<FoundPackage[]> {
    const text = await readText(file);
    const sumPath = `${dirName(file.path).replace(/\/$/, '')}/go.sum`;
    const sum = ctx.readFile ? await ctx.readFile(sumPath) : undefined;
    return parseGoMod(text, sum?.toString('utf8'));
  },
} satisfies Extractor;
