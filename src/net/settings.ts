/**
 * The operator's outbound settings, from the environment (docs/api.md, "Outbound requests").
 */
import { AddressList, type AddressPolicy } from './addresses.js';

/** Server-wide outbound settings. */
export interface OutboundSettings {
  /** `VIGIL_OUTBOUND_ALLOW`: addresses and CIDR ranges every server-side request may reach. */
  allowed?: AddressList;
  /** `VIGIL_PULL_TIMEOUT_SECONDS` (default 120): the whole of a pull made inside an API request. */
  pullTimeoutMs: number;
  /** `VIGIL_JOB_PULL_TIMEOUT_SECONDS` (default 600): the whole of a pull made by a scan job. */
  jobPullTimeoutMs: number;
}

function seconds(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const v = env[name];
  if (v === undefined || v === '') return fallback * 1000;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name}=${v}: expected a positive number of seconds`);
  return n * 1000;
}

/** Reads the settings; throws naming the variable when one is malformed. */
export function outboundSettings(env: NodeJS.ProcessEnv = process.env): OutboundSettings {
  const allow = env.VIGIL_OUTBOUND_ALLOW;
  return {
    ...(allow ? { allowed: new AddressList(allow, 'VIGIL_OUTBOUND_ALLOW') } : {}),
    pullTimeoutMs: seconds(env, 'VIGIL_PULL_TIMEOUT_SECONDS', 120),
    jobPullTimeoutMs: seconds(env, 'VIGIL_JOB_PULL_TIMEOUT_SECONDS', 600),
  };
}

/**
 * The address policy of a registry: public addresses, the operator's allowed ranges, and
 * loopback and private ranges when the registry was allowed them (`allowPrivateNetwork`).
 * Link-local and metadata addresses only through `VIGIL_OUTBOUND_ALLOW`.
 */
export function registryPolicy(settings: Pick<OutboundSettings, 'allowed'>, allowPrivateNetwork: boolean): AddressPolicy {
  return { allowed: settings.allowed, allowLoopback: allowPrivateNetwork, allowPrivate: allowPrivateNetwork };
}
