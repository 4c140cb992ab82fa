/**
 * Migration 0020 keeps six findings indexes for rows with a value in their column only. A
 * planner may read such an index only for a statement whose conditions prove the column not
 * null; SQLite refuses a statement naming an index (`INDEXED BY`) it may not read ("no query
 * solution"). So each statement the store runs for a filter, grouping or rule on those
 * columns is planned again naming the index: it fails for a statement that would now read the
 * whole table where it read the index before.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompiledQuery, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/db/connect.js';
import { PARTIAL_INDEXES } from '../../src/db/migrations/0020-partial-finding-indexes.js';
import { aggregateFindings } from '../../src/findings/aggregate.js';
import type { FilterCriteria } from '../../src/findings/criteria.js';
import { searchFindings } from '../../src/findings/search.js';
import { createRule, deleteRule } from '../../src/findings/suppression.js';
import { createAccount } from '../../src/server/accounts.js';
import { statementRecorder, type StatementRecorder } from '../../scripts/statement-recorder.js';

type IndexName = (typeof PARTIAL_INDEXES)[number][0];

const eq = (value: string) => ({ comparison: 'EQUALS' as const, value });
const prefix = (value: string) => ({ comparison: 'PREFIX' as const, value });

describe('partial findings indexes (migration 0020)', () => {
  let dir: string;
  let db: Db;
  let account: string;
  let traced: Db;
  let record: StatementRecorder['record'];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-partial-'));
    db = await openDatabase(join(dir, 'vigil.db'));
    account = (await createAccount(db, 'acct-a')).id;
    ({ traced, record } = statementRecorder(db));
  });
  afterAll(async () => {
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The statements reading `findings` that `run` sends, each planned naming `index`. */
  async function plannedWith(index: IndexName, run: () => Promise<unknown>): Promise<string[]> {
    const reads = (await record(run)).filter((q) => /^\s*select/i.test(q.sql) && /from "?findings"?\s/i.test(q.sql));
    expect(reads.length).toBeGreaterThan(0);
    const plans: string[] = [];
    for (const q of reads) {
      const forced = q.sql.replace(/from "?findings"?\s/i, `from findings INDEXED BY "${index}" `);
      const rows = await db.kysely.executeQuery<{ detail: string }>(CompiledQuery.raw(`EXPLAIN QUERY PLAN ${forced}`, [...q.parameters]));
      plans.push(rows.rows.map((r) => r.detail).join('; '));
    }
    return plans;
  }

  const search = (scope: 'ALL' | 'ACCOUNT', criteria: FilterCriteria) => () => searchFindings(traced, scope === 'ALL' ? 'ALL' : [account], { criteria, limit: 10 });

  it('are partial: each holds only rows with a value in its column', async () => {
    const rows = await sql<{ name: string; sql: string }>`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'findings'`.execute(db.kysely);
    for (const [name, , column] of PARTIAL_INDEXES) {
      expect(rows.rows.find((r) => r.name === name)?.sql).toMatch(new RegExp(`where "${column}" is not null$`, 'i'));
    }
  });

  it.each([
    ['findings_image_repo', 'organization, one image repository', search('ALL', { imageRepository: [eq('team/app')] })],
    ['findings_image_repo', 'organization, two image repositories', search('ALL', { imageRepository: [eq('team/app'), eq('team/api')] })],
    ['findings_image_repo', 'organization, image repository prefix', search('ALL', { imageRepository: [prefix('team/')] })],
    ['findings_acct_image_repo_sev', 'account, one image repository', search('ACCOUNT', { imageRepository: [eq('team/app')] })],
    ['findings_image_digest', 'an image digest', search('ALL', { imageDigest: [eq('sha256:aa')] })],
    ['findings_layer_groups', 'a layer', search('ALL', { layer: [eq('sha256:bb')] })],
    ['findings_account_origin', 'account, base image findings', search('ACCOUNT', { origin: [eq('BASE_IMAGE')] })],
  ] as const)('%s serves a search for %s', async (index, _label, run) => {
    for (const plan of await plannedWith(index, run)) expect(plan).toContain(index);
  });

  it('findings_layer_groups serves the grouping by layer', async () => {
    const plans = await plannedWith('findings_layer_groups', () => aggregateFindings(traced, 'ALL', { type: 'IMAGE_LAYER', criteria: {}, limit: 10 }));
    for (const plan of plans) expect(plan).toContain('findings_layer_groups');
  });

  it("findings_suppressed_by serves releasing a deleted rule's findings", async () => {
    const { rule } = await createRule(db, { accountId: account, name: 'r', reason: 'test', createdBy: 'test', criteria: { vulnerabilityId: [eq('CVE-1')] } });
    const plans = await plannedWith('findings_suppressed_by', async () => {
      const row = await traced.kysely.selectFrom('suppression_rules').selectAll().where('id', '=', rule.id).executeTakeFirstOrThrow();
      await deleteRule(traced, row);
    });
    expect(plans.some((p) => p.includes('findings_suppressed_by'))).toBe(true);
  });
});
