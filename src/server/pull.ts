/** The server's image puller: registry references only, under the outbound policy. */
import { scanTarget } from '../inventory/index.js';
import type { Inventory } from '../inventory/types.js';
import { parseImageReference, type RegistryOptions } from '../inventory/sources/registry.js';
import type { Kysely } from 'kysely';
import { withDeadline } from '../net/deadline.js';
import { outboundSettings, registryPolicy, type OutboundSettings } from '../net/settings.js';
import type { RegistriesDatabase } from '../registries/schema.js';
import { continuousFor } from '../jobs/attach.js';
import type { ImagePuller, Router } from './router.js';

/**
 * How an account reaches the registry host it named: its own registry's configuration when
 * it watches one on that host, else undefined (anonymous, https, server-wide policy).
 */
export type RegistryLookup = (accountId: string, host: string) => Promise<RegistryOptions | undefined>;

/**
 * Pulls only registry images: a scanner key must not make the server read its own files
 * (`dir:`, `file:` and archive targets are refused). No ambient credentials (environment,
 * docker config) are used: an image is pulled with the credentials of the caller's own
 * registry on its host, or anonymously; destinations are checked by the outbound policy; the
 * whole pull has a deadline.
 */
export function registryPuller(opts: { lookup?: RegistryLookup; settings?: OutboundSettings } = {}): ImagePuller {
  const settings = opts.settings ?? outboundSettings();
  return async (reference, { accountId, signal } = {}): Promise<Inventory> => {
    const ref = reference.trim();
    const scheme = /^([a-z-]+):(?!\d)/.exec(ref)?.[1];
    if (scheme && scheme !== 'registry') throw new Error(`only registry image references can be pulled by the server; got ${scheme}:`);
    const target = scheme ? ref : `registry:${ref}`;
    const host = parseImageReference(target.slice('registry:'.length)).registry;
    const own = accountId !== undefined && opts.lookup ? await opts.lookup(accountId, host) : undefined;
    const registry: RegistryOptions = own ?? { outbound: { policy: registryPolicy(settings, false) } };
    return withDeadline(settings.pullTimeoutMs, signal, (s) => scanTarget(target, { registry, signal: s }), 'VIGIL_PULL_TIMEOUT_SECONDS');
  };
}

/**
 * Looks up the caller's registry on a host in the server's database. The continuous runtime
 * (which holds the key that opens stored credentials) is only needed when there is one.
 */
export function accountRegistryLookup(router: Router): RegistryLookup {
  const continuous = continuousFor(router);
  return async (accountId, host) => {
    const rows = await (router.ctx.db.kysely as unknown as Kysely<RegistriesDatabase>).selectFrom('registries').select('url').where('account_id', '=', accountId).execute();
    if (!rows.some((r) => new URL(r.url).host.toLowerCase() === host.toLowerCase())) return undefined;
    return (await continuous()).registries.pullOptionsFor(accountId, host);
  };
}
