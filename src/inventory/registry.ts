/**
 * The extractor registry: one line per extractor, nothing registers itself on import.
 * `test/inventory/registry.test.ts` checks every entry's contract.
 */
import { apkInstalled } from './extractors/os/apk-installed.js';
import { dpkgStatus } from './extractors/os/dpkg-status.js';
import { rpmDb } from './extractors/os/rpm-db.js';
import type { Extractor } from './types.js';

/** Every extractor a scan runs, OS package databases first. */
export const extractors = [
  dpkgStatus,
  apkInstalled,
  rpmDb,
] satisfies readonly Extractor[];
