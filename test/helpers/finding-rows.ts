/**
 * Stored finding rows for tests that seed the findings table directly (dashboard figures):
 * an ACTIVE npm package finding observed a day before `now`, with the severity rank the store
 * would write; each call a new id, key and vulnerability unless the test names them.
 */
import type { Db } from '../../src/db/connect.js';
import type { FindingsTable } from '../../src/db/schema.js';
import { severityRank } from '../../src/findings/model.js';
import { markSummary } from '../../src/findings/summary.js';

let seq = 0;

export function findingRow(now: number, over: Partial<FindingsTable> & Pick<FindingsTable, 'resource_id' | 'severity'>): FindingsTable {
  seq++;
  return {
    id: `f${seq}`,
    account_id: 'a1',
    resource_type: 'HOST',
    resource_name: over.resource_id,
    finding_key: `k${seq}`,
    type: 'PACKAGE_VULNERABILITY',
    status: 'ACTIVE',
    suppressed_by: null,
    vulnerability_id: `CVE-2026-${seq}`,
    title: 't',
    package_name: 'p',
    package_ecosystem: 'npm',
    package_version: '1',
    fixed_version: null,
    fix_available: 'NO',
    layer: null,
    image_registry: null,
    image_repository: null,
    image_digest: null,
    // As the store writes it: the rank always follows the severity.
    severity_rank: severityRank(over.severity),
    score: 5,
    epss: null,
    epss_rank: -1,
    exploited: 0,
    first_observed_at: now - 86_400_000,
    last_observed_at: now,
    updated_at: now,
    closed_at: null,
    detail: '{}',
    ...over,
  };
}

/** Stores rows as a writer of findings does: inserted, and the summaries they change marked, in one transaction. */
export async function insertFindingRows(db: Db, rows: FindingsTable[]): Promise<void> {
  await db.kysely.transaction().execute(async (trx) => {
    await trx.insertInto('findings').values(rows).execute();
    const active = rows.filter((r) => r.status === 'ACTIVE');
    await markSummary(trx, { resourceIds: active.map((r) => r.resource_id), vulnerabilityIds: active.map((r) => r.vulnerability_id) });
  });
}
