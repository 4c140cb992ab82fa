/**
 * The SLA breach sweep: finds ACTIVE findings whose due date has passed and that have not
 * been announced for that due date, publishes `vigil.finding.sla-breached` for each, and
 * remembers them. Suppressed findings are accepted risk and closed ones are done: neither
 * is announced. Run periodically by the `sla-sweep` job.
 */
import { sql, type SqlBool } from 'kysely';
import type { Db } from '../db/connect.js';
import type { EventInput } from '../events/types.js';
import type { Severity } from '../matching/types.js';
import { iso } from './model.js';
import { findingSla, slaStatusSql, type SlaClock } from './sla.js';

/** Findings handled per batch: one query, one publish, one insert. */
const BATCH = 500;

/** Publishes events; the sweep needs only this of the publisher. */
export interface BreachPublisher {
  publish(events: readonly EventInput[]): Promise<unknown>;
}

/** Announces every unannounced breach; returns how many were announced. */
export async function sweepSlaBreaches(db: Db, publisher: BreachPublisher, clock: SlaClock, signal?: AbortSignal): Promise<number> {
  // Forget announcements of findings since deleted (retention), so the table stays small.
  await db.kysely
    .deleteFrom('sla_breach_announcements')
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('findings').select('findings.id').whereRef('findings.id', '=', 'sla_breach_announcements.finding_id'))))
    .execute();
  let announced = 0;
  let after = '';
  for (;;) {
    signal?.throwIfAborted();
    // Keyset by id over breached ACTIVE findings; those announced for their current due date are skipped below.
    const rows = await db.kysely
      .selectFrom('findings')
      .leftJoin('sla_breach_announcements as a', 'a.finding_id', 'findings.id')
      .select(['findings.id', 'findings.account_id', 'findings.severity', 'findings.first_observed_at', 'findings.closed_at', 'findings.vulnerability_id', 'findings.title', 'findings.score',
        'findings.package_name', 'findings.package_version', 'findings.resource_id', 'findings.resource_type', 'findings.resource_name', 'a.due_at as announced_due'])
      .where('findings.status', '=', 'ACTIVE')
      .where(slaStatusSql(['BREACHED'], clock))
      .where('findings.id', '>', after)
      .orderBy('findings.id')
      .limit(BATCH)
      .execute();
    if (rows.length === 0) break;
    after = rows[rows.length - 1].id;
    const fresh = rows
      .map((r) => ({ r, sla: findingSla({ accountId: r.account_id, severity: r.severity, firstObservedAt: Number(r.first_observed_at), closedAt: null }, clock)! }))
      .filter(({ r, sla }) => r.announced_due === null || Number(r.announced_due) !== sla.dueAt);
    if (fresh.length === 0) continue;
    await publisher.publish(
      fresh.map(({ r, sla }) => ({
        type: 'vigil.finding.sla-breached',
        accountId: r.account_id,
        subject: r.id,
        severity: r.severity as Severity,
        resource: { id: r.resource_id, type: r.resource_type, name: r.resource_name },
        data: {
          findingId: r.id,
          vulnerabilityId: r.vulnerability_id,
          title: r.title,
          severity: r.severity,
          score: Number(r.score),
          package: { name: r.package_name, version: r.package_version },
          firstObservedAt: iso(Number(r.first_observed_at)),
          dueAt: iso(sla.dueAt),
        },
      })),
    );
    const now = clock.now;
    for (const { r, sla } of fresh) {
      await db.kysely
        .insertInto('sla_breach_announcements')
        .values({ finding_id: r.id, account_id: r.account_id, due_at: sla.dueAt, announced_at: now })
        .onConflict((oc) => oc.column('finding_id').doUpdateSet({ due_at: sla.dueAt, announced_at: now }))
        .execute();
    }
    announced += fresh.length;
  }
  return announced;
}

/** True when the finding's breach (at this due date) was announced. */
export async function breachAnnounced(db: Db, findingId: string, dueAt: number): Promise<boolean> {
  const row = await db.kysely.selectFrom('sla_breach_announcements').select('due_at').where('finding_id', '=', findingId).where(sql<SqlBool>`due_at = ${dueAt}`).executeTakeFirst();
  return row !== undefined;
}
