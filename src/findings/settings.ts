/**
 * Organization settings stored in the database: prices for usage, retention of closed
 * findings, coverage thresholds. Defaults apply until an administrator changes them.
 */
import { z } from 'zod';
import type { Db } from '../db/connect.js';

/** Highest price (USD) a setting takes: far above any real price, far below what breaks sums. */
const MAX_PRICE = 10_000;

/** The settings, their bounds (a tag key is at most 128 characters, as on resources) and their defaults. */
export const settingsSchema = z
  .object({
    /** USD per host covered for a whole month (Inspector's list price). */
    priceHostMonth: z.number().min(0).max(MAX_PRICE).default(1.25),
    /** USD per initial container image scan. */
    priceImageScan: z.number().min(0).max(MAX_PRICE).default(0.09),
    /** USD per container image rescan. */
    priceImageRescan: z.number().min(0).max(MAX_PRICE).default(0.01),
    /** Days a CLOSED finding is kept before it is deleted. */
    closedRetentionDays: z.number().int().min(1).max(3650).default(30),
    /** Hours after its last scan a host's inventory is stale. */
    hostStaleHours: z.number().int().min(1).max(24 * 3650).default(7 * 24),
    /** Days after its last scan a container image is no longer eligible for rescans. */
    imageEligibilityDays: z.number().int().min(1).max(3650).default(90),
    /** A resource tag key that, with value `true`, excludes the resource from scanning. */
    excludeTag: z.string().min(1).max(128).default('vigil:exclude'),
  })
  .strict();

/** Organization settings. */
export type Settings = z.output<typeof settingsSchema>;

const KEY = 'organization';

/** Reads the settings, defaults filled in. */
export async function getSettings(db: Db): Promise<Settings> {
  const row = await db.kysely.selectFrom('settings').select('value').where('key', '=', KEY).executeTakeFirst();
  return settingsSchema.parse(row ? JSON.parse(row.value) : {});
}

/** Changes some settings; returns the result. */
export async function updateSettings(db: Db, changes: Partial<Settings>): Promise<Settings> {
  const next = settingsSchema.parse({ ...(await getSettings(db)), ...changes });
  const value = JSON.stringify(next);
  await db.kysely
    .insertInto('settings')
    .values({ key: KEY, value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
    .execute();
  return next;
}

/** Reads a raw named value (organization name, bootstrap marker). */
export async function getValue(db: Db, key: string): Promise<string | undefined> {
  const row = await db.kysely.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
  return row?.value;
}
