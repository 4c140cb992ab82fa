/**
 * The service's commands as a user runs them: `vigil admin`, `vigil server` (first start
 * prints the bootstrap key once; the API answers with it) and `vigil scan --server`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runVigil } from '../helpers/cli.js';
import { dialectCases } from '../helpers/postgres.js';
import { startTestApp, type TestApp } from './harness.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Starts `vigil server` and resolves with its first lines once it is listening. */
function startServer(args: string[]): Promise<{ out: string; stop(): Promise<number | null> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', `${root}/src/cli/main.ts`, 'server', ...args], {
      cwd: root,
      env: { ...process.env, VIGIL_LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out} ${err}`)), 60_000);
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (/Vigil is running at .*\n(.|\n)*Database: .*\n/.test(out)) {
        clearTimeout(timer);
        resolve({
          out,
          stop: () =>
            new Promise((done) => {
              child.on('exit', (code) => done(code));
              child.kill('SIGTERM');
            }),
        });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${out} ${err}`));
    });
  });
}

describe('vigil admin and vigil server', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-cli-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the bootstrap key on the first start only, and the key works', async () => {
    const db = `sqlite:${join(dir, 'server.db')}`;
    const first = await startServer(['--listen', '127.0.0.1:0', '--database', db, '--vulndb', join(dir, 'none.sqlite')]);
    const key = /^\s+(vgl_\S+)$/m.exec(first.out)?.[1];
    const url = /Vigil is running at (http:\/\/\S+?)\/ /.exec(first.out)?.[1];
    expect(key).toBeDefined();
    expect(first.out).toMatch(/Scans are unavailable: no advisory database/);
    const accounts = await fetch(`${url}/api/v1/accounts`, { headers: { authorization: `Bearer ${key}` } });
    expect(await accounts.json()).toEqual({ accounts: [expect.objectContaining({ id: 'admin', delegatedAdmin: true })] });
    const scan = await fetch(`${url}/api/v1/scans`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ image: 'registry:127.0.0.1:1/x:1' }) });
    expect(scan.status).toBe(503);
    expect(await first.stop()).toBe(0);

    const second = await startServer(['--listen', '127.0.0.1:0', '--database', db, '--vulndb', join(dir, 'none.sqlite')]);
    expect(second.out).not.toMatch(/vgl_/);
    await second.stop();

    const created = await runVigil(['admin', 'create-account', 'acme', '--database', db]);
    expect(created).toMatchObject({ code: 0, stdout: 'acme\n' });
    const made = await runVigil(['admin', 'create-key', '--account', 'acme', '--role', 'scanner', '--name', 'ci', '--database', db]);
    expect(made.code).toBe(0);
    expect(made.stdout).toMatch(/^vgl_[A-Za-z0-9]{12}_[A-Za-z0-9_-]{43}\n$/);
    const keys = await runVigil(['admin', 'list-keys', '--account', 'acme', '--database', db]);
    expect(keys.stdout).toMatch(/\tacme\tscanner\tactive\tci\n/);
    // The secret is everything after the id: base64url, so it may hold '_' itself.
    const secret = made.stdout.trim().slice('vgl_'.length + 12 + 1);
    expect(secret).toHaveLength(43);
    expect(keys.stdout).not.toContain(secret);
  });

  it.each<[string, string[], RegExp]>([
    ['an unknown role', ['admin', 'create-key', '--account', 'admin', '--role', 'root'], /--role root: expected one of admin, viewer, scanner/],
    ['an unknown account', ['admin', 'create-key', '--account', 'nobody', '--role', 'viewer', '--create-database'], /account nobody does not exist/],
    ['a malformed account id', ['admin', 'create-account', 'Bad Name', '--create-database'], /account id "Bad Name" must be/],
    [
      'a database that does not exist (the default path is relative to the working directory)',
      ['admin', 'list-accounts', '--database', 'sqlite:no-such-dir/vigil.db'],
      /^vigil: no service database at \/\S+\/no-such-dir\/vigil\.db \(sqlite:no-such-dir\/vigil\.db is relative to the working directory\): run vigil admin where vigil server runs, pass --database \(or \$VIGIL_DATABASE\) naming the server's, or --create-database to start a new one\n$/,
    ],
    ['a bad listen address', ['server', '--listen', 'localhost:99999'], /port must be 0-65535/],
    ['an unsupported database URL', ['server', '--database', 'mysql://x/y'], /unsupported database URL/],
  ])('refuses %s with exit 2', async (_name, args, message) => {
    const db = ['--database', `sqlite:${join(dir, 'errors.db')}`];
    const res = await runVigil(args.includes('--database') ? args : [...args, ...db]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(message);
  });
});

describe.each(dialectCases().filter((d) => d.name === 'sqlite'))('vigil scan --server on $name', (dialect) => {
  let t: TestApp;
  let url: string;
  let work: string;
  beforeAll(async () => {
    t = await startTestApp(dialect);
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const addr = t.app.server.address();
    url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    work = mkdtempSync(join(tmpdir(), 'vigil-scan-server-'));
    mkdirSync(join(work, 'app'));
    writeFileSync(
      join(work, 'app', 'package-lock.json'),
      JSON.stringify({
        name: 'app',
        version: '1.0.0',
        lockfileVersion: 3,
        packages: { '': { name: 'app', version: '1.0.0' }, 'node_modules/lodash': { version: '4.17.15' }, 'node_modules/minimist': { version: '1.2.0' } },
      }),
    );
  });
  afterAll(async () => {
    await t?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('sends the inventory and reports the server result', async () => {
    const res = await runVigil(['scan', `dir:${join(work, 'app')}`, '--server', url, '--format', 'json'], { env: { VIGIL_API_KEY: t.keys.acme.scanner } });
    expect(res.stderr).toMatch(/^vigil: filed as REPOSITORY .*app \(resource /);
    expect(res.code).toBe(0);
    const out = JSON.parse(res.stdout) as { findings: { id: string }[] };
    expect(out.findings.map((f) => f.id).sort()).toEqual(['CVE-2020-8203', 'CVE-2021-44906']);
    const stored = await t.call(t.keys.acme.viewer, { method: 'POST', url: '/api/v1/findings/search', payload: {} });
    expect(stored.json().findings).toHaveLength(2);
    expect(stored.json().findings[0].resource.type).toBe('REPOSITORY');
  });

  it.each<[string, string[], Record<string, string>, RegExp]>([
    ['no key', [], {}, /--server needs --api-key/],
    ['a viewer key', ['--api-key'], { role: 'viewer' }, /HTTP 403/],
    ['a revoked-looking key', ['--api-key', 'vgl_AAAAAAAAAAAA_' + 'A'.repeat(43)], {}, /HTTP 401/],
  ])('fails clearly with %s', async (_name, extra, opts, message) => {
    const args = extra[0] === '--api-key' && extra.length === 1 ? ['--api-key', t.keys.acme[opts.role as 'viewer']] : extra;
    const res = await runVigil(['scan', `dir:${join(work, 'app')}`, '--server', url, ...args], { env: { VIGIL_API_KEY: '' } });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(message);
  });
});
