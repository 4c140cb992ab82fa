import type { AnyKysely } from '../jobs/kysely.js';
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { MAX_GLOB_LENGTH } from '../glob.js';
import type { RegistryOptions } from '../inventory/sources/registry.js';
import { log } from '../log.js';
import { registryPolicy, type OutboundSettings } from '../net/settings.js';
import { RegistryClient, RegistryRequestError } from './client.js';
import { imageManifestTypes, parseNotification } from './notifications.js';
import { repositoryWanted } from './patterns.js';
import type { RegistriesDatabase, RegistriesTable } from './schema.js';
import type { SecretBox } from './secret-box.js';
import { withinWindow, type RescanWindow } from './window.js';

const repositoryPattern = z.string().min(1).max(MAX_GLOB_LENGTH, `a repository pattern has at most ${MAX_GLOB_LENGTH} characters`);

/** The body of `POST /api/v1/registries`. */
export const registryInput = z
  .object({
    name: z.string().min(1).max(200).optional(),
    url: z
      .string()
      .max(2048)
      .refine((u) => /^https?:\/\/[^/]+/.test(u), 'url must be http(s)://host[:port]'),
    credentials: z.object({ username: z.string().min(1).max(500), password: z.string().max(10_000) }).optional(),
    modes: z.array(z.enum(['ON_PUSH', 'SCHEDULED_SYNC'])).min(1).max(2).default(['ON_PUSH']),
    repositories: z
      .object({ include: z.array(repositoryPattern).max(200).default([]), exclude: z.array(repositoryPattern).max(200).default([]) })
      .default({ include: [], exclude: [] }),
    rescanWindow: z
      .discriminatedUnion('kind', [
        z.object({ kind: z.literal('LIFETIME') }),
        z.object({ kind: z.literal('DAYS_SINCE_PUSH'), days: z.number().int().min(1).max(3650) }),
        z.object({ kind: z.literal('DAYS_SINCE_PULL'), days: z.number().int().min(1).max(3650) }),
      ])
      .default({ kind: 'LIFETIME' }),
    syncEveryMinutes: z.number().int().min(1).max(10_080).default(60),
    /** Resource tags given to this registry's images (subscription filters can use them). */
    resourceTags: z.record(z.string(), z.string()).default({}),
    /** Reach the registry on loopback and private addresses; only the delegated administrator may set it. */
    allowPrivateNetwork: z.boolean().default(false),
    /** Other hosts its redirects and token realm may name (`host` or `*.domain`), e.g. a storage backend. */
    trustedHosts: z
      .array(
        z
          .string()
          .max(253)
          .regex(/^(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*$/i, 'a host name, or *.domain'),
      )
      .max(20)
      .default([]),
  })
  .strict();

/** Parsed registry input. */
export type RegistryInput = z.infer<typeof registryInput>;

/** A registry as the API shows it (no secrets). */
export interface Registry {
  id: string;
  accountId: string;
  name: string;
  url: string;
  username?: string;
  hasPassword: boolean;
  modes: ('ON_PUSH' | 'SCHEDULED_SYNC')[];
  repositories: { include: string[]; exclude: string[] };
  rescanWindow: RescanWindow;
  syncEveryMinutes: number;
  resourceTags: Record<string, string>;
  allowPrivateNetwork: boolean;
  trustedHosts: string[];
  /** The stored password no longer decrypts with the server key: set the credentials again. */
  credentialsUnreadable?: boolean;
  createdAt: string;
  lastSyncAt?: string;
  lastSyncError?: string;
}

/** What a scan job needs to pull and record one image. */
export interface ImageScanRequest {
  accountId: string;
  registryId: string;
  /** Registry host as image references name it (`127.0.0.1:5000`). */
  registry: string;
  repository: string;
  digest: string;
  tags: string[];
  /** `host/repository@digest`. */
  reference: string;
  resourceTags: Record<string, string>;
  /** Plain-HTTP registry (configured with an `http://` URL). */
  insecure: boolean;
}

/** Queues one scan; returns the job id (null when the queue already holds it). */
export type ScheduleScan = (req: ImageScanRequest) => Promise<string | null>;

/** An image that left or re-entered its rescan window. */
export interface WindowChange {
  accountId: string;
  registryId: string;
  repository: string;
  digest: string;
  reference: string;
  eligible: boolean;
}

/** The error for a notification with a wrong or missing token. */
export class HookAuthError extends Error {}

/** A registry's stored password no longer decrypts (the server key changed). */
export class CredentialsUnreadableError extends Error {
  constructor(registryId: string) {
    super(`the stored credentials of registry ${registryId} cannot be decrypted with the server key; set them again (PUT /api/v1/registries/${registryId}/credentials)`);
    this.name = 'CredentialsUnreadableError';
  }
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Registries: configuration, push notifications, catalog sync and rescan windows. Each
 * new (repository, manifest digest) is recorded once and scheduled for one scan, whether it
 * arrived by a push notification or was found by a sync.
 */
export class RegistryService {
  private readonly db: Kysely<RegistriesDatabase>;

  constructor(
    db: AnyKysely,
    private readonly box: SecretBox,
    private readonly scheduleScan: ScheduleScan,
    /** The operator's outbound settings (allowed address ranges). */
    private readonly outbound: Pick<OutboundSettings, 'allowed'> = {},
  ) {
    this.db = db as unknown as Kysely<RegistriesDatabase>;
  }

  /** Stores a registry; the notification token is returned only here. */
  async create(accountId: string, input: RegistryInput): Promise<{ registry: Registry; notificationToken: string }> {
    const token = `vrt_${randomBytes(24).toString('base64url')}`;
    const url = new URL(input.url);
    const row: RegistriesTable = {
      id: `reg_${randomUUID()}`,
      account_id: accountId,
      name: input.name ?? url.host,
      url: url.origin,
      username: input.credentials?.username ?? null,
      password_sealed: input.credentials ? this.box.seal(input.credentials.password) : null,
      modes: JSON.stringify(input.modes),
      include_patterns: JSON.stringify(input.repositories.include),
      exclude_patterns: JSON.stringify(input.repositories.exclude),
      rescan_window: input.rescanWindow.kind,
      rescan_days: input.rescanWindow.kind === 'LIFETIME' ? null : input.rescanWindow.days,
      sync_every_minutes: input.syncEveryMinutes,
      hook_token_hash: hashToken(token),
      resource_tags: JSON.stringify(input.resourceTags),
      allow_private_network: input.allowPrivateNetwork ? 1 : 0,
      trusted_hosts: JSON.stringify(input.trustedHosts),
      created_at: Date.now(),
      last_sync_at: null,
      last_sync_error: null,
    };
    await this.db.insertInto('registries').values(row).execute();
    return { registry: toRegistry(row), notificationToken: token };
  }

  /** Registries of one account, or all (`accountId` undefined). */
  async list(accountId?: string): Promise<Registry[]> {
    let q = this.db.selectFrom('registries').selectAll().orderBy('created_at');
    if (accountId !== undefined) q = q.where('account_id', '=', accountId);
    return (await q.execute()).map((r) => this.shown(r));
  }

  /** One registry, scoped to an account unless `accountId` is undefined. */
  async get(id: string, accountId?: string): Promise<Registry | undefined> {
    const row = await this.row(id, accountId);
    return row ? this.shown(row) : undefined;
  }

  /** Replaces a registry's credentials (e.g. after the server key changed); false when not found. */
  async setCredentials(id: string, accountId: string | undefined, credentials: { username: string; password: string } | null): Promise<boolean> {
    if (!(await this.row(id, accountId))) return false;
    await this.db
      .updateTable('registries')
      .set({ username: credentials?.username ?? null, password_sealed: credentials ? this.box.seal(credentials.password) : null })
      .where('id', '=', id)
      .execute();
    return true;
  }

  /** Ids of registries whose stored password the server key no longer opens. */
  async unreadableCredentials(): Promise<string[]> {
    const rows = await this.db.selectFrom('registries').select(['id', 'password_sealed']).where('password_sealed', 'is not', null).execute();
    return rows.filter((r) => !this.opens(r.password_sealed)).map((r) => r.id);
  }

  /**
   * How the server pulls from a registry it watches: its stored credentials, only for its
   * host; its address policy; plain http when its URL is http. Undefined when it is gone.
   */
  async pullOptions(registryId: string): Promise<RegistryOptions | undefined> {
    const reg = await this.row(registryId);
    return reg ? this.optionsOf(reg) : undefined;
  }

  /**
   * How the server pulls an image an account names by host (`POST /api/v1/scans {image}`):
   * as the account's own registry on that host when it has one, else anonymously over https
   * under the server-wide policy. Never another account's registry, never ambient credentials.
   */
  async pullOptionsFor(accountId: string, host: string): Promise<RegistryOptions> {
    const rows = await this.db.selectFrom('registries').selectAll().where('account_id', '=', accountId).orderBy('created_at').execute();
    const reg = rows.find((r) => new URL(r.url).host.toLowerCase() === host.toLowerCase());
    return reg ? this.optionsOf(reg) : { outbound: { policy: registryPolicy(this.outbound, false) } };
  }

  private optionsOf(reg: RegistriesTable): RegistryOptions {
    const creds = this.credentials(reg);
    return {
      insecure: new URL(reg.url).protocol === 'http:',
      ...(creds ? { credentials: creds } : {}),
      outbound: { policy: registryPolicy(this.outbound, reg.allow_private_network === 1), trustedHosts: JSON.parse(reg.trusted_hosts) as string[] },
    };
  }

  /** Deletes a registry and what was seen in it; false when not found. */
  async delete(id: string, accountId?: string): Promise<boolean> {
    if (!(await this.row(id, accountId))) return false;
    await this.db.deleteFrom('registry_images').where('registry_id', '=', id).execute();
    await this.db.deleteFrom('registries').where('id', '=', id).execute();
    return true;
  }

  /** Registries that want scheduled syncs, with their interval. */
  async syncSchedules(): Promise<{ id: string; everyMinutes: number }[]> {
    const rows = await this.db.selectFrom('registries').select(['id', 'modes', 'sync_every_minutes']).execute();
    return rows.filter((r) => (JSON.parse(r.modes) as string[]).includes('SCHEDULED_SYNC')).map((r) => ({ id: r.id, everyMinutes: r.sync_every_minutes }));
  }

  /** Registries whose scheduled sync is due. */
  async dueForSync(now = Date.now()): Promise<string[]> {
    const rows = await this.db.selectFrom('registries').select(['id', 'modes', 'sync_every_minutes', 'last_sync_at']).execute();
    return rows
      .filter((r) => (JSON.parse(r.modes) as string[]).includes('SCHEDULED_SYNC'))
      .filter((r) => r.last_sync_at === null || now - Number(r.last_sync_at) >= r.sync_every_minutes * 60_000)
      .map((r) => r.id);
  }

  /**
   * Handles one notification body for a registry: checks the token (from
   * `Authorization: Bearer …`), records pushes of new digests and schedules their scans,
   * records pulls. Throws HookAuthError for a bad token.
   */
  async handleNotification(registryId: string, authorization: string | undefined, body: unknown): Promise<{ scheduled: number; known: number; pulls: number; skipped: number }> {
    const reg = await this.row(registryId);
    const token = /^Bearer\s+(.+)$/i.exec(authorization ?? '')?.[1]?.trim();
    // Compare hashes so an unknown registry and a wrong token take the same path.
    const expected = Buffer.from(reg?.hook_token_hash ?? hashToken(randomUUID()), 'hex');
    const given = Buffer.from(hashToken(token ?? ''), 'hex');
    if (!reg || !token || !timingSafeEqual(expected, given)) throw new HookAuthError('registry notification token missing or wrong');
    const parsed = parseNotification(body);
    const modes = JSON.parse(reg.modes) as string[];
    let scheduled = 0;
    let known = 0;
    let pulls = 0;
    for (const a of parsed.actions) {
      if (!repositoryWanted(a.repository, JSON.parse(reg.include_patterns) as string[], JSON.parse(reg.exclude_patterns) as string[])) continue;
      if (a.action === 'pull') {
        pulls++;
        const at = a.at.getTime();
        // Registries deliver notifications late and out of order: a pull time only moves forward.
        await this.db
          .updateTable('registry_images')
          .set({ last_pulled_at: at })
          .where('registry_id', '=', reg.id)
          .where('repository', '=', a.repository)
          .where('digest', '=', a.digest)
          .where((eb) => eb.or([eb('last_pulled_at', 'is', null), eb('last_pulled_at', '<', at)]))
          .execute();
        continue;
      }
      if (!modes.includes('ON_PUSH')) continue;
      const isNew = await this.record(reg, a.repository, a.digest, a.mediaType, a.tag ? [a.tag] : [], a.at.getTime());
      if (isNew) scheduled++;
      else known++;
    }
    return { scheduled, known, pulls, skipped: parsed.skipped.length };
  }

  /**
   * Walks `/v2/_catalog` and each wanted repository's tags, resolving each tag to its
   * manifest digest (HEAD requests only); new digests are recorded and scheduled.
   */
  async sync(registryId: string, signal?: AbortSignal): Promise<{ repositories: number; tags: number; scheduled: number }> {
    const reg = await this.row(registryId);
    if (!reg) throw new Error(`registry ${registryId} does not exist`);
    let repositories = 0;
    let tagCount = 0;
    let scheduled = 0;
    try {
      const client = new RegistryClient(reg.url, this.credentials(reg) ?? {}, {
        policy: registryPolicy(this.outbound, reg.allow_private_network === 1),
        trustedHosts: JSON.parse(reg.trusted_hosts) as string[],
        signal,
      });
      const include = JSON.parse(reg.include_patterns) as string[];
      const exclude = JSON.parse(reg.exclude_patterns) as string[];
      for await (const repo of client.repositories()) {
        signal?.throwIfAborted();
        if (!repositoryWanted(repo, include, exclude)) continue;
        repositories++;
        const byDigest = new Map<string, { mediaType: string; tags: string[] }>();
        for (const tag of await client.tags(repo)) {
          tagCount++;
          const m = await client.resolve(repo, tag);
          if (!m || !imageManifestTypes.includes(m.mediaType)) continue;
          const entry = byDigest.get(m.digest) ?? { mediaType: m.mediaType, tags: [] };
          entry.tags.push(tag);
          byDigest.set(m.digest, entry);
        }
        for (const [digest, e] of byDigest) if (await this.record(reg, repo, digest, e.mediaType, e.tags, Date.now())) scheduled++;
      }
      await this.db.updateTable('registries').set({ last_sync_at: Date.now(), last_sync_error: null }).where('id', '=', reg.id).execute();
    } catch (err) {
      // Viewers read this: only messages written for them, never internals.
      const message = err instanceof RegistryRequestError || err instanceof CredentialsUnreadableError ? err.message : 'sync failed (see the server log)';
      log.warn({ registry: reg.id, err }, 'registry sync failed');
      await this.db.updateTable('registries').set({ last_sync_at: Date.now(), last_sync_error: message }).where('id', '=', reg.id).execute();
      throw err;
    }
    return { repositories, tags: tagCount, scheduled };
  }

  /**
   * Re-checks every image against its registry's rescan window; returns the images whose
   * eligibility changed (expired, or back after a pull), having recorded the change.
   */
  async sweepWindows(now = Date.now()): Promise<WindowChange[]> {
    const regs = await this.db.selectFrom('registries').selectAll().execute();
    const changes: WindowChange[] = [];
    for (const reg of regs) {
      const window = windowOf(reg);
      if (window.kind === 'LIFETIME') continue;
      const images = await this.db.selectFrom('registry_images').selectAll().where('registry_id', '=', reg.id).execute();
      for (const img of images) {
        const eligible = withinWindow(window, { pushedAt: Number(img.pushed_at), lastPulledAt: img.last_pulled_at === null ? null : Number(img.last_pulled_at) }, now);
        const wasEligible = img.expired_at === null;
        if (eligible === wasEligible) continue;
        await this.db
          .updateTable('registry_images')
          .set({ expired_at: eligible ? null : now })
          .where('registry_id', '=', reg.id)
          .where('repository', '=', img.repository)
          .where('digest', '=', img.digest)
          .execute();
        changes.push({ accountId: reg.account_id, registryId: reg.id, repository: img.repository, digest: img.digest, reference: `${hostOf(reg.url)}/${img.repository}@${img.digest}`, eligible });
      }
    }
    return changes;
  }

  /** True when the image (by reference `host/repo@digest`) is outside its registry's window; unknown images are eligible. */
  async isExpired(registryId: string, repository: string, digest: string): Promise<boolean> {
    const img = await this.db
      .selectFrom('registry_images')
      .select('expired_at')
      .where('registry_id', '=', registryId)
      .where('repository', '=', repository)
      .where('digest', '=', digest)
      .executeTakeFirst();
    return img?.expired_at != null;
  }

  /** The scan request for an image already recorded (used by rescans and tests). */
  async scanRequest(registryId: string, repository: string, digest: string): Promise<ImageScanRequest | undefined> {
    const reg = await this.row(registryId);
    const img = await this.db
      .selectFrom('registry_images')
      .selectAll()
      .where('registry_id', '=', registryId)
      .where('repository', '=', repository)
      .where('digest', '=', digest)
      .executeTakeFirst();
    if (!reg || !img) return undefined;
    return this.request(reg, repository, digest, JSON.parse(img.tags) as string[]);
  }

  /** Records an image; schedules a scan and returns true only when the digest is new. */
  private async record(reg: RegistriesTable, repository: string, digest: string, mediaType: string, tags: string[], at: number): Promise<boolean> {
    const inserted = await this.db
      .insertInto('registry_images')
      .values({ registry_id: reg.id, repository, digest, media_type: mediaType, tags: JSON.stringify(tags), pushed_at: at, last_pulled_at: null, scan_job_id: null, expired_at: null })
      .onConflict((oc) => oc.columns(['registry_id', 'repository', 'digest']).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) {
      // A known digest under another tag: remember the tag, no new scan.
      const existing = await this.db
        .selectFrom('registry_images')
        .select('tags')
        .where('registry_id', '=', reg.id)
        .where('repository', '=', repository)
        .where('digest', '=', digest)
        .executeTakeFirst();
      const had = existing ? (JSON.parse(existing.tags) as string[]) : [];
      const all = [...new Set([...had, ...tags])];
      if (all.length !== had.length) {
        await this.db
          .updateTable('registry_images')
          .set({ tags: JSON.stringify(all.sort()) })
          .where('registry_id', '=', reg.id)
          .where('repository', '=', repository)
          .where('digest', '=', digest)
          .execute();
      }
      return false;
    }
    const jobId = await this.scheduleScan(this.request(reg, repository, digest, tags));
    await this.db
      .updateTable('registry_images')
      .set({ scan_job_id: jobId })
      .where('registry_id', '=', reg.id)
      .where('repository', '=', repository)
      .where('digest', '=', digest)
      .execute();
    log.info({ registry: reg.id, repository, digest, job: jobId }, 'registry image scheduled for scan');
    return true;
  }

  private request(reg: RegistriesTable, repository: string, digest: string, tags: string[]): ImageScanRequest {
    const url = new URL(reg.url);
    // No credentials in the job: the scan reads them from the registry when it runs.
    return {
      accountId: reg.account_id,
      registryId: reg.id,
      registry: url.host,
      repository,
      digest,
      tags,
      reference: `${url.host}/${repository}@${digest}`,
      resourceTags: JSON.parse(reg.resource_tags) as Record<string, string>,
      insecure: url.protocol === 'http:',
    };
  }

  private opens(sealed: string | null): boolean {
    if (sealed === null) return true;
    try {
      this.box.open(sealed);
      return true;
    } catch {
      return false;
    }
  }

  private credentials(reg: RegistriesTable): { username: string; password: string } | undefined {
    if (reg.username === null) return undefined;
    if (!this.opens(reg.password_sealed)) throw new CredentialsUnreadableError(reg.id);
    return { username: reg.username, password: reg.password_sealed ? this.box.open(reg.password_sealed) : '' };
  }

  /** The API shape, saying when the credentials must be set again. */
  private shown(row: RegistriesTable): Registry {
    const reg = toRegistry(row);
    return this.opens(row.password_sealed) ? reg : { ...reg, credentialsUnreadable: true };
  }

  private async row(id: string, accountId?: string): Promise<RegistriesTable | undefined> {
    let q = this.db.selectFrom('registries').selectAll().where('id', '=', id);
    if (accountId !== undefined) q = q.where('account_id', '=', accountId);
    return q.executeTakeFirst();
  }
}

function hostOf(url: string): string {
  return new URL(url).host;
}

function windowOf(row: RegistriesTable): RescanWindow {
  if (row.rescan_window === 'LIFETIME' || row.rescan_days === null) return { kind: 'LIFETIME' };
  return { kind: row.rescan_window as 'DAYS_SINCE_PUSH' | 'DAYS_SINCE_PULL', days: row.rescan_days };
}

function toRegistry(row: RegistriesTable): Registry {
  return {
    id: row.id,
    accountId: row.account_id,
    name: row.name,
    url: row.url,
    ...(row.username !== null ? { username: row.username } : {}),
    hasPassword: row.password_sealed !== null,
    modes: JSON.parse(row.modes) as Registry['modes'],
    repositories: { include: JSON.parse(row.include_patterns) as string[], exclude: JSON.parse(row.exclude_patterns) as string[] },
    rescanWindow: windowOf(row),
    syncEveryMinutes: row.sync_every_minutes,
    resourceTags: JSON.parse(row.resource_tags) as Record<string, string>,
    allowPrivateNetwork: row.allow_private_network === 1,
    trustedHosts: JSON.parse(row.trusted_hosts) as string[],
    createdAt: new Date(Number(row.created_at)).toISOString(),
    ...(row.last_sync_at !== null ? { lastSyncAt: new Date(Number(row.last_sync_at)).toISOString() } : {}),
    ...(row.last_sync_error !== null ? { lastSyncError: row.last_sync_error } : {}),
  };
}
