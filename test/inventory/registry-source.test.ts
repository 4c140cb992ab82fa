/**
 * `registry:` targets against a real docker-registry on 127.0.0.1: basic auth (credentials
 * from options, environment and ~/.docker/config.json), bearer tokens from a token service
 * the test runs (RS256 JWTs with an x5c chain the registry verifies), manifest lists with
 * platform selection, zstd layers, and the errors users meet.
 */
import { execFileSync } from 'node:child_process';
import { createSign, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireComponent } from '../helpers/components.js';
import { makeTar, sha256, writeLayout } from '../../scripts/make-hostile-fixtures.js';
import { TargetError, scanTarget } from '../../src/inventory/index.js';
import { freePort, sh, startRegistry, type TestRegistry } from '../helpers/images.js';

let work: string;
const registries: TestRegistry[] = [];

function image(osRelease: string, status: string, compression: 'gzip' | 'zstd' = 'gzip') {
  return [
    {
      tar: makeTar([
        { name: 'etc/os-release', data: osRelease },
        { name: 'var/lib/dpkg/status', data: status },
      ]),
      compression,
    },
  ];
}
const DEB = 'ID=debian\nVERSION_ID="12"\n';
const UBU = 'ID=ubuntu\nVERSION_ID="22.04"\nVERSION="22.04.4 LTS (Jammy Jellyfish)"\n';
const status = (name: string) => `Package: ${name}\nStatus: install ok installed\nVersion: 1.0-1\nArchitecture: amd64\n\n`;

/** An OCI layout whose index.json names a multi-platform index (amd64: Debian, arm64: Ubuntu). */
async function multiPlatformLayout(dir: string): Promise<void> {
  const amd = join(work, 'amd64');
  const arm = join(work, 'arm64');
  const amdDigest = await writeLayout(amd, image(DEB, status('amd-only')), { architecture: 'amd64' });
  const armDigest = await writeLayout(arm, image(UBU, status('arm-only')), { architecture: 'arm64' });
  await mkdir(join(dir, 'blobs/sha256'), { recursive: true });
  execFileSync('sh', ['-c', `cp ${amd}/blobs/sha256/* ${arm}/blobs/sha256/* ${dir}/blobs/sha256/`]);
  const size = async (d: string, layout: string) => (await readFile(join(layout, 'blobs/sha256', d.slice(7)))).length;
  const index = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: amdDigest, size: await size(amdDigest, amd), platform: { os: 'linux', architecture: 'amd64' } },
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: armDigest, size: await size(armDigest, arm), platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    ],
  });
  const indexDigest = sha256(index);
  await writeFile(join(dir, 'blobs/sha256', indexDigest.slice(7)), index);
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: 'application/vnd.oci.image.index.v1+json', digest: indexDigest, size: index.length, annotations: { 'org.opencontainers.image.ref.name': 'multi' } }],
    }),
  );
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'vigil-registry-'));
  await writeLayout(join(work, 'simple'), image(DEB, status('hello')), { tag: 'v1' });
  await writeLayout(join(work, 'zstd'), image(DEB, status('zstd-pkg'), 'zstd'), { tag: 'v1' });
  await multiPlatformLayout(join(work, 'multi'));
}, 120_000);
afterAll(async () => {
  for (const r of registries) await r.stop();
  await rm(work, { recursive: true, force: true });
});

describe('anonymous registry', () => {
  let reg: TestRegistry;
  beforeAll(async () => {
    reg = await startRegistry();
    registries.push(reg);
    await reg.push(`${join(work, 'simple')}:v1`, 'test/simple:v1');
    await reg.push(`${join(work, 'zstd')}:v1`, 'test/zstd:v1');
    await reg.push(`${join(work, 'multi')}:multi`, 'test/multi:latest', { all: true });
  });

  it('reads by tag and by digest, with the manifest digest recorded', async () => {
    const byTag = await scanTarget(`registry:${reg.host}/test/simple:v1`, { registry: { insecure: true } });
    expect(byTag.packages.map((p) => p.name)).toEqual(['hello']);
    expect(byTag.target).toMatchObject({ type: 'registry', digest: expect.stringMatching(/^sha256:/) });
    expect(byTag.target.image).toMatchObject({ registry: reg.host, repository: 'test/simple', tags: ['v1'] });
    const byDigest = await scanTarget(`registry:${reg.host}/test/simple@${byTag.target.digest}`, { registry: { insecure: true } });
    expect(byDigest.packages.map((p) => p.name)).toEqual(['hello']);
  });

  it('auto-detects a registry reference without a scheme', async () => {
    const inv = await scanTarget(`${reg.host}/test/simple:v1`, { registry: { insecure: true } });
    expect(inv.target.type).toBe('registry');
  });

  it('decompresses zstd layers', async () => {
    const inv = await scanTarget(`registry:${reg.host}/test/zstd:v1`, { registry: { insecure: true } });
    expect(inv.packages.map((p) => p.name)).toEqual(['zstd-pkg']);
    expect(inv.target.image?.layers[0].mediaType).toBe('application/vnd.oci.image.layer.v1.tar+zstd');
  });

  const platforms: [string | undefined, string, string][] = [
    [undefined, 'amd-only', 'Debian:12'],
    ['linux/amd64', 'amd-only', 'Debian:12'],
    ['linux/arm64', 'arm-only', 'Ubuntu:22.04:LTS'],
    ['linux/arm64/v8', 'arm-only', 'Ubuntu:22.04:LTS'],
  ];
  it.each(platforms)('picks platform %s from an OCI index', async (platform, pkg, ecosystem) => {
    const inv = await scanTarget(`registry:${reg.host}/test/multi:latest`, { platform, registry: { insecure: true } });
    expect(inv.packages.map((p) => p.name)).toEqual([pkg]);
    expect(inv.os?.ecosystem).toBe(ecosystem);
  });

  const failures: [string, () => string, { insecure?: boolean; platform?: string }, RegExp][] = [
    ['a platform the index lacks', () => `registry:${reg.host}/test/multi:latest`, { insecure: true, platform: 'linux/s390x' }, /no image for platform linux\/s390x; available: linux\/amd64, linux\/arm64\/v8/],
    ['a missing tag', () => `registry:${reg.host}/test/simple:nope`, { insecure: true }, /manifest nope: not found in the registry/],
    ['a missing repository', () => `registry:${reg.host}/test/none:v1`, { insecure: true }, /not found in the registry/],
    ['TLS to a plain-HTTP registry', () => `registry:${reg.host}/test/simple:v1`, {}, /cannot reach registry/],
    ['--insecure-registry off loopback', () => 'registry:registry.example.com/test/simple:v1', { insecure: true }, /only allowed for loopback registries/],
    ['an invalid reference', () => `registry:${reg.host}/Test/UPPER:v1`, { insecure: true }, /invalid repository name/],
  ];
  it.each(failures)('fails clearly for %s', async (_name, target, opts, message) => {
    const err = await scanTarget(target(), { platform: opts.platform, registry: { insecure: opts.insecure } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetError);
    expect((err as Error).message).toMatch(message);
  });
});

describe('basic auth', () => {
  let reg: TestRegistry;
  const creds = { username: 'scanner', password: 's3cret' };
  beforeAll(async () => {
    reg = await startRegistry({ basicAuth: creds });
    registries.push(reg);
    await reg.push(`${join(work, 'simple')}:v1`, 'test/private:v1');
  });

  it('refuses without credentials, naming the problem', async () => {
    const err = await scanTarget(`registry:${reg.host}/test/private:v1`, { registry: { insecure: true, env: {}, dockerConfigDir: join(work, 'none') } }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/requires a username and password \(basic auth\); none were found/);
  });

  it('uses credentials from options', async () => {
    const inv = await scanTarget(`registry:${reg.host}/test/private:v1`, { registry: { insecure: true, credentials: creds } });
    expect(inv.packages.map((p) => p.name)).toEqual(['hello']);
  });

  it('uses credentials from the environment', async () => {
    const env = { VIGIL_REGISTRY_USERNAME: creds.username, VIGIL_REGISTRY_PASSWORD: creds.password };
    const inv = await scanTarget(`registry:${reg.host}/test/private:v1`, { registry: { insecure: true, env } });
    expect(inv.packages.map((p) => p.name)).toEqual(['hello']);
  });

  it('uses credentials from docker config.json', async () => {
    const dir = join(work, 'docker-config');
    await mkdir(dir, { recursive: true });
    const auth = Buffer.from(`${creds.username}:${creds.password}`).toString('base64');
    await writeFile(join(dir, 'config.json'), JSON.stringify({ auths: { [reg.host]: { auth } } }));
    const inv = await scanTarget(`registry:${reg.host}/test/private:v1`, { registry: { insecure: true, env: {}, dockerConfigDir: dir } });
    expect(inv.packages.map((p) => p.name)).toEqual(['hello']);
  });

  it('reports wrong credentials as refused access', async () => {
    const err = await scanTarget(`registry:${reg.host}/test/private:v1`, { registry: { insecure: true, credentials: { username: 'scanner', password: 'wrong' } } }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/registry refused access \(HTTP 401\)/);
  });
});

describe('bearer token auth', () => {
  let reg: TestRegistry;
  let tokenServer: Server;
  const issued: string[] = [];

  beforeAll(async () => {
    requireComponent('openssl');
    const key = join(work, 'token-key.pem');
    const cert = join(work, 'token-cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-subj', '/CN=vigil-token', '-days', '2'], { stdio: 'ignore' });
    const keyPem = await readFile(key, 'utf8');
    const certPem = await readFile(cert, 'utf8');
    const der = certPem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, '');
    const port = await freePort();
    const b64url = (s: string | Buffer) => Buffer.from(s).toString('base64url');
    tokenServer = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const basic = req.headers.authorization === `Basic ${Buffer.from('scanner:t0ken').toString('base64')}`;
      if (!basic) {
        res.writeHead(401).end();
        return;
      }
      const [, name, actions] = (url.searchParams.get('scope') ?? '').split(':');
      const now = Math.floor(Date.now() / 1000);
      const header = b64url(JSON.stringify({ typ: 'JWT', alg: 'RS256', x5c: [der] }));
      const claims = b64url(
        JSON.stringify({ iss: 'vigil-test-issuer', sub: 'scanner', aud: url.searchParams.get('service'), exp: now + 300, nbf: now - 10, iat: now, jti: randomUUID(), access: [{ type: 'repository', name, actions: actions.split(',') }] }),
      );
      const signature = createSign('RSA-SHA256').update(`${header}.${claims}`).sign(keyPem).toString('base64url');
      const token = `${header}.${claims}.${signature}`;
      issued.push(url.searchParams.get('scope') ?? '');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token }));
    });
    await new Promise<void>((r) => tokenServer.listen(port, '127.0.0.1', r));
    reg = await startRegistry({ tokenAuth: { realm: `http://127.0.0.1:${port}/token`, service: 'vigil-registry', issuer: 'vigil-test-issuer', rootCertBundle: certPem } });
    registries.push(reg);
    // skopeo logs in through the token service in this process: run it without blocking the loop.
    await sh('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', '--dest-creds', 'scanner:t0ken', `oci:${join(work, 'simple')}:v1`, `docker://${reg.host}/test/tokened:v1`]);
  });
  afterAll(() => new Promise<void>((r) => tokenServer.close(() => r())));

  it('exchanges credentials for a pull token and reads the image', async () => {
    issued.length = 0;
    const inv = await scanTarget(`registry:${reg.host}/test/tokened:v1`, { registry: { insecure: true, credentials: { username: 'scanner', password: 't0ken' } } });
    expect(inv.packages.map((p) => p.name)).toEqual(['hello']);
    expect(issued).toEqual(['repository:test/tokened:pull']);
  });

  it('fails clearly when the token service refuses', async () => {
    const err = await scanTarget(`registry:${reg.host}/test/tokened:v1`, { registry: { insecure: true, credentials: { username: 'scanner', password: 'nope' } } }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/token service 127\.0\.0\.1:\d+ refused \(HTTP 401\)/);
  });
});

describe('test registry notifications (used by continuous-scanning tests)', () => {
  it('POSTs a push event with the repository, tag and digest to the given endpoint', async () => {
    const events: { auth?: string; body: string }[] = [];
    const sink = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        events.push({ auth: req.headers.authorization, body });
        res.writeHead(200).end();
      });
    });
    const port = await freePort();
    await new Promise<void>((r) => sink.listen(port, '127.0.0.1', r));
    try {
      const reg = await startRegistry({ notificationsUrl: `http://127.0.0.1:${port}/hooks/registry`, notificationsToken: 'hook-token' });
      registries.push(reg);
      await reg.push(`${join(work, 'simple')}:v1`, 'test/notified:v1');
      const deadline = Date.now() + 20_000;
      const pushed = () =>
        events
          .flatMap((e) => (JSON.parse(e.body) as { events: { action: string; target: { repository: string; tag?: string; digest: string; mediaType: string } }[] }).events)
          .find((e) => e.action === 'push' && e.target.tag === 'v1');
      while (!pushed() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      expect(pushed()?.target).toMatchObject({ repository: 'test/notified', tag: 'v1', digest: expect.stringMatching(/^sha256:/) });
      expect(events[0].auth).toBe('Bearer hook-token');
    } finally {
      await new Promise<void>((r) => sink.close(() => r()));
    }
  });
});
