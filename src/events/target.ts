import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/** What a webhook target may point at. */
export interface TargetPolicy {
  /** Loopback (127.0.0.0/8, ::1): off unless configured (tests, single-host setups). */
  allowLoopback?: boolean;
  /** Link-local and cloud metadata addresses: off unless an admin allows them. */
  allowLinkLocal?: boolean;
}

const linkLocal = new BlockList();
linkLocal.addSubnet('169.254.0.0', 16, 'ipv4');
linkLocal.addSubnet('fe80::', 10, 'ipv6');
// Cloud metadata endpoints outside link-local: AWS IPv6 IMDS, Alibaba Cloud.
linkLocal.addAddress('fd00:ec2::254', 'ipv6');
linkLocal.addAddress('100.100.100.200', 'ipv4');

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

const never = new BlockList();
never.addSubnet('0.0.0.0', 8, 'ipv4');
never.addAddress('::', 'ipv6');
never.addSubnet('224.0.0.0', 4, 'ipv4');
never.addSubnet('ff00::', 8, 'ipv6');
never.addAddress('255.255.255.255', 'ipv4');

/** Why an address is refused under a policy, or undefined when it is allowed. */
export function refuseAddress(address: string, policy: TargetPolicy): string | undefined {
  let family: 'ipv4' | 'ipv6' = isIP(address) === 6 ? 'ipv6' : 'ipv4';
  let addr = address;
  // IPv4-mapped IPv6 (::ffff:169.254.169.254) is the IPv4 address in disguise.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) {
    addr = mapped[1];
    family = 'ipv4';
  }
  if (never.check(addr, family)) return `${address} is an unspecified, multicast or broadcast address`;
  if (!policy.allowLinkLocal && linkLocal.check(addr, family)) return `${address} is a link-local or cloud metadata address`;
  if (!policy.allowLoopback && loopback.check(addr, family)) return `${address} is a loopback address`;
  return undefined;
}

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

/** Resolves the URL's host and refuses it when any of its addresses is refused. */
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

/**
 * A `lookup` for `http.request` that refuses addresses at connect time, so a host that
 * re-resolves to a metadata address after validation (DNS rebinding) is still refused.
 */
export function guardedLookup(policy: TargetPolicy): typeof dnsLookup {
  const fn = (hostname: string, options: unknown, callback: unknown): void => {
    const cb = (typeof options === 'function' ? options : callback) as (err: Error | null, address: string | LookupAddress[], family?: number) => void;
    const opts = (typeof options === 'object' && options !== null ? options : {}) as { all?: boolean };
    dnsLookup(hostname, { all: true }, (err, addrs) => {
      if (err) return cb(err, '', 0);
      for (const a of addrs) {
        const why = refuseAddress(a.address, policy);
        if (why) return cb(new TargetRefusedError(`webhook host ${hostname} refused: ${why}`), '', 0);
      }
      if (opts.all) return cb(null, addrs);
      cb(null, addrs[0].address, addrs[0].family);
    });
  };
  return fn as unknown as typeof dnsLookup;
}
