import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Header names of a signed delivery (Standard Webhooks). */
export const signatureHeaders = {
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
} as const;

/** A new subscription secret: `whsec_` + base64 of 32 random bytes. */
export function generateSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

function keyOf(secret: string): Buffer {
  const raw = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
  const key = Buffer.from(raw, 'base64');
  if (key.length < 16) throw new Error('webhook secret is too short: expected whsec_ followed by at least 16 base64-encoded bytes');
  return key;
}

/** The `v1,` signature of a message: base64 HMAC-SHA256 over `id.timestamp.body`. */
export function sign(secret: string, id: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', keyOf(secret)).update(`${id}.${timestampSeconds}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** The three headers to send with `body`. */
export function signedHeaders(secret: string, id: string, body: string, now = new Date()): Record<string, string> {
  const ts = Math.floor(now.getTime() / 1000);
  return {
    [signatureHeaders.id]: id,
    [signatureHeaders.timestamp]: String(ts),
    [signatureHeaders.signature]: sign(secret, id, ts, body),
  };
}

/** Why a delivery failed verification, or `ok`. */
export type VerifyResult = { ok: true } | { ok: false; reason: string };

/**
 * Verifies a received delivery, as a receiver would: the signature header may list several
 * space-separated signatures (during secret rotation); the timestamp must be within
 * `toleranceSeconds` of now to stop replays.
 */
export function verify(
  secret: string,
  headers: Record<string, string | string[] | undefined>,
  body: string,
  opts: { toleranceSeconds?: number; now?: Date } = {},
): VerifyResult {
  const get = (name: string): string | undefined => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const id = get(signatureHeaders.id);
  const ts = get(signatureHeaders.timestamp);
  const sigs = get(signatureHeaders.signature);
  if (!id || !ts || !sigs) return { ok: false, reason: 'missing webhook-id, webhook-timestamp or webhook-signature header' };
  const seconds = Number(ts);
  if (!Number.isInteger(seconds)) return { ok: false, reason: `webhook-timestamp ${ts} is not an integer` };
  const now = Math.floor((opts.now ?? new Date()).getTime() / 1000);
  if (Math.abs(now - seconds) > (opts.toleranceSeconds ?? 300)) return { ok: false, reason: 'webhook-timestamp outside the tolerance' };
  const expected = Buffer.from(sign(secret, id, seconds, body).slice(3), 'base64');
  for (const candidate of sigs.split(' ')) {
    const [version, mac] = candidate.split(',', 2);
    if (version !== 'v1' || !mac) continue;
    const got = Buffer.from(mac, 'base64');
    if (got.length === expected.length && timingSafeEqual(got, expected)) return { ok: true };
  }
  return { ok: false, reason: 'no signature matches' };
}
