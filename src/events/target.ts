import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { AddressPolicy } from '../net/addresses.js';
import { refuseAddress } from '../net/addresses.js';

export { refuseAddress } from '../net/addresses.js';

/**
 * What a webhook target may point at: the outbound address policy (src/net/addresses.ts).
 * Loopback and private ranges are off unless the operator allows them; link-local and
 * metadata addresses also per subscription (by an admin of the delegated administrator).
 */
export type TargetPolicy = AddressPolicy;

/** The error thrown for a refused target. */
export class TargetRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetRefusedError';
  }
}

/** Checks a URL's form: http(s), a host, no credentials. */
export function checkTargetUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TargetRefusedError(`webhook URL ${JSON.stringify(raw)} is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TargetRefusedError(`webhook URL ${raw} must use http or https`);
  if (url.username || url.password) throw new TargetRefusedError(`webhook URL ${url.host} must not carry credentials; use the signing secret`);
  return url;
}

/**
 * Resolves the URL's host and refuses it when any of its addresses is refused. Delivery
 * checks again at connect time (src/net/outbound.ts), so a host that re-resolves after this
 * check (DNS rebinding) is still refused.
 */
export async function validateTarget(raw: string, policy: TargetPolicy): Promise<URL> {
  const url = checkTargetUrl(raw);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = await new Promise<LookupAddress[]>((resolve, reject) =>
    dnsLookup(host, { all: true }, (err, addrs) => (err ? reject(new TargetRefusedError(`webhook host ${host} does not resolve: ${err.code ?? err.message}`)) : resolve(addrs))),
  );
  for (const a of addresses) {
    const why = refuseAddress(a.address, policy);
    if (why) throw new TargetRefusedError(`webhook URL ${raw} refused: ${why}`);
  }
  return url;
}
