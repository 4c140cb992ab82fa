/**
 * Usage and cost per account per month: host-hours covered, image scans and rescans,
 * priced by the organization's settings (defaults: Inspector's list price), month to date
 * and projected to the month's end.
 */
import type { Db } from '../db/connect.js';
import { scopeSql, type AccountScope } from './scope.js';
import type { Settings } from './settings.js';

/** Hours in a billing month, as cloud price lists count them. */
export const HOURS_PER_MONTH = 730;

/** One account's usage for a month. */
export interface AccountUsage {
  accountId: string;
  month: string;
  hostHours: number;
  imageScans: number;
  imageRescans: number;
  cost: { hosts: number; imageScans: number; imageRescans: number; total: number; currency: 'USD' };
  projected: { hostHours: number; imageScans: number; imageRescans: number; total: number };
}

/** `YYYY-MM` → [start, end) in epoch ms (UTC). */
export function monthBounds(month: string): [number, number] {
  const m = /^(\d{4})-(\d{2})$/.exec(month);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 12) throw new Error(`month must be YYYY-MM; got ${month}`);
  const y = Number(m[1]);
  const mo = Number(m[2]) - 1;
  return [Date.UTC(y, mo, 1), Date.UTC(y, mo + 1, 1)];
}

/** The current month as `YYYY-MM`. */
export function currentMonth(now = Date.now()): string {
  return new Date(now).toISOString().slice(0, 7);
}

const round = (n: number, digits = 4) => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * Usage of every account in the scope for the month. A host counts from the start of each
 * coverage period to its last sighting; hosts still covered (seen within the staleness
 * window) are projected to stay covered to the month's end, and image scans to continue at
 * the month-to-date rate.
 */
export async function usageFor(db: Db, scope: AccountScope, settings: Settings, month: string, now = Date.now()): Promise<AccountUsage[]> {
  const [start, end] = monthBounds(month);
  const until = Math.min(end, now);
  const accounts = await db.kysely.selectFrom('accounts').select('id').where(scopeSql(scope, 'accounts.id')).orderBy('id').execute();
  const periods = await db.kysely
    .selectFrom('host_coverage')
    .select(['account_id', 'resource_id', 'started_at', 'last_seen_at'])
    .where(scopeSql(scope, 'host_coverage.account_id'))
    .where('started_at', '<', end)
    .where('last_seen_at', '>=', start - settings.hostStaleHours * 3600_000)
    .execute();
  const scans = await db.kysely
    .selectFrom('scans')
    .select(['account_id', 'billing'])
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where(scopeSql(scope, 'scans.account_id'))
    .where('created_at', '>=', start)
    .where('created_at', '<', end)
    .where('billing', 'in', ['IMAGE_SCAN', 'IMAGE_RESCAN'])
    .groupBy(['account_id', 'billing'])
    .execute();
  const staleMs = settings.hostStaleHours * 3600_000;
  const hostMs = new Map<string, number>();
  const liveHosts = new Map<string, Set<string>>();
  for (const p of periods) {
    // Hours count to the last sighting (so month-to-date never shrinks); a host seen
    // within the staleness window is still covered and counts in the projection.
    const open = now - p.last_seen_at <= staleMs;
    const to = Math.min(p.last_seen_at, until);
    const from = Math.max(p.started_at, start);
    if (to > from) hostMs.set(p.account_id, (hostMs.get(p.account_id) ?? 0) + (to - from));
    if (open && now < end) {
      const s = liveHosts.get(p.account_id) ?? new Set<string>();
      s.add(p.resource_id);
      liveHosts.set(p.account_id, s);
    }
  }
  const elapsed = Math.max(0, until - start);
  const remaining = Math.max(0, end - Math.max(now, start));
  const fraction = elapsed > 0 ? (end - start) / elapsed : 0;
  const perHostHour = settings.priceHostMonth / HOURS_PER_MONTH;
  return accounts.map(({ id }) => {
    const hostHours = (hostMs.get(id) ?? 0) / 3600_000;
    const imageScans = Number(scans.find((s) => s.account_id === id && s.billing === 'IMAGE_SCAN')?.n ?? 0);
    const imageRescans = Number(scans.find((s) => s.account_id === id && s.billing === 'IMAGE_RESCAN')?.n ?? 0);
    const cost = {
      hosts: round(hostHours * perHostHour),
      imageScans: round(imageScans * settings.priceImageScan),
      imageRescans: round(imageRescans * settings.priceImageRescan),
      total: 0,
      currency: 'USD' as const,
    };
    cost.total = round(cost.hosts + cost.imageScans + cost.imageRescans);
    // Hosts covered now stay covered to the month's end; scans continue at the month-to-date rate.
    const projHostHours = hostHours + ((liveHosts.get(id)?.size ?? 0) * remaining) / 3600_000;
    const projScans = now >= end ? imageScans : imageScans * fraction;
    const projRescans = now >= end ? imageRescans : imageRescans * fraction;
    return {
      accountId: id,
      month,
      hostHours: round(hostHours, 2),
      imageScans,
      imageRescans,
      cost,
      projected: {
        hostHours: round(projHostHours, 2),
        imageScans: round(projScans, 2),
        imageRescans: round(projRescans, 2),
        total: round(projHostHours * perHostHour + projScans * settings.priceImageScan + projRescans * settings.priceImageRescan),
      },
    };
  });
}
