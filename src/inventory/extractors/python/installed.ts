/**
 * Installed Python distributions: `*.dist-info/METADATA` (wheels, pip), `*.egg-info/PKG-INFO`
 * (setuptools, and most of Debian's `python3-*` packages), and single-file `*.egg-info`,
 * inside `site-packages` or `dist-packages`. These describe what is installed, so they win
 * over any lockfile or requirements file that disagrees.
 *
 * Distributions installed by the OS package manager are reported too: the inventory builder
 * marks them `ownedBy` the OS package whose file list holds this file's path.
 */
import type { Extractor, ExtractContext, FileRef, FoundPackage } from '../../types.js';
import { ExtractError, readText } from '../language-common.js';
import { pypiPackage } from './pypi.js';

/** Core metadata headers are small; the long description after them can be large. */
const MAX_METADATA_BYTES = 16 * 1024 * 1024;

const METADATA_FILE = /(?:^|\/)(?:site|dist)-packages\/(?:[^/]+\.dist-info\/METADATA|[^/]+\.egg-info\/PKG-INFO|[^/]+\.egg-info)$/;

/** The header fields of a core metadata file (RFC 822 style), up to the first blank line. */
export function parseCoreMetadata(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  let last: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line === '') break;
    if (/^[ \t]/.test(line) && last) {
      fields.set(last, `${fields.get(last) ?? ''}\n${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    last = line.slice(0, colon).trim().toLowerCase();
    // The first occurrence wins; repeated headers (Classifier, Requires-Dist) are not needed here.
    if (!fields.has(last)) fields.set(last, line.slice(colon + 1).trim());
  }
  return fields;
}

/** Extracts installed Python distributions from their core metadata files. */
export const pythonInstalled = {
  id: 'python/installed',
  version: 1,
  fileRequired(path: string): boolean {
    return METADATA_FILE.test(path);
  },
  async extract(file: FileRef, _ctx: ExtractContext): Promise<FoundPackage[]> {
    const fields = parseCoreMetadata(await readText(file, MAX_METADATA_BYTES));
    const name = fields.get('name');
    const version = fields.get('version');
    if (!name || !version) throw new ExtractError(file.path, 'core metadata has no Name or Version header');
    const pkg = pypiPackage(name, version);
    const license = fields.get('license-expression') ?? fields.get('license');
    if (license && license !== 'UNKNOWN' && !license.includes('\n')) pkg.metadata = { ...pkg.metadata, license };
    return [pkg];
  },
} satisfies Extractor;
