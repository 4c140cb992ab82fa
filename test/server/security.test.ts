/**
 * Issue #18 item 14: security headers on API and dashboard answers, the SQLite file (and
 * its -wal/-shm) created 0600, failed authentication throttled per address and per key id
 * without locking out the correct key, and settings refusing absurd numbers and lengths.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/connect.js';
import { createAccount } from '../../src/server/accounts.js';
import { DASHBOARD_CSP } from '../../src/server/security-headers.js';
import { dialectCases } from '../helpers/postgres.js';
import { startTestApp, type TestApp } from './harness.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-security-'));
let t: TestApp;

beforeAll(async () => {
  const web = join(dir, 'web');
  mkdirSync(web);
  writeFileSync(join(web, 'index.html'), '<!doctype html><html><body><div id="root"></div><script type="module" src="/assets/index.js"></script></body></html>');
  t = await startTestApp(dialectCases()[0], { webRoot: web, authThrottle: { addressFailures: 3, keyFailures: 2, firstBlockMs: 400, maxBlockMs: 5000 } });
}, 60_000);

afterAll(async () => {
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A well-formed key that is nobody's. */
function strangerKey(id = 'x'.repeat(12)): string {
  return `vgl_${id}_${'A'.repeat(43)}`;
}

describe('security headers', () => {
  it.each([
    ['an API answer', () => t.call(t.keys.acme.viewer, { method: 'GET', url: '/api/v1/resources' })],
    ['a problem answer', () => t.call(undefined, { method: 'GET', url: '/api/v1/resources' })],
    ['health', () => t.call(undefined, { method: 'GET', url: '/healthz' })],
    ['an unknown route', () => t.call(undefined, { method: 'GET', url: '/api/v1/nothing' })],
  ])('are on %s, with a CSP that loads nothing', async (_name, send) => {
    const res = await send();
    expect(res.headers).toMatchObject({
      'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    });
  });

  it.each(['/', '/findings/some-client-route'])('are on the dashboard page %s, with its own scripts and styles only', async (url) => {
    const res = await t.call(undefined, { method: 'GET', url });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['content-security-policy']).toBe(DASHBOARD_CSP);
    expect(DASHBOARD_CSP).toContain("script-src 'self'");
    expect(DASHBOARD_CSP).not.toMatch(/script-src[^;]*unsafe/);
    expect(DASHBOARD_CSP).toContain("frame-ancestors 'none'");
    expect(res.headers['x-frame-options']).toBe('DENY');
    // A revalidated page keeps the dashboard's policy: browsers merge a 304's headers into the cached page.
    const again = await t.call(undefined, { method: 'GET', url, headers: { 'if-none-match': String(res.headers.etag) } });
    expect(again.statusCode).toBe(304);
    expect(again.headers['content-security-policy']).toBe(DASHBOARD_CSP);
  });
});

describe('the SQLite database file', () => {
  it('is created 0600, and so are its -wal and -shm files', async () => {
    const path = join(dir, 'data', 'vigil.db');
    const db = await openDatabase(`sqlite:${path}`);
    try {
      await createAccount(db, 'mode-check');
      for (const f of [path, `${path}-wal`, `${path}-shm`]) expect((statSync(f).mode & 0o777).toString(8), f).toBe('600');
      expect((statSync(join(dir, 'data')).mode & 0o777).toString(8)).toBe('700');
    } finally {
      await db.close();
    }
  });
});

describe('failed authentication', () => {
  const from = (remoteAddress: string, key: string) => t.app.inject({ method: 'GET', url: '/api/v1/resources', remoteAddress, headers: { authorization: `Bearer ${key}` } });

  it('is throttled per address with 429 and Retry-After, other addresses unaffected, and forgiven after the block', async () => {
    for (let i = 0; i < 3; i++) expect((await from('10.0.0.1', strangerKey(`a${String(i).padStart(11, '0')}`))).statusCode).toBe(401);
    const blocked = await from('10.0.0.1', strangerKey('b00000000000'));
    expect(blocked.statusCode).toBe(429);
    expect(blocked.headers['content-type']).toMatch(/problem\+json/);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // Blocked addresses are refused before their key is looked at.
    expect((await from('10.0.0.1', t.keys.acme.viewer)).statusCode).toBe(429);
    expect((await from('10.0.0.2', t.keys.acme.viewer)).statusCode).toBe(200);
    await new Promise((r) => setTimeout(r, Number(blocked.headers['retry-after']) * 1000 + 100));
    expect((await from('10.0.0.1', t.keys.acme.viewer)).statusCode).toBe(200);
  });

  it('is throttled per key id across addresses, but never locks the correct key out', async () => {
    const keyId = /^vgl_([A-Za-z0-9]{12})_/.exec(t.keys.globex.viewer)![1];
    const guesses = [1, 2, 3].map((n) => from(`10.1.0.${n}`, strangerKey(keyId)));
    const statuses = [];
    for (const g of guesses) statuses.push((await g).statusCode);
    expect(statuses).toEqual([401, 401, 429]);
    expect((await from('10.1.0.9', t.keys.globex.viewer)).statusCode).toBe(200);
  });
});

describe('settings validation', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['an absurd price', { priceHostMonth: 1e308 }, '/priceHostMonth'],
    ['a negative price', { priceImageScan: -1 }, '/priceImageScan'],
    ['a 100,000-character exclusion tag', { excludeTag: 'x'.repeat(100_000) }, '/excludeTag'],
    ['a century of staleness', { hostStaleHours: 24 * 36500 }, '/hostStaleHours'],
    ['eligibility beyond ten years', { imageEligibilityDays: 100_000 }, '/imageEligibilityDays'],
  ])('refuses %s with 400 naming the field', async (_name, payload, pointer) => {
    const res = await t.call(t.keys.admin.admin, { method: 'PATCH', url: '/api/v1/settings', payload });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().errors.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
  });

  it('accepts sane values', async () => {
    const res = await t.call(t.keys.admin.admin, { method: 'PATCH', url: '/api/v1/settings', payload: { priceHostMonth: 2.5, excludeTag: 'skip-me', hostStaleHours: 48 } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ priceHostMonth: 2.5, excludeTag: 'skip-me', hostStaleHours: 48 });
  });
});
