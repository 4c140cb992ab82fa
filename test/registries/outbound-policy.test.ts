/**
 * Server-side registry requests under the outbound policy, against a real docker-registry
 * behind a loopback proxy that can challenge for credentials, redirect blobs to another host
 * name, or drip its answers; and catalog syncs against loopback servers that answer too much,
 * paginate forever or point elsewhere.
 */
import { randomBytes } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/connect.js';
import { scanTarget } from '../../src/inventory/index.js';
import { SecretBox } from '../../src/registries/secret-box.js';
import { registryInput, RegistryService } from '../../src/registries/service.js';
import { registryPuller } from '../../src/server/pull.js';
import { dialectCases } from '../helpers/postgres.js';
import { pushTinyImage, startLocalRegistry, type LocalRegistry } from './local-registry.js';

interface Seen {
  url: string;
  auth?: string;
}

/** How the proxy misbehaves in a test. */
interface Mode {
  challenge?: 'basic' | 'bearer-same-host' | 'bearer-other-host';
  /** Blob requests are redirected to `localhost` (another host name for the same proxy). */
  redirectBlobs?: boolean;
  /** Manifests are answered one byte every 200 ms. */
  drip?: boolean;
  /** Manifests are answered with an internal page. */
  internalPage?: boolean;
}

let upstream: LocalRegistry;
let proxy: Server;
let tokens: Server;
let proxyPort = 0;
let tokenPort = 0;
let mode: Mode = {};
const seen: Seen[] = [];
const tokenRequests: Seen[] = [];
let db: Db;
let service: RegistryService;
const ambient = { VIGIL_REGISTRY_TOKEN: 'ambient-token', VIGIL_REGISTRY_USERNAME: 'operator', VIGIL_REGISTRY_PASSWORD: 'operator-password' };

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

beforeAll(async () => {
  upstream = await startLocalRegistry();
  await pushTinyImage(upstream.host, 'apps/api:1', { 'etc/os-release': 'ID=alpine\nVERSION_ID=3.19.1\n', 'lib/apk/db/installed': 'P:musl\nV:1.2.4-r2\nA:x86_64\no:musl\n\n' });
  tokens = createServer((req, res) => {
    tokenRequests.push({ url: req.url ?? '', auth: req.headers.authorization });
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: 'issued-token' }));
  });
  tokenPort = await listen(tokens);
  proxy = createServer((req, res) => {
    const url = req.url ?? '/';
    seen.push({ url, auth: req.headers.authorization });
    const redirected = url.includes('via=redirect');
    if (mode.challenge && !req.headers.authorization && !redirected) {
      const header =
        mode.challenge === 'basic'
          ? 'Basic realm="test"'
          : `Bearer realm="http://${mode.challenge === 'bearer-same-host' ? '127.0.0.1' : 'localhost'}:${tokenPort}/token",service="test"`;
      return void res.writeHead(401, { 'www-authenticate': header }).end();
    }
    if (mode.redirectBlobs && url.includes('/blobs/') && !redirected) {
      return void res.writeHead(307, { location: `http://localhost:${proxyPort}${url}?via=redirect` }).end();
    }
    if (mode.drip && url.includes('/manifests/')) {
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
      const timer = setInterval(() => res.write(' '), 200);
      res.on('close', () => clearInterval(timer));
      return;
    }
    if (mode.internalPage && url.includes('/manifests/')) {
      return void res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }).end('secret-internal-page: admin password is hunter2');
    }
    const up = request(`${upstream.url}${url.replace(/[?&]via=redirect$/, '')}`, { method: req.method, headers: { accept: req.headers.accept ?? '*/*' } }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.writeHead(502).end());
    up.end();
  });
  proxyPort = await listen(proxy);
  db = await dialectCases()[0].open();
  service = new RegistryService(db.kysely, new SecretBox(randomBytes(32)), async () => 'job');
}, 120_000);

afterAll(async () => {
  await new Promise<void>((r) => proxy?.close(() => r()));
  await new Promise<void>((r) => tokens?.close(() => r()));
  await upstream?.stop();
  await db?.close();
});

beforeEach(() => {
  mode = {};
  seen.length = 0;
  tokenRequests.length = 0;
});

const proxyHost = () => `127.0.0.1:${proxyPort}`;
const image = () => `${proxyHost()}/apps/api:1`;

/** The account's registry on the proxy, as an admin of the delegated administrator would allow it. */
async function register(accountId: string, extra: Record<string, unknown> = {}): Promise<void> {
  await service.create(accountId, registryInput.parse({ url: `http://${proxyHost()}`, allowPrivateNetwork: true, ...extra }));
}

/** The server's puller, looking the caller's registries up in the test database. */
function puller(pullTimeoutMs = 60_000) {
  return registryPuller({
    lookup: async (accountId, host) => {
      const own = (await service.list(accountId)).some((r) => new URL(r.url).host === host);
      return own ? service.pullOptionsFor(accountId, host) : undefined;
    },
    settings: { pullTimeoutMs, jobPullTimeoutMs: pullTimeoutMs },
  });
}

async function withEnv<T>(env: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe('server-side pulls', () => {
  it("refuse a loopback registry nobody allowed, before connecting; pull it as the account's allowed registry", async () => {
    const err = (await puller()(image(), { accountId: 'acct-none' }).catch((e: unknown) => e)) as Error;
    expect(err.message).toBe(`registry:${image()}: cannot reach registry ${proxyHost()}: connection refused by policy: 127.0.0.1 is a loopback address`);
    expect(seen).toEqual([]);

    await register('acct-open');
    const inv = await puller()(image(), { accountId: 'acct-open' });
    expect(inv.packages.map((p) => p.name)).toEqual(['musl']);
  });

  it("use no ambient credentials and never another account's; send an account's own only when challenged", async () => {
    mode.challenge = 'basic';
    await register('acct-a');
    await register('acct-b', { credentials: { username: 'b-user', password: 'b-pass' } });
    const err = (await withEnv(ambient, () => puller()(image(), { accountId: 'acct-a' })).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/requires a username and password \(basic auth\); none were found/);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((s) => s.auth === undefined)).toBe(true);

    seen.length = 0;
    const inv = await withEnv(ambient, () => puller()(image(), { accountId: 'acct-b' }));
    expect(inv.packages.map((p) => p.name)).toEqual(['musl']);
    expect(seen[0].auth).toBeUndefined();
    const basic = `Basic ${Buffer.from('b-user:b-pass').toString('base64')}`;
    expect(new Set(seen.slice(1).map((s) => s.auth))).toEqual(new Set([basic]));
  });

  it('refuse a token realm on another host unless the registry trusts it', async () => {
    mode.challenge = 'bearer-other-host';
    await register('acct-realm', { credentials: { username: 'r-user', password: 'r-pass' } });
    const err = (await puller()(image(), { accountId: 'acct-realm' }).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/token service on another host \(localhost\) refused by policy/);
    expect(tokenRequests).toEqual([]);

    await register('acct-trusting', { credentials: { username: 't-user', password: 't-pass' }, trustedHosts: ['localhost'] });
    const inv = await puller()(image(), { accountId: 'acct-trusting' });
    expect(inv.packages.map((p) => p.name)).toEqual(['musl']);
    expect(tokenRequests.map((t) => t.auth)).toEqual([`Basic ${Buffer.from('t-user:t-pass').toString('base64')}`]);
  });

  it('refuse blob redirects to another host unless trusted, and never carry credentials there', async () => {
    mode.redirectBlobs = true;
    await register('acct-redirect');
    const err = (await puller()(image(), { accountId: 'acct-redirect' }).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/redirect to another host \(localhost\) refused by policy/);

    mode.challenge = 'basic';
    await register('acct-storage', { credentials: { username: 's-user', password: 's-pass' }, trustedHosts: ['localhost'] });
    seen.length = 0;
    const inv = await puller()(image(), { accountId: 'acct-storage' });
    expect(inv.packages.map((p) => p.name)).toEqual(['musl']);
    const viaRedirect = seen.filter((s) => s.url.includes('via=redirect'));
    expect(viaRedirect.length).toBeGreaterThan(0);
    expect(viaRedirect.every((s) => s.auth === undefined)).toBe(true);
  });

  it('end at the pull deadline when the registry drips', async () => {
    mode.drip = true;
    await register('acct-drip');
    const started = Date.now();
    const err = (await puller(1500)(image(), { accountId: 'acct-drip' }).catch((e: unknown) => e)) as Error;
    expect(err.message).toBe('the pull did not finish within 1.5 s (VIGIL_PULL_TIMEOUT_SECONDS)');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('never quote what the registry answered in errors', async () => {
    mode.internalPage = true;
    await register('acct-page');
    const err = (await puller()(image(), { accountId: 'acct-page' }).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/not valid JSON/);
    expect(err.message).not.toMatch(/secret|hunter2/);
  });
});

describe('CLI pulls (local use keeps its behaviour)', () => {
  it('send a bearer token only once a challenge names it, and follow a realm on another host', async () => {
    mode.challenge = 'bearer-same-host';
    const inv = await scanTarget(`registry:${image()}`, { registry: { insecure: true, credentials: { token: 'static-token' } } });
    expect(inv.packages.map((p) => p.name)).toEqual(['musl']);
    expect(seen[0].auth).toBeUndefined();
    expect(new Set(seen.slice(1).map((s) => s.auth))).toEqual(new Set(['Bearer static-token']));

    seen.length = 0;
    mode.challenge = 'bearer-other-host';
    await scanTarget(`registry:${image()}`, { registry: { insecure: true, credentials: { username: 'cli', password: 'pw' } } });
    expect(tokenRequests.map((t) => t.auth)).toEqual([`Basic ${Buffer.from('cli:pw').toString('base64')}`]);
    expect(new Set(seen.slice(1).map((s) => s.auth))).toEqual(new Set(['Bearer issued-token']));
  });
});

describe('catalog sync', () => {
  let fake: Server;
  let fakePort = 0;
  let answer: (url: URL, auth: string | undefined) => { status: number; headers?: Record<string, string>; body?: string };

  beforeAll(async () => {
    fake = createServer((req, res) => {
      const a = answer(new URL(req.url ?? '/', 'http://x'), req.headers.authorization);
      res.writeHead(a.status, a.headers).end(a.body ?? '');
    });
    fakePort = await listen(fake);
  });
  afterAll(() => new Promise<void>((r) => fake.close(() => r())));

  async function syncError(extra: Record<string, unknown> = {}): Promise<{ thrown: string; shown?: string }> {
    const { registry } = await service.create('acct-sync', registryInput.parse({ url: `http://127.0.0.1:${fakePort}`, modes: ['SCHEDULED_SYNC'], allowPrivateNetwork: true, ...extra }));
    const thrown = ((await service.sync(registry.id).catch((e: unknown) => e)) as Error).message;
    return { thrown, shown: (await service.get(registry.id))?.lastSyncError };
  }

  it('refuses a loopback registry nobody allowed, and says so to viewers', async () => {
    answer = () => ({ status: 200, body: '{"repositories":[]}' });
    const r = await syncError({ allowPrivateNetwork: false });
    expect(r.shown).toBe(`127.0.0.1:${fakePort}: cannot reach 127.0.0.1:${fakePort}: connection refused by policy: 127.0.0.1 is a loopback address`);
  });

  it('bounds a catalog answer in bytes', async () => {
    const huge = JSON.stringify({ repositories: Array.from({ length: 300_000 }, (_, i) => `repo/number-${i}`) });
    answer = () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: huge });
    const r = await syncError();
    expect(r.shown).toMatch(/\/v2\/_catalog: answer (of \d+ bytes is larger than the limit of|larger than the limit of) 4194304/);
  });

  it('stops endless Link pagination with an error', async () => {
    let pages = 0;
    answer = (url) => {
      pages++;
      return { status: 200, headers: { link: `</v2/_catalog?n=1000&last=r${pages}>; rel="next"` }, body: JSON.stringify({ repositories: [`r${url.searchParams.get('last') ?? 0}`] }) };
    };
    const r = await syncError({ repositories: { include: ['nothing/*'] } });
    expect(r.shown).toBe(`127.0.0.1:${fakePort}: /v2/_catalog has more than 1000 pages; stopped`);
    expect(pages).toBe(1000);
  });

  it('bounds the tags kept for one repository', async () => {
    answer = (url) =>
      url.pathname === '/v2/_catalog'
        ? { status: 200, body: '{"repositories":["big/tags"]}' }
        : { status: 200, body: JSON.stringify({ name: 'big/tags', tags: Array.from({ length: 100_001 }, (_, i) => `t${i}`) }) };
    expect((await syncError()).shown).toBe(`127.0.0.1:${fakePort}: /v2/big/tags/tags/list has more than 100000 tags; stopped`);
  });

  it('refuses pagination and token realms on another host', async () => {
    answer = () => ({ status: 200, headers: { link: `<http://localhost:${fakePort}/v2/_catalog?last=a>; rel="next"` }, body: '{"repositories":["a"]}' });
    expect((await syncError()).shown).toMatch(/pagination to another host \(localhost:\d+\) refused by policy/);

    answer = (_url, auth) => (auth ? { status: 200, body: '{"repositories":[]}' } : { status: 401, headers: { 'www-authenticate': `Bearer realm="http://localhost:${tokenPort}/token"` } });
    expect((await syncError({ credentials: { username: 'u', password: 'p' } })).shown).toMatch(/token service on another host \(localhost\) refused by policy/);
    expect(tokenRequests).toEqual([]);
  });

  it('sends credentials only when challenged, and never echoes an error body', async () => {
    const auths: (string | undefined)[] = [];
    answer = (_url, auth) => {
      auths.push(auth);
      return auth ? { status: 500, body: 'stack trace: db password s3cr3t' } : { status: 401, headers: { 'www-authenticate': 'Basic realm="r"' } };
    };
    const r = await syncError({ credentials: { username: 'u', password: 'p' } });
    expect(auths).toEqual([undefined, `Basic ${Buffer.from('u:p').toString('base64')}`]);
    expect(r.shown).toBe(`127.0.0.1:${fakePort}: GET /v2/_catalog answered HTTP 500`);
  });
});
