/**
 * The layer path's tar reader against archives written by GNU tar (gnu and pax formats): long
 * names and link targets, hard links, symlinks, whiteout files, fed whole and byte by byte;
 * and malformed or truncated input, which must be a clear error.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, link, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TarFormatError, TarReader, type TarHeader } from '../../src/inventory/tar-reader.js';

interface Seen {
  header: TarHeader;
  data?: string;
}

/** Reads `tar` in chunks of `chunk` bytes, keeping the bytes of regular files. */
function read(tar: Buffer, chunk = tar.length): Seen[] {
  const seen: Seen[] = [];
  const reader = new TarReader((header) => {
    const entry: Seen = { header };
    seen.push(entry);
    return header.type === 'file' ? (data) => (entry.data = data.toString('utf8')) : undefined;
  });
  for (let at = 0; at < tar.length; at += chunk) reader.push(tar.subarray(at, at + chunk));
  reader.end();
  return seen;
}

const LONG_DIR = `deep/${'d'.repeat(120)}/${'e'.repeat(60)}`;
const LONG_NAME = `${LONG_DIR}/${'f'.repeat(110)}.txt`;
const UNICODE = 'usr/share/doc/caf\u00e9-\u65e5\u672c.txt';

let dir: string;
const archives: Record<string, Buffer> = {};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-tar-reader-'));
  const root = join(dir, 'root');
  await mkdir(join(root, LONG_DIR), { recursive: true });
  await mkdir(join(root, 'etc'), { recursive: true });
  await mkdir(join(root, 'app/node_modules/gone'), { recursive: true });
  await mkdir(join(root, 'usr/share/doc'), { recursive: true });
  await writeFile(join(root, 'etc/os-release'), 'ID=debian\n');
  await writeFile(join(root, LONG_NAME), 'long name\n');
  await writeFile(join(root, UNICODE), 'unicode\n');
  await writeFile(join(root, 'app/big.bin'), Buffer.alloc(70_000, 'b'));
  await link(join(root, 'etc/os-release'), join(root, 'etc/os-release.hard'));
  await symlink(`../${LONG_NAME}`, join(root, 'etc/long-link'));
  await symlink('os-release', join(root, 'etc/short-link'));
  await writeFile(join(root, 'app/node_modules/.wh.gone'), '');
  await writeFile(join(root, 'app/node_modules/gone/.wh..wh..opq'), '');
  const members = ['etc', 'deep', 'usr', 'app'];
  for (const format of ['gnu', 'pax'] as const) {
    const file = join(dir, `${format}.tar`);
    execFileSync('tar', ['-C', root, `--format=${format}`, '--sort=name', '--owner=0', '--group=0', '-cf', file, ...members]);
    archives[format] = await readFile(file);
  }
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.each(['gnu', 'pax'] as const)('GNU tar, --format=%s', (format) => {
  it('reads names, types, sizes and the bytes of files, long names and link targets included', () => {
    const seen = read(archives[format]);
    const byName = new Map(seen.map((s) => [s.header.name.replace(/\/$/, ''), s]));
    expect(byName.get(LONG_NAME)).toMatchObject({ header: { type: 'file', size: 10 }, data: 'long name\n' });
    expect(byName.get(UNICODE)).toMatchObject({ header: { type: 'file' }, data: 'unicode\n' });
    expect(byName.get('etc/os-release')).toMatchObject({ header: { type: 'file', mode: 0o644 }, data: 'ID=debian\n' });
    expect(byName.get('etc/os-release.hard')?.header).toMatchObject({ type: 'link', linkname: 'etc/os-release', size: 0 });
    expect(byName.get('etc/long-link')?.header).toMatchObject({ type: 'symlink', linkname: `../${LONG_NAME}` });
    expect(byName.get('etc/short-link')?.header).toMatchObject({ type: 'symlink', linkname: 'os-release' });
    expect(byName.get('app/node_modules/.wh.gone')?.header).toMatchObject({ type: 'file', size: 0 });
    expect(byName.get('app/node_modules/gone/.wh..wh..opq')?.header).toMatchObject({ type: 'file', size: 0 });
    expect(byName.get('app/big.bin')?.data).toBe('b'.repeat(70_000));
    expect(byName.get(LONG_DIR)?.header.type).toBe('directory');
    // What `tar -t` lists, in its order: no metadata record shows up as an entry.
    const listed = execFileSync('tar', ['-tf', join(dir, `${format}.tar`)], { encoding: 'utf8' }).trim().split('\n');
    expect(seen.map((s) => s.header.name)).toEqual(listed);
  });

  it('gives the same entries whatever the chunk boundaries', () => {
    const whole = read(archives[format]);
    for (const chunk of [1, 7, 511, 513, 4096]) expect(read(archives[format], chunk)).toEqual(whole);
  });

  it('gathers an entry whole or only its head, as its sink decides, whatever the chunk boundaries', () => {
    const big = Buffer.alloc(70_000, 'b');
    const HEAD_BYTES = 64;
    for (const chunk of [1, 7, 63, 64, 65, 511, 513, 4096, archives[format].length]) {
      for (const wantWhole of [true, false]) {
        const seen: { head?: string; data?: Buffer; os?: string }[] = [];
        const reader = new TarReader((header) => {
          if (header.name === 'etc/os-release') {
            const small = Object.assign((data: Buffer) => void seen.push({ os: data.toString('utf8') }), {
              head: {
                bytes: HEAD_BYTES,
                decide: (): Buffer => {
                  throw new Error('asked about an entry no larger than its head');
                },
              },
            });
            return small;
          }
          if (header.name !== 'app/big.bin') return undefined;
          const entry: (typeof seen)[number] = {};
          seen.push(entry);
          const sink = Object.assign((data: Buffer) => (entry.data = Buffer.from(data)), {
            // Reused memory, written over by the next entry's head: what decide keeps, it copies.
            head: {
              bytes: HEAD_BYTES,
              decide: (head: Buffer) => {
                entry.head = head.toString('utf8');
                return wantWhole ? Buffer.alloc(80_000, 'x') : undefined;
              },
            },
          });
          return sink;
        });
        for (let at = 0; at < archives[format].length; at += chunk) reader.push(archives[format].subarray(at, at + chunk));
        reader.end();
        const file = seen.find((e) => e.head !== undefined)!;
        expect(file.head, `chunks of ${chunk}`).toBe('b'.repeat(HEAD_BYTES));
        expect(file.data, `chunks of ${chunk}, whole: ${wantWhole}`).toEqual(wantWhole ? big : big.subarray(0, HEAD_BYTES));
        // A small entry (no larger than the head) is gathered whole without asking.
        expect(seen.find((e) => e.os)?.os).toBe('ID=debian\n');
      }
    }
  });

  it('skips the bytes of entries nobody asked for', () => {
    const names: string[] = [];
    const reader = new TarReader((header) => {
      names.push(header.name);
      return undefined;
    });
    reader.push(archives[format]);
    reader.end();
    expect(names).toContain(LONG_NAME);
  });
});

describe('old tars', () => {
  it('accepts a header whose checksum sums its bytes as signed (a non-ASCII name), and still refuses a wrong one', () => {
    // A ustar header for UNICODE (bytes over 127), its checksum written the way old tars did.
    const header = Buffer.alloc(512);
    header.write(UNICODE, 0, 'utf8');
    header.write('0000644\0', 100, 'latin1');
    header.write(`${'0'.repeat(10)}5\0`, 124, 'latin1');
    header.write('0', 156, 'latin1');
    header.write('ustar\x0000', 257, 'latin1');
    header.fill(0x20, 148, 156);
    let signed = 0;
    let unsigned = 0;
    for (const b of header) {
      signed += b > 127 ? b - 256 : b;
      unsigned += b;
    }
    expect(signed).not.toBe(unsigned);
    const data = Buffer.alloc(512);
    data.write('hello', 0, 'latin1');
    const withSum = (sum: number) => {
      const h = Buffer.from(header);
      h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
      return Buffer.concat([h, data, Buffer.alloc(1024)]);
    };
    expect(read(withSum(signed))).toEqual([{ header: { name: UNICODE, type: 'file', size: 5, mode: 0o644 }, data: 'hello' }]);
    expect(read(withSum(unsigned))).toEqual([{ header: { name: UNICODE, type: 'file', size: 5, mode: 0o644 }, data: 'hello' }]);
    expect(() => read(withSum(signed - 1))).toThrow(/^Invalid tar header at byte 0: bad checksum/);
  });
});

describe('bad input', () => {
  it('refuses a header whose checksum is wrong, saying where', () => {
    const tar = Buffer.from(archives.gnu);
    tar[0] ^= 0x20;
    expect(() => read(tar)).toThrow(new TarFormatError('Invalid tar header at byte 0: bad checksum (the layer is corrupt or not a tar archive)'));
  });

  it('refuses bytes that are not a tar archive', () => {
    expect(() => read(Buffer.from('not a tar archive at all'.repeat(40)))).toThrow(/^Invalid tar header at byte 0: bad checksum/);
  });

  it('refuses a header of unknown format (no ustar magic)', () => {
    const tar = Buffer.from(archives.gnu.subarray(0, 1024));
    tar.write('xxxxx', 257, 'latin1');
    // Fix the checksum, so only the magic is wrong.
    tar.fill(0x20, 148, 156);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += tar[i];
    tar.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    expect(() => read(tar)).toThrow(/^Invalid tar header at byte 0: unknown format/);
  });

  it('refuses an archive that ends inside an entry or a header', () => {
    const tar = archives.pax;
    const bigAt = tar.indexOf('b'.repeat(1000));
    expect(() => read(tar.subarray(0, bigAt + 100))).toThrow(/^tar archive truncated: it ends inside the data of "app\/big\.bin"/);
    expect(() => read(tar.subarray(0, 700))).toThrow(/^tar archive truncated/);
  });

  it('refuses an oversized long-name record', () => {
    const header = Buffer.alloc(512);
    header.write('././@LongLink', 0, 'latin1');
    header.write('0000644\0', 100, 'latin1');
    header.write(`${(8 * 1024 * 1024).toString(8).padStart(11, '0')}\0`, 124, 'latin1');
    header.write('L', 156, 'latin1');
    header.write('ustar  \0', 257, 'latin1');
    header.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of header) sum += b;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    expect(() => read(header)).toThrow(/a 8388608-byte long-name or PAX record, more than 4194304 allowed/);
  });
});
