import type { Kysely } from 'kysely';
import { dialectTypes, type DialectName, type VigilMigration } from './types.js';

/**
 * Remediation SLAs (src/findings/sla.ts). `sla_breach_announcements` remembers which
 * breaches the sweep has announced (`vigil.finding.sla-breached`), per finding and due date,
 * so each is announced once and a due date moved by a policy or severity change is
 * announced again. The indexes serve the SLA status filter, a bound on first observation per
 * severity, within an account and across the organization.
 */
export const sla: VigilMigration = {
  name: '0013-sla',
  async up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
    const t = dialectTypes(dialect);
    await db.schema
      .createTable('sla_breach_announcements')
      .addColumn('finding_id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('due_at', t.timestamp, (c) => c.notNull())
      .addColumn('announced_at', t.timestamp, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('findings_sev_first').on('findings').columns(['severity_rank', 'first_observed_at']).execute();
    await db.schema.createIndex('findings_acct_sev_first').on('findings').columns(['account_id', 'severity_rank', 'first_observed_at']).execute();
  },
};
