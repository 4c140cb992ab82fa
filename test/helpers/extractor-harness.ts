import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { Extractor, FileRef, FoundPackage } from '../../src/inventory/types.js';

/** A {@link FileRef} over a real file on disk, seen by the extractor at `targetPath`. */
export async function fileRefFromDisk(diskPath: string, targetPath = diskPath, layer?: string): Promise<FileRef> {
  const { size } = await stat(diskPath);
  return {
    path: targetPath,
    size,
    layer,
    read: () => readFile(diskPath),
    stream: () => createReadStream(diskPath),
  };
}

/** What one extractor run produced: packages, warnings, and the error it threw, if any. */
export interface ExtractorRun {
  packages: FoundPackage[];
  warnings: string[];
  error?: Error;
}

/**
 * Runs an extractor over one real file the way the walker would: checks `fileRequired`,
 * collects packages (from either result shape) and warnings, and catches what it throws.
 */
export async function runExtractor(
  extractor: Extractor,
  diskPath: string,
  opts: { targetPath?: string; requireMatch?: boolean; siblings?: Record<string, string> } = {},
): Promise<ExtractorRun> {
  const file = await fileRefFromDisk(diskPath, opts.targetPath ?? diskPath);
  if (opts.requireMatch !== false && !extractor.fileRequired(file.path, file.size)) {
    throw new Error(`${extractor.id} does not want ${file.path}`);
  }
  const warnings: string[] = [];
  const packages: FoundPackage[] = [];
  try {
    const siblings = opts.siblings ?? {};
    const result = extractor.extract(file, {
      warn: (reason) => warnings.push(reason),
      // Auxiliary files the test offers, by target path, as the walker would.
      readFile: async (path) => (siblings[path] === undefined ? undefined : readFile(siblings[path]).catch(() => undefined)),
    });
    if (Symbol.asyncIterator in result) {
      for await (const p of result) packages.push(p);
    } else {
      packages.push(...(await result));
    }
  } catch (err) {
    return { packages, warnings, error: err instanceof Error ? err : new Error(String(err)) };
  }
  return { packages, warnings };
}

/** `name@version` of each package, sorted: the shape most comparisons want. */
export function nameVersions(packages: readonly FoundPackage[]): string[] {
  return packages.map((p) => `${p.name}@${p.version}`).sort();
}
