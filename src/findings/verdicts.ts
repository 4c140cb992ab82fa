/**
 * The server's verdict on a resource's open findings after a scan: each finding's status
 * and, when a rule suppresses it, which rule and why. `vigil scan --server` gates and prints
 * on this, so a CI gate honours central triage instead of the raw match.
 */
import type { Db } from '../db/connect.js';

/** One open finding of a resource, as the server now holds it. */
export interface FindingVerdict {
  /** The stored finding's id (`GET /api/v1/findings/:id`). */
  findingId: string;
  vulnerabilityId: string;
  package: { ecosystem: string; name: string; version: string };
  status: 'ACTIVE' | 'SUPPRESSED';
  /** The rule that suppresses it. */
  suppressedBy?: { ruleId: string; name: string; reason: string; justification?: string };
}

/** The verdicts on a resource's open (ACTIVE or SUPPRESSED) findings. */
export async function findingVerdicts(db: Db, resourceId: string): Promise<FindingVerdict[]> {
  const rows = await db.kysely
    .selectFrom('findings')
    .leftJoin('suppression_rules', 'suppression_rules.id', 'findings.suppressed_by')
    .select([
      'findings.id as id',
      'findings.vulnerability_id as vulnerability_id',
      'findings.package_ecosystem as ecosystem',
      'findings.package_name as name',
      'findings.package_version as version',
      'findings.status as status',
      'suppression_rules.id as rule_id',
      'suppression_rules.name as rule_name',
      'suppression_rules.reason as rule_reason',
      'suppression_rules.justification as rule_justification',
    ])
    .where('findings.resource_id', '=', resourceId)
    .where('findings.status', '<>', 'CLOSED')
    .orderBy('findings.id')
    .execute();
  return rows.map((r) => ({
    findingId: r.id,
    vulnerabilityId: r.vulnerability_id,
    package: { ecosystem: r.ecosystem, name: r.name, version: r.version },
    status: r.status === 'SUPPRESSED' ? 'SUPPRESSED' : 'ACTIVE',
    ...(r.status === 'SUPPRESSED' && r.rule_id
      ? { suppressedBy: { ruleId: r.rule_id, name: r.rule_name ?? '', reason: r.rule_reason ?? '', ...(r.rule_justification ? { justification: r.rule_justification } : {}) } }
      : {}),
  }));
}
