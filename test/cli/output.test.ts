/**
 * writeWholeOutput writes straight to a file descriptor, and hands what it could not write to
 * the fallback stream (which is how the process's standard output reports a failed write); a
 * reader that closes the pipe early ends the CLI with its command's exit code, quietly.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeWholeOutput } from '../../src/cli/output.js';
import { advisory, writeAdvisoryDb } from '../helpers/tiny-advisory-db.js';
import { vulndataDir } from '../vulndb/shared-db.js';

describe('writeWholeOutput', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-output-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function fallback(): { chunks: Buffer[]; write(chunk: Uint8Array): boolean } {
    const chunks: Buffer[] = [];
    return { chunks, write: (chunk) => chunks.push(Buffer.from(chunk)) > 0 };
  }

  it('writes the whole text, multi-byte characters included, to the descriptor', () => {
    const path = join(dir, 'out.txt');
    const fd = openSync(path, 'w');
    const rest = fallback();
    try {
      writeWholeOutput(`${'é'.repeat(70_000)}\n<\n`, fd, rest);
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(path, 'utf8')).toBe(`${'é'.repeat(70_000)}\n<\n`);
    expect(rest.chunks).toEqual([]);
  });

  it('hands the text to the fallback when the descriptor refuses it', () => {
    const path = join(dir, 'read-only.txt');
    writeFileSync(path, '');
    const fd = openSync(path, 'r');
    const rest = fallback();
    try {
      writeWholeOutput('> \n', fd, rest);
    } finally {
      closeSync(fd);
    }
    expect(Buffer.concat(rest.chunks).toString('utf8')).toBe('> \n');
    expect(readFileSync(path, 'utf8')).toBe('');
  });
});

describe('a reader that closes the pipe early', () => {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const lockfile = join(vulndataDir, 'demo/npm-project/package-lock.json');
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-epipe-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs the CLI with its standard output's reader closed before it writes, as `| head -c0` would. */
  function closedReader(args: string[]): Promise<{ code: number | null; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', `${root}/src/cli/main.ts`, ...args], { cwd: root, env: { ...process.env, VIGIL_LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.destroy();
      const err: Buffer[] = [];
      child.stderr.on('data', (c: Buffer) => err.push(c));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stderr: Buffer.concat(err).toString('utf8') }));
    });
  }

  it('ends a scan with its own exit code and no stack trace: 0, or 1 when --fail-on is met', async () => {
    const vulndb = writeAdvisoryDb(join(dir, 'vulndb.sqlite'), [
      advisory('GHSA-test-0001', 'npm', '@babel/code-frame', [[{ introduced: '0' }, { fixed: '7.12.13' }]], { aliases: ['CVE-2026-0001'], severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N' }] }),
    ]);
    const scan = ['scan', `file:${lockfile}`, '--vulndb', vulndb, '--offline', '--format', 'json'];
    const [quiet, failing] = await Promise.all([closedReader(scan), closedReader([...scan, '--fail-on', 'HIGH'])]);
    expect(quiet).toEqual({ code: 0, stderr: '' });
    expect(failing).toEqual({ code: 1, stderr: 'vigil: findings at or above HIGH: failing (--fail-on HIGH)\n' });
  });

  it('ends an SBOM and the help with exit code 0 and nothing on standard error', async () => {
    const [sbom, help] = await Promise.all([closedReader(['sbom', `file:${lockfile}`, '--format', 'cyclonedx-json']), closedReader(['--help'])]);
    expect(sbom).toEqual({ code: 0, stderr: '' });
    expect(help).toEqual({ code: 0, stderr: '' });
  });
});
