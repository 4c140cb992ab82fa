/**
 * Installed gems: `specifications/<name>-<version>.gemspec`, the Ruby file RubyGems writes for
 * each installed gem (also under `specifications/default/` for gems bundled with Ruby). The
 * name and version are read from its `s.name = "…"` / `s.version = "…"` lines, falling back to
 * the file name.
 */
import type { Extractor, ExtractContext, FileRef, FoundPackage } from '../../types.js';
import { baseName, ExtractError, readText } from '../language-common.js';
import { gemPackage } from './gem.js';

const SPEC_FILE = /\/specifications\/(?:default\/)?[^/]+\.gemspec$/;

/** Extracts installed gems from their specifications. */
export const gemspec = {
  id: 'ruby/gemspec',
  version: 1,
  fileRequired(path: string): boolean {
    return SPEC_FILE.test(path);
  },
  async extract(file: FileRef, _ctx: ExtractContext): Promise<FoundPackage[]> {
    const text = await readText(file, 4 * 1024 * 1024);
    const name = /\.name\s*=\s*["']([^"']+)["']/.exec(text)?.[1];
    const version = /\.version\s*=\s*(?:Gem::Version\.new\(\s*)?["']([^"']+)["']/.exec(text)?.[1];
    if (name && version) return [gemPackage(name, version)];
    const m = /^(.+)-(\d[^-]*)(?:-[^-]+)?\.gemspec$/.exec(baseName(file.path));
    if (m) return [gemPackage(m[1], m[2])];
    throw new ExtractError(file.path, 'gemspec names no gem and version');
  },
} satisfies Extractor;
