/**
 * Usage errors exit 2 with commander's one-line message and a hint naming the command's
 * help, never the whole help text and never 1 (which means "--fail-on met" to a pipeline);
 * a target with an unknown scheme, or a local one with nothing at its path, says so before any
 * database is opened or downloaded.
 */
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertKnownScheme, assertTargetPresent } from '../../src/inventory/index.js';
import { runVigil } from '../helpers/cli.js';

describe('usage errors', () => {
  it.each<[string, string[], string]>([
    ['an unknown option', ['scan', '--fial-on', 'HIGH', 'dir:.'], "error: unknown option '--fial-on'\n(Did you mean --fail-on?)\nTry 'vigil scan --help'.\n"],
    ['a missing argument', ['scan'], "error: missing required argument 'target'\nTry 'vigil scan --help'.\n"],
    ['a missing option value', ['scan', 'dir:.', '--fail-on'], "error: option '--fail-on <severity>' argument missing\nTry 'vigil scan --help'.\n"],
    ['an unknown option of a subcommand', ['db', 'update', '--bogus'], "error: unknown option '--bogus'\nTry 'vigil db update --help'.\n"],
    ['an unknown command', ['sacn'], "error: unknown command 'sacn'\n(Did you mean scan?)\nTry 'vigil --help'.\n"],
  ])('%s exits 2 with a one-line hint', async (_name, args, stderr) => {
    const res = await runVigil(args);
    expect(res).toEqual({ code: 2, stdout: '', stderr });
  });

  it('a bad value exits 2 naming the flag', async () => {
    const res = await runVigil(['scan', 'dir:.', '--fail-on', 'SEVERE', '--offline', '--vulndb', '/nonexistent.sqlite']);
    expect(res.code).toBe(2);
    expect(res.stderr).toBe('vigil: --fail-on "SEVERE": expected one of CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL, UNTRIAGED\n');
  });

  it('--help still exits 0 with the help on stdout', async () => {
    const res = await runVigil(['scan', '--help']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^Usage: vigil scan \[options\] <target>/);
  });
});

describe('target schemes', () => {
  it.each([['dri:/tmp'], ['regsitry:localhost:5000/app:1'], ['oci:/tmp/layout']])('%s is an unknown scheme, not a registry host', async (target) => {
    const scheme = target.slice(0, target.indexOf(':') + 1);
    // The database does not exist: the scheme is checked before it is opened (or downloaded).
    const res = await runVigil(['scan', target, '--offline', '--vulndb', '/nonexistent.sqlite']);
    expect(res.code).toBe(2);
    expect(res.stderr).toBe(`vigil: ${target}: unknown target scheme '${scheme}' (known: dir, oci-dir, docker-archive, oci-archive, registry, sbom, file, ssh; or give a path)\n`);
  });

  it.each([['localhost:5000/app'], ['registry.example.com:5000/team/app:1'], ['registry.example.com/app:1'], ['alpine:3.19'], ['dir:/tmp'], ['/tmp']])('%s is still a known scheme, an image reference or a path', (target) => {
    expect(() => assertKnownScheme(target)).not.toThrow();
  });
});

describe('targets with nothing at their path', () => {
  // Under a directory that exists, so that nothing a failed run leaves behind can stand in for them.
  const missing = join(tmpdir(), `vigil-missing-${process.pid}`);
  it.each([
    ['file:MISSING/package-lock.json', 'no such file or directory'],
    ['dir:MISSING', 'no such file or directory'],
    ['oci-dir:MISSING/layout:app', 'no such file or directory'],
    ['docker-archive:MISSING/app.tar', 'no such file or directory'],
    ['sbom:MISSING/bom.json', 'no such file or directory'],
    ['MISSING/package-lock.json', 'no such file or directory (for an image in a registry, write registry:HOST/REPO[:TAG])'],
  ])('%s fails at once, before the advisory database is downloaded', async (pattern, reason) => {
    const target = pattern.replace('MISSING', missing);
    // No --offline and no database: only the target's check keeps the scan from downloading one.
    const res = await runVigil(['scan', target, '--vulndb', join(missing, 'vulndb.sqlite')]);
    expect(res.code).toBe(2);
    expect(res.stderr).toBe(`vigil: ${target}: ${reason}\n`);
    expect(existsSync(missing)).toBe(false);
  });

  it.each([['oci-dir:/tmp:app'], ['registry.example.com/app:1'], ['registry:localhost:5000/app'], ['ssh:root@host/'], ['/tmp']])('%s is left to the scan (present, tagged, or remote)', (target) => {
    expect(() => assertTargetPresent(target)).not.toThrow();
  });
});
