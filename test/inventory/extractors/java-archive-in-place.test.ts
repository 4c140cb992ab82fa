/**
 * Large Java archives are read in place (the central directory and the entries wanted, in
 * blocks through `readAt`) instead of whole. Both ways must find the same packages and give
 * the same warnings or error, for every archive of osv-scalibr's fixtures (nested, empty,
 * broken, not a ZIP) and for this machine's large emulator JARs when it has them.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { extractJavaArchive } from '../../../src/inventory/extractors/java/archive.js';
import { diskRef } from '../../../src/inventory/sources/directory.js';
import { sharedDir } from '../../helpers/cli.js';

const fixtures = join(sharedDir, 'testdata/extraction/osv-scalibr/extractor/filesystem/language/java/archive/testdata');
const hostJars = ['/usr/lib/google-cloud-sdk/platform/cloud-datastore-emulator/CloudDatastore.jar'].filter((p) => existsSync(p));

/** What one way of reading gives: packages and warnings, or the error. */
async function outcome(path: string, inPlace: boolean): Promise<unknown> {
  const warnings: string[] = [];
  const ref = diskRef(path, path, statSync(path).size, 1024 * 1024 * 1024);
  try {
    const bytes = inPlace ? { ...ref, readAt: ref.readAt! } : await ref.read();
    return { packages: await extractJavaArchive(bytes, path, { warn: (r) => warnings.push(r) }), warnings };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err), warnings };
  }
}

describe('Java archives read in place', () => {
  const jars = readdirSync(fixtures).filter((f) => f.endsWith('.jar'));

  it('has fixtures to compare', () => {
    expect(jars.length).toBeGreaterThan(10);
  });

  it.each([...jars.map((f) => join(fixtures, f)), ...hostJars])('%s gives what reading it whole gives', async (path) => {
    const whole = await outcome(path, false);
    expect(await outcome(path, true)).toEqual(whole);
  });
});
