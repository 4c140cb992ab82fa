/**
 * Elixir `mix.lock`: an Elixir map literal, one `"name": {:hex, :package, "version", …}` or
 * `"name": {:git, "url", "sha", …}` entry per line. It is matched line by line rather than
 * evaluated (it is code).
 */
import type { Extractor, ExtractContext, FileRef, FoundPackage } from '../../types.js';
import { baseName, readText } from '../language-common.js';

const HEX = /^\s*"([^"]+)":\s*\{:hex,\s*:"?([A-Za-z0-9_]+)"?,\s*"([^"]+)"/;
const GIT = /^\s*"([^"]+)":\s*\{:git,\s*"([^"]+)",\s*"([0-9a-f]{7,40})"/;

/** Extracts Hex packages from `mix.lock`. */
export const mixLock = {
  id: 'elixir/mix-lock',
  version: 1,
  fileRequired(path: string): boolean {
    return baseName(path) === 'mix.lock' && !path.split('/').includes('deps');
  },
  async extract(file: FileRef, ctx: ExtractContext): Promise<FoundPackage[]> {
    const found: FoundPackage[] = [];
    let unknown = 0;
    for (const line of (await readText(file)).split(/\r?\n/)) {
      const hex = HEX.exec(line);
      if (hex) {
        found.push({ purlType: 'hex', ecosystem: 'Hex', name: hex[2].toLowerCase(), version: hex[3] });
        continue;
      }
      const git = GIT.exec(line);
      if (git) {
        found.push({ purlType: 'hex', ecosystem: 'Hex', name: git[1].toLowerCase(), version: '', metadata: { commit: git[3], repository: git[2] } });
        continue;
      }
      if (/^\s*"[^"]+":\s*\{/.test(line)) unknown++;
    }
    if (unknown > 0) ctx.warn(`${unknown} entr(ies) from sources other than Hex or git skipped`);
    return found;
  },
} satisfies Extractor;
