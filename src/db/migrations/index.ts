/**
 * The migration registry: every schema change, in order, one line each.
 *
 * To add one: create `src/db/migrations/NNNN-what.ts` exporting a {@link VigilMigration}
 * whose `name` is `NNNN-what` (the next number), write its `up` for both dialects (use
 * `dialectTypes(dialect)` for timestamps and reals), add its row type to
 * `src/db/schema.ts`, and append ONE line below. Never edit or reorder a released entry:
 * databases record the names they have applied.
 */
import { core } from './0001-core.js';
import { findings } from './0002-findings.js';
import { findingsAccountSorts } from './0003-findings-account-sorts.js';
import { findingsAccountLookups } from './0004-findings-account-lookups.js';
import { findingSummary } from './0005-finding-summary.js';
import { findingsTrendIndexes } from './0006-findings-trend-indexes.js';
import { findingsGroupIndexes } from './0007-findings-group-indexes.js';
import { coverageDetail } from './0008-coverage-detail.js';
import { registryOutbound } from './0101-registry-outbound.js';
import { scanSubmissions } from './0009-scan-submissions.js';
import { network } from './0010-network.js';
import { findingOrigin } from './0012-finding-origin.js';
import { sla } from './0013-sla.js';
import { suppressionProvenance } from './0014-suppression-provenance.js';
import { slaSummary } from './0016-sla-summary.js';
import { runningImages } from './0017-running-images.js';
import { networkAnalyses } from './0018-network-analyses.js';
import { findingsStorage } from './0019-findings-storage.js';
import { partialFindingIndexes } from './0020-partial-finding-indexes.js';
import type { VigilMigration } from './types.js';
import { continuousMigration } from '../../jobs/migration.js';

/** Every migration, applied in this order (their names' order: the migrator sorts by name). */
export const migrations: readonly VigilMigration[] = [
  core,
  findings,
  findingsAccountSorts,
  findingsAccountLookups,
  findingSummary,
  findingsTrendIndexes,
  findingsGroupIndexes,
  coverageDetail,
  scanSubmissions,
  network,
  findingOrigin,
  sla,
  suppressionProvenance,
  slaSummary,
  runningImages,
  networkAnalyses,
  findingsStorage,
  partialFindingIndexes,
  continuousMigration,
  registryOutbound,
];
