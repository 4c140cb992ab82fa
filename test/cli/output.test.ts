/**
 * writeWholeOutput writes straight to a file descriptor, and hands what it could not write to
 * the fallback stream (which is how the process's standard output reports a failed write).
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeWholeOutput } from '../../src/cli/output.js';

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
