/**
 * An open event stream ends when its key is revoked (issue #18 item 11): at once when the
 * key is revoked through this server, and within the re-check interval when another
 * process revokes it (here: an UPDATE straight to the database). A stream of a key that
 * stays valid stays open.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '../../src/server/accounts.js';
import { dialectCases } from '../helpers/postgres.js';
import { startTestApp, type TestApp } from './harness.js';

let t: TestApp;
let url: string;

/** Opens a stream; resolves `ended` when the server ends it. */
async function openStream(key: string): Promise<{ ended: Promise<string>; cancel(): void }> {
  const ctrl = new AbortController();
  const res = await fetch(`${url}/api/v1/events/stream`, { headers: { authorization: `Bearer ${key}` }, signal: ctrl.signal });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const ended = (async () => {
    let text = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return text;
      text += Buffer.from(value).toString('utf8');
    }
  })();
  ended.catch(() => undefined);
  return { ended, cancel: () => ctrl.abort() };
}

function within<T>(p: Promise<T>, ms: number): Promise<T | 'still open'> {
  return Promise.race([p, new Promise<'still open'>((r) => setTimeout(() => r('still open'), ms))]);
}

beforeAll(async () => {
  process.env.VIGIL_SSE_KEY_RECHECK_MS = '300';
  t = await startTestApp(dialectCases()[0]);
  url = await t.app.listen({ host: '127.0.0.1', port: 0 });
}, 60_000);

afterAll(async () => {
  delete process.env.VIGIL_SSE_KEY_RECHECK_MS;
  await t?.close();
});

describe('event streams of revoked keys', () => {
  it('end at once when the key is revoked through the API', async () => {
    const { key, info } = await createKey(t.db, 'acme', 'viewer', 'dashboard');
    const other = await openStream(t.keys.acme.viewer);
    const stream = await openStream(key);
    const revoke = await t.call(t.keys.acme.admin, { method: 'DELETE', url: `/api/v1/keys/${info.id}` });
    expect(revoke.statusCode).toBeLessThan(300);
    expect(await within(stream.ended, 250)).toMatch(/revoked/);
    expect(await within(other.ended, 800)).toBe('still open');
    other.cancel();
  });

  it('end within the re-check interval when another process revokes the key', async () => {
    const { key, info } = await createKey(t.db, 'globex', 'viewer', 'dashboard');
    const stream = await openStream(key);
    await t.db.kysely.updateTable('api_keys').set({ revoked_at: Date.now() }).where('id', '=', info.id).execute();
    expect(await within(stream.ended, 3000)).toMatch(/revoked/);
    const again = await fetch(`${url}/api/v1/events/stream`, { headers: { authorization: `Bearer ${key}` } });
    expect(again.status).toBe(401);
  });
});
