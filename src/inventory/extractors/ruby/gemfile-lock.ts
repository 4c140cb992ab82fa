/**
 * `Gemfile.lock` (Bundler): the `specs:` of its `GEM`, `GIT` and `PATH` sections. Bundler
 * records no dev/prod split per gem (groups live in the Gemfile), so gems are not marked dev.
 * A platform suffix (`nokogiri (1.13.3-x86_64-linux)`) is not part of the version.
 */
import type { Extractor, ExtractContext, FileRef, FoundPackage } from '../../types.js';
import { baseName, dedupePackages, insideInstalledTree, readText } from '../language-common.js';
import { gemPackage } from './gem.js';

const SECTIONS = new Set(['GEM', 'GIT', 'PATH', 'PLUGIN SOURCE']);

/** Extracts gems from `Gemfile.lock` (and `gems.locked`). */
export const gemfileLock = {
  id: 'ruby/gemfile-lock',
  version: 1,
  fileRequired(path: string): boolean {
    const name = baseName(path);
    // Installed gems ship their own development lockfiles: those are not what is installed here.
    return (name === 'Gemfile.lock' || name === 'gems.locked') && !insideInstalledTree(path, ['gems', 'vendor', 'node_modules']);
  },
  async extract(file: FileRef, _ctx: ExtractContext): Promise<FoundPackage[]> {
    const found: FoundPackage[] = [];
    let section: string | undefined;
    let inSpecs = false;
    let revision: string | undefined;
    for (const line of (await readText(file)).split(/\r?\n/)) {
      if (/^\S/.test(line)) {
        section = line.trim();
        inSpecs = false;
        revision = undefined;
        continue;
      }
      if (!section || !SECTIONS.has(section)) continue;
      const rev = /^ {2}revision: ([0-9a-f]{7,40})\s*$/.exec(line);
      if (rev) {
        // Bundler writes a GIT section's revision before its specs.
        revision = rev[1];
        continue;
      }
      if (/^ {2}specs:\s*$/.test(line)) {
        inSpecs = true;
        continue;
      }
      if (/^ {2}\S/.test(line)) {
        inSpecs = false;
        continue;
      }
      if (!inSpecs) continue;
      // Gems are at four spaces; their own dependencies at six.
      const m = /^ {4}([^\s(]+) \(([^)]+)\)\s*$/.exec(line);
      if (!m) continue;
      // Bundler appends the platform after a dash (`-x86_64-linux`, `-java`, `-arm64-darwin`).
      const version = m[2].replace(/-[A-Za-z_].*$/, '');
      found.push(gemPackage(m[1], version, section === 'GIT' && revision ? { commit: revision } : undefined));
    }
    return dedupePackages(found);
  },
} satisfies Extractor;
