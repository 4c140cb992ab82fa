/**
 * `vendor/composer/installed.json`: what Composer installed. Composer 1 writes an array of
 * packages; Composer 2 writes `{ packages, dev, dev-package-names }`, which marks dev ones.
 */
import { z } from 'zod';
import type { Extractor, ExtractContext, FileRef, FoundPackage } from '../../types.js';
import { parseJson, readText, validate } from '../language-common.js';
import { composerEntry, composerPackage } from './composer.js';

/** Both shapes of `installed.json`. */
export const installedJsonSchema = z.union([
  z.array(composerEntry),
  z.looseObject({ packages: z.array(composerEntry), 'dev-package-names': z.array(z.string()).optional() }),
]);

/** Extracts installed Packagist packages from `vendor/composer/installed.json`. */
export const composerInstalled = {
  id: 'php/installed-json',
  version: 1,
  fileRequired(path: string): boolean {
    return /(?:^|\/)vendor\/composer\/installed\.json$/.test(path);
  },
  async extract(file: FileRef, _ctx: ExtractContext): Promise<FoundPackage[]> {
    const data = validate(file.path, installedJsonSchema, parseJson(file.path, await readText(file)), 'Composer installed.json');
    if (Array.isArray(data)) return data.map((p) => composerPackage(p, false));
    const dev = new Set((data['dev-package-names'] ?? []).map((n) => n.toLowerCase()));
    return data.packages.map((p) => composerPackage(p, dev.has(p.name.toLowerCase())));
  },
} satisfies Extractor;
