import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { AnyKysely } from '../jobs/kysely.js';
import { log } from '../log.js';
import type { Severity } from '../matching/types.js';
import { eventId } from './cloudevent.js';
import type { EventPublisher } from './publisher.js';
import type { EventsDatabase } from './schema.js';
import type { EventInput, EventResource } from './types.js';

type Db = Kysely<Database & EventsDatabase>;

/** Relay tuning. */
export interface RelayOptions {
  /** How often to look for new rows (ms). Default 1000. */
  pollMs?: number;
  /**
   * Re-read this many finding-event ids below the cursor and this many ms of scans: on
   * PostgreSQL a transaction can commit rows numbered below ones already seen. Re-reading
   * is harmless: event ids are stable, so repeats are dropped. Default 2000 ids / 30 s.
   */
  overlapIds?: number;
  overlapMs?: number;
}

const findingEventType: Record<string, EventInput['type']> = {
  CREATED: 'vigil.finding.created',
  REOPENED: 'vigil.finding.updated',
  UPDATED: 'vigil.finding.updated',
  SUPPRESSED: 'vigil.finding.updated',
  UNSUPPRESSED: 'vigil.finding.updated',
  CLOSED: 'vigil.finding.closed',
};

/** Status a finding has right after a timeline event, and the one before it. */
const transitions: Record<string, { from?: string; to?: string }> = {
  CREATED: { to: 'ACTIVE' },
  REOPENED: { from: 'CLOSED', to: 'ACTIVE' },
  SUPPRESSED: { from: 'ACTIVE', to: 'SUPPRESSED' },
  UNSUPPRESSED: { from: 'SUPPRESSED', to: 'ACTIVE' },
  CLOSED: { to: 'CLOSED' },
};

/**
 * Turns what the findings store commits — finding timeline rows, scan rows, suppression
 * rules — into CloudEvents (an outbox): events are published from durable rows, so a worker
 * killed after its transaction committed loses no event, and one killed before it has
 * nothing to announce. Any number of processes may relay at once.
 */
export class EventRelay {
  private readonly db: Db;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private ticking: Promise<void> | undefined;
  private again = false;
  private readonly overlapIds: number;
  private readonly overlapMs: number;

  constructor(
    db: AnyKysely,
    private readonly publisher: EventPublisher,
    private readonly opts: RelayOptions = {},
  ) {
    this.db = db as Db;
    this.overlapIds = opts.overlapIds ?? 2000;
    this.overlapMs = opts.overlapMs ?? 30_000;
  }

  /** Starts polling. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.timer = setInterval(() => this.wake(), this.opts.pollMs ?? 1000);
    this.timer.unref();
    this.wake();
  }

  /** Stops polling and waits for the current pass. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    await this.ticking;
  }

  /** Looks for new rows now (after a scan or re-evaluation committed). */
  wake(): void {
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.ticking = this.drain()
      .catch((err: unknown) => log.error({ err }, 'event relay failed'))
      .finally(() => {
        this.ticking = undefined;
        if (this.again && this.running) {
          this.again = false;
          this.wake();
        }
      });
  }

  /** Relays everything committed so far (tests and shutdown call it directly). */
  async drain(): Promise<void> {
    while ((await this.findingEvents()) > 0) {
      // keep going while full batches arrive
    }
    while (await this.scans()) {
      // keep going while full batches arrive
    }
    await this.rules();
  }

  private async state(name: string): Promise<string | undefined> {
    const row = await this.db.selectFrom('vigil_relay_state').select('value').where('name', '=', name).executeTakeFirst();
    return row?.value;
  }

  private async saveState(name: string, value: string): Promise<void> {
    await this.db
      .insertInto('vigil_relay_state')
      .values({ name, value })
      .onConflict((oc) => oc.column('name').doUpdateSet({ value }))
      .execute();
  }

  /** Publishes one batch of finding timeline rows; returns how many new rows it advanced over. */
  private async findingEvents(): Promise<number> {
    const cursor = Number((await this.state('finding_events')) ?? 0);
    const rows = await this.db
      .selectFrom('finding_events as fe')
      .innerJoin('findings as f', 'f.id', 'fe.finding_id')
      .innerJoin('resources as r', 'r.id', 'f.resource_id')
      .select([
        'fe.id as seq',
        'fe.finding_id',
        'fe.account_id',
        'fe.at',
        'fe.event',
        'fe.detail',
        'f.status',
        'f.vulnerability_id',
        'f.title',
        'f.package_name',
        'f.package_ecosystem',
        'f.package_version',
        'f.severity',
        'f.score',
        'f.fix_available',
        'f.fixed_version',
        'f.type as finding_type',
        'f.network_protocol',
        'f.port_begin',
        'f.port_end',
        'r.id as resource_id',
        'r.type as resource_type',
        'r.name as resource_name',
        'r.tags as resource_tags',
      ])
      .where('fe.id', '>', Math.max(0, cursor - this.overlapIds))
      .orderBy('fe.id')
      // The overlap holds at most overlapIds rows: room for 1,000 new ones after it, so a
      // full overlap can never keep the cursor from moving.
      .limit(this.overlapIds + 1000)
      .execute();
    const inputs: EventInput[] = [];
    let max = cursor;
    let advanced = 0;
    for (const r of rows) {
      const seq = Number(r.seq);
      if (seq > max) {
        max = seq;
        advanced++;
      }
      const type = findingEventType[r.event];
      if (!type) continue;
      const detail = JSON.parse(r.detail) as { scanId?: string; ruleId?: string; reason?: string; changes?: Record<string, { from: unknown; to: unknown }> };
      const t = transitions[r.event] ?? {};
      const changes = detail.changes ?? {};
      const severity = (changes.severity?.to as Severity | undefined) ?? (r.severity as Severity);
      const score = (changes.score?.to as number | undefined) ?? Number(r.score);
      const data: Record<string, unknown> = {
        findingId: r.finding_id,
        timelineId: seq,
        change: r.event,
        status: t.to ?? r.status,
        vulnerabilityId: r.vulnerability_id,
        title: r.title,
        findingType: r.finding_type,
        // A network finding names its port range instead of a package.
        ...(r.finding_type === 'NETWORK_REACHABILITY'
          ? { networkReachability: { protocol: r.network_protocol, openPortRange: { begin: r.port_begin, end: r.port_end } } }
          : { package: { name: r.package_name, ecosystem: r.package_ecosystem, version: r.package_version } }),
        severity,
        score,
        fixAvailable: (changes.fix_available?.to as string | undefined) ?? r.fix_available,
        ...(r.fixed_version ? { fixedVersion: r.fixed_version } : {}),
        ...(detail.scanId ? { scanId: detail.scanId } : {}),
        ...(detail.ruleId ? { suppressionRuleId: detail.ruleId } : {}),
        ...(detail.reason ? { reason: detail.reason } : {}),
      };
      if (type === 'vigil.finding.updated') {
        data.previous = {
          status: t.from ?? r.status,
          score: (changes.score?.from as number | undefined) ?? score,
          severity: (changes.severity?.from as string | undefined) ?? severity,
          ...(changes.fix_available ? { fixAvailable: changes.fix_available.from } : {}),
        };
      }
      inputs.push({
        type,
        accountId: r.account_id,
        subject: r.finding_id,
        severity,
        resource: resourceOf(r),
        data,
        time: new Date(Number(r.at)),
        // The finding's current fields may move on; the timeline row is the occurrence.
        idKey: { timelineId: seq, findingId: r.finding_id, change: r.event },
      });
    }
    await this.publisher.publish(inputs);
    if (max > cursor) await this.saveState('finding_events', String(max));
    return rows.length === this.overlapIds + 1000 ? advanced : 0;
  }

  /**
   * Publishes `vigil.scan.completed` and coverage changes for new scan rows; returns true
   * when a full batch of new rows was read (there may be more). The overlap (scans of the
   * last overlapMs up to the cursor) is re-read whole and new rows come after it, so a busy
   * overlap — a re-evaluation stores thousands of scans in seconds — cannot hold the cursor.
   */
  private async scans(): Promise<boolean> {
    const cursor = Number((await this.state('scans')) ?? 0);
    const query = () => this.db
      .selectFrom('scans as s')
      .innerJoin('resources as r', 'r.id', 's.resource_id')
      .select([
        's.id',
        's.account_id',
        's.trigger',
        's.status',
        's.billing',
        's.package_count',
        's.finding_count',
        's.created_at',
        's.error',
        'r.id as resource_id',
        'r.type as resource_type',
        'r.name as resource_name',
        'r.tags as resource_tags',
      ])
      .orderBy('s.created_at')
      .orderBy('s.id');
    const overlap = cursor > 0 ? await query().where('s.created_at', '>=', Math.max(0, cursor - this.overlapMs)).where('s.created_at', '<=', cursor).execute() : [];
    const fresh = await query().where('s.created_at', cursor > 0 ? '>' : '>=', cursor).limit(2000).execute();
    const rows = [...overlap, ...fresh];
    let max = cursor;
    const inputs: EventInput[] = [];
    // Rows re-read from the overlap whose event is already published need no more queries.
    const done = await this.publisher.existing(rows.map((s) => eventId({ type: 'vigil.scan.completed', accountId: s.account_id, subject: s.resource_id, data: {}, idKey: { scanId: s.id } })));
    for (const s of rows) {
      max = Math.max(max, Number(s.created_at));
      if (s.status !== 'SCAN_FAILED' && done.has(eventId({ type: 'vigil.scan.completed', accountId: s.account_id, subject: s.resource_id, data: {}, idKey: { scanId: s.id } }))) continue;
      const resource = resourceOf(s);
      const previous = await this.db
        .selectFrom('scans')
        .select(['status'])
        .where('resource_id', '=', s.resource_id)
        .where((eb) => eb.or([eb('created_at', '<', s.created_at), eb.and([eb('created_at', '=', s.created_at), eb('id', '<', s.id)])]))
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      if (s.status !== 'SCAN_FAILED') {
        // Findings open at the scan's time (seen by then, not closed by then), not suppressed now.
        const counts = await this.db
          .selectFrom('findings')
          .select(['severity', (eb) => eb.fn.countAll<number>().as('n')])
          .where('resource_id', '=', s.resource_id)
          .where('first_observed_at', '<=', s.created_at)
          .where((eb) => eb.or([eb('closed_at', 'is', null), eb('closed_at', '>', s.created_at)]))
          .where('status', '<>', 'SUPPRESSED')
          .groupBy('severity')
          .execute();
        const severityCounts: Record<string, number> = { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, INFORMATIONAL: 0, UNTRIAGED: 0 };
        for (const c of counts) severityCounts[c.severity] = Number(c.n);
        const firstScan = !(await this.db
          .selectFrom('scans')
          .select('id')
          .where('resource_id', '=', s.resource_id)
          .where('status', '<>', 'SCAN_FAILED')
          .where((eb) => eb.or([eb('created_at', '<', s.created_at), eb.and([eb('created_at', '=', s.created_at), eb('id', '<', s.id)])]))
          .limit(1)
          .executeTakeFirst());
        const worst = (['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL'] as const).find((sev) => severityCounts[sev] > 0);
        inputs.push({
          type: 'vigil.scan.completed',
          accountId: s.account_id,
          subject: s.resource_id,
          ...(worst ? { severity: worst } : {}),
          resource,
          data: { scanId: s.id, trigger: s.trigger, status: s.status, firstScan, packageCount: s.package_count, findingCount: s.finding_count, severityCounts },
          time: new Date(Number(s.created_at)),
          idKey: { scanId: s.id },
        });
      }
      const before = previous?.status ?? 'PENDING_INITIAL_SCAN';
      if (before !== s.status) {
        inputs.push({
          type: 'vigil.coverage.changed',
          accountId: s.account_id,
          subject: s.resource_id,
          resource,
          data: {
            scanId: s.id,
            status: s.status === 'SUCCESSFUL' ? 'ACTIVE' : 'INACTIVE',
            reason: s.status,
            previous: { status: before === 'SUCCESSFUL' ? 'ACTIVE' : 'INACTIVE', reason: before },
            ...(s.error ? { error: s.error } : {}),
          },
          time: new Date(Number(s.created_at)),
          idKey: { scanId: s.id, reason: s.status },
        });
      }
    }
    await this.publisher.publish(inputs);
    if (max > cursor) await this.saveState('scans', String(max));
    return fresh.length === 2000;
  }

  /** Publishes `vigil.suppression-rule.changed` for rules created, changed or deleted. */
  private async rules(): Promise<void> {
    const known = JSON.parse((await this.state('suppression_rules')) ?? '{}') as Record<string, { updatedAt: number; accountId: string | null; name: string }>;
    const rows = await this.db.selectFrom('suppression_rules').select(['id', 'account_id', 'name', 'reason', 'updated_at', 'expires_at']).execute();
    const now: typeof known = {};
    const inputs: EventInput[] = [];
    for (const r of rows) {
      now[r.id] = { updatedAt: Number(r.updated_at), accountId: r.account_id, name: r.name };
      const prior = known[r.id];
      if (prior && prior.updatedAt === Number(r.updated_at)) continue;
      inputs.push(ruleEvent(r.id, r.account_id, prior ? 'updated' : 'created', { name: r.name, reason: r.reason, updatedAt: Number(r.updated_at), ...(r.expires_at ? { expiresAt: new Date(Number(r.expires_at)).toISOString() } : {}) }));
    }
    for (const [id, prior] of Object.entries(known)) {
      if (!now[id]) inputs.push(ruleEvent(id, prior.accountId, 'deleted', { name: prior.name }));
    }
    if (inputs.length === 0 && Object.keys(known).length === rows.length) return;
    await this.publisher.publish(inputs);
    await this.saveState('suppression_rules', JSON.stringify(now));
  }
}

/** Account id events of organization-wide rules carry (only cross-account subscribers see them). */
export const organizationAccount = 'ORGANIZATION';

function ruleEvent(id: string, accountId: string | null, action: 'created' | 'updated' | 'deleted', data: Record<string, unknown>): EventInput {
  return { type: 'vigil.suppression-rule.changed', accountId: accountId ?? organizationAccount, subject: id, data: { ruleId: id, action, ...data } };
}

function resourceOf(r: { resource_id: string; resource_type: string; resource_name: string; resource_tags: string }): EventResource {
  return { id: r.resource_id, type: r.resource_type, name: r.resource_name, tags: JSON.parse(r.resource_tags) as Record<string, string> };
}
