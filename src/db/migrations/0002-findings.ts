import type { Kysely } from 'kysely';
import { dialectTypes, type DialectName, type VigilMigration } from './types.js';

/**
 * Findings with denormalised filter columns, their timeline, and suppression rules.
 * The indexes serve the common searches (an account's ACTIVE findings by score, EPSS,
 * severity or observation date, and lookups by vulnerability, package, resource, image)
 * so a sorted page reads an index range instead of sorting the table.
 */
export const findings: VigilMigration = {
  name: '0002-findings',
  async up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
    const t = dialectTypes(dialect);
    await db.schema
      .createTable('findings')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('resource_id', 'text', (c) => c.notNull())
      .addColumn('resource_type', 'text', (c) => c.notNull())
      .addColumn('resource_name', 'text', (c) => c.notNull())
      .addColumn('finding_key', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('suppressed_by', 'text')
      .addColumn('vulnerability_id', 'text', (c) => c.notNull())
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('package_name', 'text', (c) => c.notNull())
      .addColumn('package_ecosystem', 'text', (c) => c.notNull())
      .addColumn('package_version', 'text', (c) => c.notNull())
      .addColumn('fixed_version', 'text')
      .addColumn('fix_available', 'text', (c) => c.notNull())
      .addColumn('layer', 'text')
      .addColumn('image_registry', 'text')
      .addColumn('image_repository', 'text')
      .addColumn('image_digest', 'text')
      .addColumn('severity', 'text', (c) => c.notNull())
      .addColumn('severity_rank', 'integer', (c) => c.notNull())
      .addColumn('score', t.real, (c) => c.notNull())
      .addColumn('epss', t.real)
      .addColumn('epss_rank', t.real, (c) => c.notNull())
      .addColumn('exploited', 'integer', (c) => c.notNull())
      .addColumn('first_observed_at', t.timestamp, (c) => c.notNull())
      .addColumn('last_observed_at', t.timestamp, (c) => c.notNull())
      .addColumn('updated_at', t.timestamp, (c) => c.notNull())
      .addColumn('closed_at', t.timestamp)
      .addColumn('detail', 'text', (c) => c.notNull())
      .execute();
    const idx = (name: string, columns: string[], unique = false) => {
      const b = db.schema.createIndex(name).on('findings').columns(columns);
      return (unique ? b.unique() : b).execute();
    };
    await idx('findings_key', ['resource_id', 'finding_key'], true);
    await idx('findings_resource_status', ['resource_id', 'status']);
    // Sorted pages within an account (the common case) and across the organization.
    await idx('findings_acct_status_score', ['account_id', 'status', 'score', 'id']);
    await idx('findings_acct_status_sev', ['account_id', 'status', 'severity_rank', 'score', 'id']);
    await idx('findings_acct_status_epss', ['account_id', 'status', 'epss_rank', 'id']);
    await idx('findings_acct_status_first', ['account_id', 'status', 'first_observed_at', 'id']);
    await idx('findings_acct_status_last', ['account_id', 'status', 'last_observed_at', 'id']);
    await idx('findings_status_score', ['status', 'score', 'id']);
    await idx('findings_status_sev', ['status', 'severity_rank', 'score', 'id']);
    await idx('findings_status_epss', ['status', 'epss_rank', 'id']);
    await idx('findings_status_first', ['status', 'first_observed_at', 'id']);
    await idx('findings_status_last', ['status', 'last_observed_at', 'id']);
    await idx('findings_score', ['score', 'id']);
    // Selective lookups.
    await idx('findings_vuln', ['vulnerability_id', 'status']);
    await idx('findings_package', ['package_name', 'status']);
    await idx('findings_image_repo', ['image_repository', 'status']);
    await idx('findings_image_digest', ['image_digest']);
    await idx('findings_layer', ['layer']);
    await idx('findings_updated', ['updated_at']);
    await idx('findings_closed', ['status', 'closed_at']);
    await idx('findings_suppressed_by', ['suppressed_by']);

    await db.schema
      .createTable('finding_events')
      .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
      .addColumn('finding_id', 'text', (c) => c.notNull())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('at', t.timestamp, (c) => c.notNull())
      .addColumn('event', 'text', (c) => c.notNull())
      .addColumn('detail', 'text', (c) => c.notNull().defaultTo('{}'))
      .execute();
    await db.schema.createIndex('finding_events_finding').on('finding_events').columns(['finding_id', 'id']).execute();

    await db.schema
      .createTable('suppression_rules')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text')
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('justification', 'text')
      .addColumn('criteria', 'text', (c) => c.notNull())
      .addColumn('expires_at', t.timestamp)
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', t.timestamp, (c) => c.notNull())
      .addColumn('updated_at', t.timestamp, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('suppression_rules_account').on('suppression_rules').column('account_id').execute();
  },
};
