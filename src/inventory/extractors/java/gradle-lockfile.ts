/**
 * `gradle.lockfile` (and per-configuration `*.lockfile` under `gradle/dependency-locks/`):
 * one `group:artifact:version=configuration,…` line per locked module. A module locked only
 * for test configurations is a development dependency.
 */
import type { Extractor, ExtractContext, FileRef, FoundPackage } from '../../types.js';
import { baseName, readText } from '../language-common.js';
import { mavenPackage } from './maven.js';

/** Extracts Maven modules from Gradle dependency lockfiles. */
export const gradleLockfile = {
  id: 'java/gradle-lockfile',
  version: 1,
  fileRequired(path: string): boolean {
    return baseName(path) === 'gradle.lockfile' || /\/gradle\/dependency-locks\/[^/]+\.lockfile$/.test(path);
  },
  async extract(file: FileRef, ctx: ExtractContext): Promise<FoundPackage[]> {
    const found: FoundPackage[] = [];
    let bad = 0;
    for (const raw of (await readText(file)).split(/\r?\n/)) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#') || line.startsWith('empty=')) continue;
      const [coords, configs = ''] = line.split('=');
      const parts = coords.split(':');
      if (parts.length < 3 || !parts[0] || !parts[1] || !parts[2]) {
        bad++;
        continue;
      }
      const configurations = configs.split(',').filter(Boolean);
      const dev = configurations.length > 0 && configurations.every((c) => /^test|Test[A-Z]?\w*$/.test(c));
      found.push(mavenPackage(parts[0], parts[1], parts[2], { dev, metadata: configurations.length ? { configurations: configurations.join(',') } : undefined }));
    }
    if (bad > 0) ctx.warn(`${bad} line(s) are not group:artifact:version=configurations; skipped`);
    return found;
  },
} satisfies Extractor;
