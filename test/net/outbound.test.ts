/**
 * The outbound policy against real loopback HTTP servers: which addresses are refused, when
 * they may be reached, redirects, plain http, deadlines and size limits.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AddressList, classifyAddress, refuseAddress } from '../../src/net/addresses.js';
import { outboundRequest, OutboundError } from '../../src/net/outbound.js';

describe('address classes', () => {
  it.each([
    ['93.184.216.34', 'public'],
    ['2606:2800:220:1:248:1893:25c8:1946', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['2002:7f00:1::1', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['fd00:ec2::254', 'link-local'],
    ['100.100.100.200', 'link-local'],
    ['10.0.0.5', 'private'],
    ['172.16.3.4', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['198.18.0.1', 'private'],
    ['fd12:3456::1', 'private'],
    ['fc00::1', 'private'],
    ['0.0.0.0', 'never'],
    ['::', 'never'],
    ['224.0.0.1', 'never'],
    ['ff02::1', 'never'],
    ['255.255.255.255', 'never'],
  ] as const)('%s is %s', (addr, cls) => {
    expect(classifyAddress(addr)).toBe(cls);
  });

  it('refuses by default and says why; allows by class or by the operator list', () => {
    expect(refuseAddress('10.0.0.5', {})).toBe('10.0.0.5 is a private address');
    expect(refuseAddress('10.0.0.5', { allowPrivate: true })).toBeUndefined();
    expect(refuseAddress('10.0.0.5', { allowLoopback: true })).toBe('10.0.0.5 is a private address');
    expect(refuseAddress('10.0.0.5', { allowed: new AddressList('10.0.0.0/24') })).toBeUndefined();
    expect(refuseAddress('10.0.1.5', { allowed: new AddressList('10.0.0.0/24') })).toBe('10.0.1.5 is a private address');
    expect(refuseAddress('169.254.169.254', { allowPrivate: true, allowLoopback: true })).toBe('169.254.169.254 is a link-local or cloud metadata address');
    // Nothing makes the unspecified address a destination.
    expect(refuseAddress('0.0.0.0', { allowed: new AddressList('0.0.0.0/0'), allowLoopback: true, allowPrivate: true })).toMatch(/unspecified/);
  });

  it.each([['10.0.0.0/33'], ['not-an-ip'], ['10.0.0.0/8/1'], ['fd00::/129']])('refuses the allow-list entry %s, naming it', (entry) => {
    expect(() => new AddressList(`127.0.0.1, ${entry}`, 'VIGIL_OUTBOUND_ALLOW')).toThrow(`VIGIL_OUTBOUND_ALLOW: "${entry}" is not an IP address or CIDR range`);
  });
});

describe('outbound requests', () => {
  let server: Server;
  let port: number;
  const seen: { url: string; headers: IncomingHttpHeaders }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push({ url: req.url ?? '', headers: req.headers });
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/hello') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"hello":"world"}');
      if (url.pathname === '/to-localhost') return void res.writeHead(302, { location: `http://localhost:${port}/hello` }).end();
      if (url.pathname === '/to-self') return void res.writeHead(307, { location: '/hello' }).end();
      if (url.pathname === '/loop') return void res.writeHead(302, { location: '/loop' }).end();
      if (url.pathname === '/big') return void res.writeHead(200).end('x'.repeat(100_000));
      if (url.pathname === '/secret-page') return void res.writeHead(200).end('<html>internal admin secret</html>');
      if (url.pathname === '/drip') {
        // One byte every 100 ms, forever: never idle, never done.
        res.writeHead(200);
        const timer = setInterval(() => res.write('x'), 100);
        res.on('close', () => clearInterval(timer));
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const base = () => `http://127.0.0.1:${port}`;
  const loopback = { allowLoopback: true };

  it('refuses loopback by default, by literal address and by name, before connecting', async () => {
    const before = seen.length;
    await expect(outboundRequest(`${base()}/hello`, { policy: {}, allowHttp: true })).rejects.toThrow('connection refused by policy: 127.0.0.1 is a loopback address');
    await expect(outboundRequest(`http://localhost:${port}/hello`, { policy: {}, allowHttp: true })).rejects.toThrow(/connection refused by policy: localhost resolves to (127\.0\.0\.1|::1), a loopback address/);
    expect(seen.length).toBe(before);
  });

  it('reaches loopback when the policy allows it, by class or by the operator list', async () => {
    const a = await outboundRequest(`${base()}/hello`, { policy: loopback, allowHttp: true });
    expect(await a.json(1000)).toEqual({ hello: 'world' });
    const b = await outboundRequest(`${base()}/hello`, { policy: { allowed: new AddressList('127.0.0.1') }, allowHttp: true });
    expect(b.status).toBe(200);
    b.discard();
  });

  it('refuses plain http unless allowed', async () => {
    const err = await outboundRequest(`${base()}/hello`, { policy: loopback }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutboundError);
    expect((err as OutboundError).message).toMatch(/plain http to 127\.0\.0\.1:\d+ refused by policy/);
  });

  it('follows redirects on the same host only, and never carries credentials to another', async () => {
    const same = await outboundRequest(`${base()}/to-self`, { policy: loopback, allowHttp: true, maxRedirects: 3, headers: { authorization: 'Bearer s3cret' } });
    expect(same.status).toBe(200);
    same.discard();
    expect(seen.at(-1)).toMatchObject({ url: '/hello', headers: { authorization: 'Bearer s3cret' } });

    await expect(outboundRequest(`${base()}/to-localhost`, { policy: loopback, allowHttp: true, maxRedirects: 3 })).rejects.toThrow('redirect to another host (localhost) refused by policy');

    const before = seen.length;
    const other = await outboundRequest(`${base()}/to-localhost`, { policy: loopback, allowHttp: true, maxRedirects: 3, redirectAllowed: (h) => h === 'localhost', headers: { authorization: 'Bearer s3cret', cookie: 'a=b' } });
    expect(other.status).toBe(200);
    other.discard();
    const hops = seen.slice(before);
    expect(hops.map((h) => h.url)).toEqual(['/to-localhost', '/hello']);
    expect(hops[0].headers.authorization).toBe('Bearer s3cret');
    expect(hops[1].headers.authorization).toBeUndefined();
    expect(hops[1].headers.cookie).toBeUndefined();
  });

  it('returns a redirect as it is when none may be followed, and stops redirect loops', async () => {
    const res = await outboundRequest(`${base()}/to-self`, { policy: loopback, allowHttp: true });
    expect(res.status).toBe(307);
    res.discard();
    await expect(outboundRequest(`${base()}/loop`, { policy: loopback, allowHttp: true, maxRedirects: 4 })).rejects.toThrow('more than 4 redirects');
  });

  it('ends a request that drips forever at its total deadline', async () => {
    const started = Date.now();
    const res = await outboundRequest(`${base()}/drip`, { policy: loopback, allowHttp: true, deadlineMs: 700, idleTimeoutMs: 5000 });
    await expect(res.bytes(1_000_000)).rejects.toThrow('timed out after 0.7 s');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('bounds what it reads and never quotes a body in its errors', async () => {
    const big = await outboundRequest(`${base()}/big`, { policy: loopback, allowHttp: true });
    await expect(big.bytes(1000)).rejects.toThrow(/larger than the limit of 1000/);
    const page = await outboundRequest(`${base()}/secret-page`, { policy: loopback, allowHttp: true });
    const err = (await page.json(1000).catch((e: unknown) => e)) as Error;
    expect(err.message).toBe('answer is not valid JSON (HTTP 200, 34 bytes)');
    expect(err.message).not.toContain('secret');
  });

  it('says "connection refused" without socket internals', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    await expect(outboundRequest(`http://127.0.0.1:${deadPort}/`, { policy: loopback, allowHttp: true })).rejects.toThrow(/^connection refused$/);
  });
});
