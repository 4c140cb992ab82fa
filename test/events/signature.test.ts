import { describe, expect, it } from 'vitest';
import { generateSecret, sign, signedHeaders, verify } from '../../src/events/signature.js';

const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const body = '{"specversion":"1.0","id":"evt_1"}';
const now = new Date('2026-11-27T12:00:00Z');
const headers = signedHeaders(secret, 'evt_1', body, now);

describe('webhook signatures (Standard Webhooks)', () => {
  it('matches the Standard Webhooks reference vector', () => {
    // From the standard-webhooks specification's test suite.
    expect(sign('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')).toBe(
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    );
  });

  it.each([
    ['valid', body, headers, secret, true],
    ['tampered body', body.replace('evt_1', 'evt_2'), headers, secret, false],
    ['wrong secret', body, headers, generateSecret(), false],
    ['stale timestamp', body, { ...headers, 'webhook-timestamp': String(Number(headers['webhook-timestamp']) - 3600) }, secret, false],
    ['rotated: second signature matches', body, { ...headers, 'webhook-signature': `v1,AAAA ${headers['webhook-signature']}` }, secret, true],
    ['missing headers', body, {}, secret, false],
  ] as const)('%s', (_name, b, h, s, ok) => {
    expect(verify(s, h, b, { now }).ok).toBe(ok);
  });

  it('refuses a secret too short to be one', () => {
    expect(() => sign('whsec_YQ==', 'x', 1, '')).toThrow(/too short/);
  });
});
