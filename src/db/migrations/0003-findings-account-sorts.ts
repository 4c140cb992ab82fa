import type { Kysely } from 'kysely';
import type { VigilMigration } from './types.js';

/**
 * Account-scoped sort indexes that do not start with status (searches over every status,
 * or filtered by something else), and account-scoped lookups by vulnerability and package:
 * without them such a page sorted the account's whole set of findings.
 */
export const findingsAccountSorts: VigilMigration = {
  name: '0003-findings-account-sorts',
  async up(db: Kysely<unknown>): Promise<void> {
    const idx = (name: string, columns: string[]) => db.schema.createIndex(name).on('findings').columns(columns).execute();
    await idx('findings_acct_score', ['account_id', 'score', 'id']);
    await idx('findings_acct_sev', ['account_id', 'severity_rank', 'score', 'id']);
    await idx('findings_acct_epss', ['account_id', 'epss_rank', 'id']);
    await idx('findings_acct_first', ['account_id', 'first_observed_at', 'id']);
    await idx('findings_acct_last', ['account_id', 'last_observed_at', 'id']);
    await idx('findings_acct_vuln', ['account_id', 'vulnerability_id']);
    await idx('findings_acct_package', ['account_id', 'package_name']);
  },
};
