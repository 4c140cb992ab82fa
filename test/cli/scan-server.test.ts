/**
 * `vigil scan --server` as CI runs it, against a real server on loopback: the gate and the
 * output follow the server's verdict (an organization rule suppressing minimist), a local
 * ignore file is reported as local-only, and the resource gets a stable name (git remote and
 * path, or --name/--tag) with where the result went printed on stderr.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runVigil } from '../helpers/cli.js';
import { debianImages } from '../helpers/images.js';
import { dialectCases } from '../helpers/postgres.js';
import { startTestApp, type TestApp } from '../server/harness.js';

interface Stored {
  id: string;
  type: string;
  name: string;
  tags: Record<string, string>;
  image?: object;
}

const lockfile = JSON.stringify({
  name: 'shop',
  version: '1.0.0',
  lockfileVersion: 3,
  packages: { '': { name: 'shop', version: '1.0.0' }, 'node_modules/lodash': { version: '4.17.15' }, 'node_modules/minimist': { version: '1.2.0' } },
});

describe.each(dialectCases().filter((d) => d.name === 'sqlite'))('vigil scan --server on $name', (dialect) => {
  let t: TestApp;
  let url: string;
  let work: string;
  let checkout: string;

  beforeAll(async () => {
    t = await startTestApp(dialect);
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const addr = t.app.server.address();
    url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    work = mkdtempSync(join(tmpdir(), 'vigil-scan-server-'));
    // A git checkout with the project in a subfolder, as a CI job clones it (per-job path).
    checkout = join(work, 'job-4711', 'shop');
    mkdirSync(join(checkout, '.git'), { recursive: true });
    writeFileSync(join(checkout, '.git', 'config'), '[core]\n\tbare = false\n[remote "origin"]\n\turl = https://ci-bot:s3cret@GitHub.com/acme/shop.git\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n');
    mkdirSync(join(checkout, 'web'));
    writeFileSync(join(checkout, 'web', 'package-lock.json'), lockfile);
    const rule = await t.call(t.keys.admin.admin, {
      method: 'POST',
      url: '/api/v1/suppression-rules',
      payload: { name: 'minimist-not-reachable', reason: 'argv parsing only, no untrusted input', scope: 'ORGANIZATION', filterCriteria: { packageName: [{ comparison: 'EQUALS', value: 'minimist' }] } },
    });
    expect(rule.statusCode).toBe(201);
  });
  afterAll(async () => {
    await t?.close();
    rmSync(work, { recursive: true, force: true });
  });

  async function resources(): Promise<Stored[]> {
    const res = await t.call(t.keys.acme.viewer, { method: 'GET', url: '/api/v1/resources' });
    return res.json().resources as Stored[];
  }

  it('gates and prints on the server verdict: the rule-suppressed finding neither fails --fail-on nor prints as open', async () => {
    // Only minimist: every finding is suppressed on the server, so even the lowest gate passes.
    const cli = join(checkout, 'cli');
    mkdirSync(cli);
    writeFileSync(join(cli, 'package-lock.json'), JSON.stringify({ lockfileVersion: 3, packages: { '': { name: 'cli' }, 'node_modules/minimist': { version: '1.2.0' } } }));
    const res = await runVigil(['scan', `dir:${cli}`, '--server', url, '--format', 'json', '--fail-on', 'UNTRIAGED'], { env: { VIGIL_API_KEY: t.keys.acme.scanner } });
    expect(res.code).toBe(0);
    const out = JSON.parse(res.stdout) as { findings: unknown[]; suppressed: { id: string; reason: string }[] };
    expect(out.findings).toEqual([]);
    expect(out.suppressed).toEqual([{ id: 'CVE-2021-44906', package: 'pkg:npm/minimist@1.2.0', reason: 'server rule "minimist-not-reachable": argv parsing only, no untrusted input' }]);

    // lodash is not suppressed: the same gate fails, and the table shows minimist under Suppressed only.
    const gated = await runVigil(['scan', `dir:${join(checkout, 'web')}`, '--server', url, '--fail-on', 'UNTRIAGED'], { env: { VIGIL_API_KEY: t.keys.acme.scanner } });
    expect(gated.code).toBe(1);
    expect(gated.stdout).toMatch(/Suppressed \(1\)\n {2}CVE-2021-44906 {2}pkg:npm\/minimist@1\.2\.0 {2}server rule "minimist-not-reachable"/);
    expect(gated.stdout.split('Suppressed')[0]).not.toContain('minimist');
    expect(gated.stdout.split('Suppressed')[0]).toContain('lodash');

    const stored = (await t.call(t.keys.acme.viewer, { method: 'POST', url: '/api/v1/findings/search', payload: {} })).json().findings as { status: string }[];
    expect(stored.map((f) => f.status).sort()).toEqual(['ACTIVE', 'SUPPRESSED', 'SUPPRESSED']);
  });

  it('names the resource by git remote and path (credentials dropped), the same from any job path, and says where the result went', async () => {
    const again = join(work, 'job-4712', 'shop');
    mkdirSync(join(again, '.git'), { recursive: true });
    writeFileSync(join(again, '.git', 'config'), '[remote "upstream"]\n\turl = git@example.org:fork/shop.git\n[remote "origin"]\n\turl = git@github.com:acme/shop.git\n');
    mkdirSync(join(again, 'web'));
    writeFileSync(join(again, 'web', 'package-lock.json'), lockfile);
    const res = await runVigil(['scan', `dir:${join(again, 'web')}`, '--server', url], { env: { VIGIL_API_KEY: t.keys.acme.scanner } });
    expect(res.code).toBe(0);
    const repo = (await resources()).filter((r) => r.type === 'REPOSITORY' && r.name.endsWith('/web'));
    expect(repo.map((r) => r.name)).toEqual(['github.com/acme/shop/web']);
    const id = repo[0].id;
    expect(res.stderr).toMatch(new RegExp(`^vigil: filed as REPOSITORY github\\.com/acme/shop/web \\(resource ${id}, account acme\\), scan [0-9a-f-]{36}: 0 new, 0 reopened, 0 closed, 0 suppressed by rules\\n`));
    expect(res.stderr).toContain(`vigil: ${url}/findings?resource=${id}&status=ACTIVE\n`);
    expect(res.stderr).not.toMatch(/s3cret|ci-bot/);
  });

  it('takes --name and --tag, and reports a local ignore entry as local-only', async () => {
    writeFileSync(join(work, 'ignore.yaml'), 'ignore:\n  - id: CVE-2020-8203\n    reason: lodash template is not used\n');
    const res = await runVigil(
      ['scan', `dir:${join(checkout, 'web')}`, '--server', url, '--name', 'shop-web', '--tag', 'team=payments', '--tag', 'env=prod', '--ignore-file', join(work, 'ignore.yaml'), '--format', 'json', '--fail-on', 'UNTRIAGED'],
      { env: { VIGIL_API_KEY: t.keys.acme.scanner } },
    );
    expect(res.code).toBe(0);
    const out = JSON.parse(res.stdout) as { findings: unknown[]; suppressed: { id: string; reason: string }[] };
    expect(out.findings).toEqual([]);
    expect(out.suppressed.map((s) => s.reason).sort()).toEqual([`local only (${join(work, 'ignore.yaml')}): lodash template is not used`, 'server rule "minimist-not-reachable": argv parsing only, no untrusted input']);
    expect(res.stderr).toMatch(/vigil: filed as REPOSITORY shop-web \(resource \S+, account acme\), scan \S+: 2 new, 0 reopened, 0 closed, 1 suppressed by rules\n/);
    expect(res.stderr).toMatch(/1 finding ignored by .*ignore\.yaml in this report and gate only: the server keeps it ACTIVE/);
    expect((await resources()).find((r) => r.name === 'shop-web')).toMatchObject({ type: 'REPOSITORY', tags: { team: 'payments', env: 'prod' } });
  });

  it('names an SBOM by the component it describes', async () => {
    const sbom = join(work, 'bom.json');
    writeFileSync(
      sbom,
      JSON.stringify({
        bomFormat: 'CycloneDX',
        specVersion: '1.6',
        metadata: { component: { type: 'application', name: 'billing-api', version: '2.4.1' } },
        components: [{ type: 'library', name: 'lodash', version: '4.17.15', purl: 'pkg:npm/lodash@4.17.15' }],
      }),
    );
    const res = await runVigil(['scan', `sbom:${sbom}`, '--server', url], { env: { VIGIL_API_KEY: t.keys.acme.scanner } });
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/^vigil: filed as PACKAGE_ARCHIVE billing-api@2\.4\.1 /);
    expect(res.stderr).not.toMatch(/named after a local path/);
  });

  it('names a docker archive by its RepoTags and records its repository and digest', async () => {
    const images = await debianImages();
    const res = await runVigil(['scan', `docker-archive:${images.dockerArchive('bookworm-node')}`, '--server', url], { env: { VIGIL_API_KEY: t.keys.acme.scanner } });
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/^vigil: filed as CONTAINER_IMAGE 127\.0\.0\.1:5000\/test\/debian:bookworm-node /);
    const image = (await resources()).filter((r) => r.type === 'CONTAINER_IMAGE');
    expect(image).toEqual([
      expect.objectContaining({ name: '127.0.0.1:5000/test/debian:bookworm-node', image: { registry: '127.0.0.1:5000', repository: 'test/debian', digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/), tags: ['bookworm-node'] } }),
    ]);
  }, 600_000);

  it('hints at --name when only a local path names the resource', async () => {
    const plain = join(work, 'plain');
    mkdirSync(plain);
    writeFileSync(join(plain, 'package-lock.json'), lockfile);
    const res = await runVigil(['scan', `dir:${plain}`, '--server', url], { env: { VIGIL_API_KEY: t.keys.acme.scanner } });
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(new RegExp(`filed as REPOSITORY ${plain} `));
    expect(res.stderr).toMatch(/named after a local path, which may change between runs: pass --name/);
  });

  it.each<[string, string[], RegExp]>([
    ['--name without --server', ['--name', 'x'], /--name, --tag and --account name the resource on a server: use them with --server/],
    ['a malformed tag', ['--server', 'http://127.0.0.1:1', '--tag', 'team'], /--tag "team": expected key=value/],
  ])('refuses %s with exit 2', async (_name, flags, message) => {
    const res = await runVigil(['scan', `dir:${checkout}`, ...flags], { env: { VIGIL_API_KEY: t.keys.acme.scanner } });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(message);
  });
});
