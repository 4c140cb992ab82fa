/**
 * Blob digests computed on the digest worker: the digest and length of files (empty, one read,
 * several reads), a file longer than allowed, an abort (rejected with its reason once the worker
 * has stopped, and the worker still serving the next job), a descriptor that cannot be read (a
 * directory), several files hashed at once, and a process whose evaluated code is a module (the
 * worker's code must not depend on which it is); and the same on the calling thread, for where
 * no worker can start.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, open, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashFile, hashInThread } from '../../src/inventory/sources/file-digest.js';

let dir: string;
const files: Record<string, Buffer> = {
  empty: Buffer.alloc(0),
  small: Buffer.from('hello\n'),
  // Several 1 MiB reads and a partial one: progress is reported in 4 MiB steps and at the end.
  large: randomBytes(9 * 1024 * 1024 + 123),
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-file-digest-'));
  for (const [name, data] of Object.entries(files)) await writeFile(join(dir, name), data);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function withFile<T>(name: string, fn: (file: FileHandle) => Promise<T>): Promise<T> {
  const file = await open(join(dir, name), 'r');
  try {
    return await fn(file);
  } finally {
    await file.close();
  }
}

describe('hashFile', () => {
  it.each(Object.keys(files))('gives the digest and length of the %s file, reporting every byte read', async (name) => {
    const data = files[name];
    let reported = 0;
    const result = await withFile(name, (file) => hashFile(file.fd, 'sha256', undefined, (n) => (reported += n)));
    expect(result).toEqual({ hex: createHash('sha256').update(data).digest('hex'), bytes: data.length });
    expect(reported).toBe(data.length);
  });

  it.each(Object.keys(files))('gives the same for the %s file on the calling thread (where no worker can start)', async (name) => {
    await withFile(name, async (file) => {
      let reported = 0;
      expect(await hashInThread(file.fd, 'sha256', undefined, (n) => (reported += n))).toEqual(await hashFile(file.fd, 'sha256'));
      expect(reported).toBe(files[name].length);
      expect(await hashInThread(file.fd, 'sha256', files[name].length - 1)).toEqual(files[name].length > 0 ? { tooLarge: true } : { hex: createHash('sha256').digest('hex'), bytes: 0 });
      const abort = new AbortController();
      abort.abort(new Error('scan stopped'));
      await expect(hashInThread(file.fd, 'sha256', undefined, undefined, abort.signal)).rejects.toThrow('scan stopped');
    });
  });

  it('hashes with the digest algorithm asked for', async () => {
    const result = await withFile('small', (file) => hashFile(file.fd, 'sha512'));
    expect(result).toEqual({ hex: createHash('sha512').update(files.small).digest('hex'), bytes: files.small.length });
  });

  it('stops at more bytes than allowed, and allows exactly as many', async () => {
    await withFile('large', async (file) => {
      expect(await hashFile(file.fd, 'sha256', files.large.length - 1)).toEqual({ tooLarge: true });
      expect(await hashFile(file.fd, 'sha256', files.large.length)).toMatchObject({ bytes: files.large.length });
    });
  });

  it('rejects an aborted job with the reason, and serves the next one', async () => {
    await withFile('large', async (file) => {
      const abort = new AbortController();
      const job = hashFile(file.fd, 'sha256', undefined, undefined, abort.signal);
      abort.abort(new Error('scan stopped'));
      await expect(job).rejects.toThrow('scan stopped');
      const already = new AbortController();
      already.abort(new Error('stopped before'));
      expect(() => hashFile(file.fd, 'sha256', undefined, undefined, already.signal)).toThrow('stopped before');
      expect(await hashFile(file.fd, 'sha256')).toMatchObject({ bytes: files.large.length });
    });
  });

  it('rejects a descriptor that cannot be read, with the error of the read', async () => {
    const handle = await open(dir, 'r');
    try {
      await expect(hashFile(handle.fd, 'sha256')).rejects.toMatchObject({ code: 'EISDIR' });
    } finally {
      await handle.close();
    }
  });

  it('works in a process whose evaluated code is a module (`node --input-type=module -e`)', () => {
    const url = new URL('../../src/inventory/sources/file-digest.ts', import.meta.url).href;
    const script = `import { hashFile } from ${JSON.stringify(url)};
import { open } from 'node:fs/promises';
const file = await open(process.argv[1], 'r');
console.log(JSON.stringify(await hashFile(file.fd, 'sha256')));
await file.close();`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, join(dir, 'small')], { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ hex: createHash('sha256').update(files.small).digest('hex'), bytes: files.small.length });
  });

  it('hashes several files at once, each with its own result', async () => {
    const names = ['large', 'small', 'empty', 'large'];
    const handles = await Promise.all(names.map((name) => open(join(dir, name), 'r')));
    try {
      const results = await Promise.all(handles.map((h) => hashFile(h.fd, 'sha256')));
      expect(results).toEqual(names.map((name) => ({ hex: createHash('sha256').update(files[name]).digest('hex'), bytes: files[name].length })));
    } finally {
      await Promise.all(handles.map((h) => h.close()));
    }
  });
});
