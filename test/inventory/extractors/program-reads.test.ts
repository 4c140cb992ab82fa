/**
 * Program extractors are handed every large executable file of a host; most are not
 * programs they understand. A file that is not ELF (a JDK's 146 MB `modules` image, a
 * script, data with the executable bit) must be answered from its first bytes: reading it
 * whole cost the host agent 146 MB of memory per JDK.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { goBinary } from '../../../src/inventory/extractors/go/go-binary.js';
import { cargoAuditable } from '../../../src/inventory/extractors/rust/cargo-auditable.js';
import type { FileRef } from '../../../src/inventory/types.js';
import { bufferRef, heldPartsRef } from '../../../src/inventory/buffer-ref.js';
import { elfLookupRanges, findElfSection, programLookup } from '../../../src/inventory/extractors/elf.js';

/** A large file of which only `readAt` may be used; `read` and `stream` fail the test. */
function seekOnly(path: string, head: Buffer, size: number): { file: FileRef; readBytes: () => number } {
  let readBytes = 0;
  const file: FileRef = {
    path,
    size,
    mode: 0o100755,
    read: () => Promise.reject(new Error(`${path} was read whole`)),
    stream: () => {
      throw new Error(`${path} was streamed`);
    },
    readAt: (offset, length) => {
      const part = Buffer.alloc(Math.max(0, Math.min(length, size - offset)));
      head.copy(part, 0, offset, offset + part.length);
      readBytes += part.length;
      return Promise.resolve(part);
    },
  };
  return { file, readBytes: () => readBytes };
}

describe('large files that are not programs', () => {
  const jimage = Buffer.from([0xca, 0xfe, 0xda, 0xda, 1, 0, 0, 0]);
  it.each([
    ['rust/cargo-auditable', cargoAuditable],
    ['go/go-binary', goBinary],
  ] as const)('%s reads only the first bytes of a 146 MB non-ELF executable', async (_id, extractor) => {
    const { file, readBytes } = seekOnly('/usr/lib/jvm/java-17-openjdk-amd64/lib/modules', jimage, 146 * 1024 * 1024);
    expect(extractor.fileRequired(file.path, file.size, file.mode)).toBe(true);
    expect(await extractor.extract(file, { warn: () => undefined })).toEqual([]);
    expect(readBytes()).toBeLessThanOrEqual(128);
  });
});

describe('files larger than the programs they read whole', () => {
  it.each([
    ['rust/cargo-auditable', cargoAuditable],
    ['go/go-binary', goBinary],
  ] as const)('%s seeks, and dismisses a 4 GiB database file from its first bytes', async (_id, extractor) => {
    expect(extractor.seeksLargeFiles).toBe(true);
    const { file, readBytes } = seekOnly('/var/lib/mysql/ibdata1', Buffer.alloc(64), 4 * 1024 ** 3);
    expect(extractor.fileRequired(file.path, file.size, 0o100640)).toBe(true);
    expect(await extractor.extract(file, { warn: () => undefined })).toEqual([]);
    expect(readBytes()).toBeLessThanOrEqual(128);
  });

  it('rust/cargo-auditable refuses to read whole a 300 MB ELF program without a usable section table', async () => {
    const head = Buffer.from(readFileSync('/bin/bash').subarray(0, 64));
    // No section table: e_shoff and e_shnum zeroed.
    head.writeBigUInt64LE(0n, 0x28);
    head.writeUInt16LE(0, 0x3c);
    const { file } = seekOnly('/opt/app/server', head, 300 * 1024 * 1024);
    await expect(cargoAuditable.extract(file, { warn: () => undefined })).rejects.toThrow('/opt/app/server: file too large (314572800 bytes, limit 268435456)');
  });
});

describe('files named as sources, text or images', () => {
  // The walk stats only the files some extractor may want: naming them out spares the stat of a
  // Rust toolchain's HTML pages and a Python's bytecode, executable or not.
  it.each([
    ['rust/cargo-auditable', cargoAuditable],
    ['go/go-binary', goBinary],
  ] as const)('%s refuses them from the path alone and keeps libraries and extensionless programs', (_id, extractor) => {
    const mib = 1024 * 1024;
    for (const path of ['/opt/tool/run.py', '/opt/tool/lib/app.pyc', '/root/.rustup/toolchains/stable/share/doc/rust/html/std/index.html', '/usr/local/bin/setup.sh', '/opt/app/bundle.JS']) {
      expect(extractor.mayRequire?.(path), path).toBe(false);
      expect(extractor.fileRequired(path, mib, 0o100755), path).toBe(false);
    }
    for (const path of ['/usr/local/bin/kubectl', '/opt/app/libgo.so', '/opt/app/server.bin', '/opt/app/run.exe']) {
      expect(extractor.mayRequire?.(path), path).toBe(true);
      expect(extractor.fileRequired(path, mib, 0o100755), path).toBe(true);
    }
  });
});

describe('large programs that are not Go', () => {
  it('go/go-binary reads only the section table of a 300 MB ELF program without .go.buildinfo', async () => {
    // A real C program's bytes (it has a section table), presented as a 300 MB file such as a browser.
    const { file, readBytes } = seekOnly('/usr/lib/chromium/chromium', readFileSync('/usr/bin/ls'), 300 * 1024 * 1024);
    expect(await goBinary.extract(file, { warn: () => undefined })).toEqual([]);
    expect(readBytes()).toBeLessThan(64 * 1024);
  });
});

describe('a program kept as its ELF headers', () => {
  const bash = readFileSync('/bin/bash');
  const sections = ['.go.buildinfo', '.dep-v0'];

  it('answers the program extractors and the section lookup as the whole file does', async () => {
    const ranges = elfLookupRanges(bash, sections);
    expect(ranges).toBeDefined();
    const held = heldPartsRef('/usr/bin/bash', { size: bash.length, parts: ranges!.map((r) => ({ offset: r.offset, bytes: bash.subarray(r.offset, r.offset + r.length) })), why: 'test' });
    // A few kilobytes of a 1.2 MB program.
    expect(ranges!.reduce((n, r) => n + r.length, 0)).toBeLessThan(8 * 1024);
    const whole = bufferRef('/usr/bin/bash', bash);
    for (const name of [...sections, '.text', '.no-such-section']) expect(await findElfSection(held, name), name).toEqual(await findElfSection(whole, name));
    for (const extractor of [goBinary, cargoAuditable]) {
      const warnings: string[] = [];
      expect(await extractor.extract(held, { warn: (w) => warnings.push(w) })).toEqual(await extractor.extract(whole, { warn: () => undefined }));
      expect(warnings).toEqual([]);
    }
  });

  it('fails a read of what was not kept, saying why', async () => {
    const ranges = elfLookupRanges(bash, sections)!;
    const held = heldPartsRef('/usr/bin/bash', { size: bash.length, parts: ranges.map((r) => ({ offset: r.offset, bytes: bash.subarray(r.offset, r.offset + r.length) })), why: 'only its headers were kept' });
    await expect(held.read()).rejects.toThrow('/usr/bin/bash: cannot read the whole file: only its headers were kept');
    await expect(held.readAt!(4096, 16)).rejects.toThrow('/usr/bin/bash: cannot read bytes 4096–4112: only its headers were kept');
  });

  it('is not an option when the program has a section asked for, no usable section table, or is not ELF', () => {
    expect(elfLookupRanges(bash, ['.text'])).toBeUndefined();
    expect(elfLookupRanges(bash.subarray(0, 700 * 1024), sections)).toBeUndefined();
    expect(elfLookupRanges(Buffer.from('#!/bin/sh\necho hi\n'), sections)).toBeUndefined();
  });
});

describe('a large file that is no program, kept as its first bytes', () => {
  const sections = ['.go.buildinfo', '.dep-v0'];
  // A PostgreSQL heap file (its name has no dot, as programs' names), a JDK's jimage, a script.
  const page = Buffer.alloc(2 * 1024 * 1024);
  page.write('\x00\x00\x00\x00\x48\x5f\x01\x02', 0, 'latin1');
  const files: [string, Buffer][] = [
    ['/var/lib/postgresql/15/main/base/1/1255', page],
    ['/usr/lib/jvm/java-17-openjdk-amd64/lib/modules', Buffer.concat([Buffer.from([0xca, 0xfe, 0xda, 0xda, 1, 0, 0, 0]), Buffer.alloc(1024 * 1024, 7)])],
    ['/usr/local/bin/install', Buffer.from(`#!/bin/sh\n${'echo step\n'.repeat(60_000)}`)],
  ];

  it.each(files)('answers the program extractors for %s as the whole file does, from its first 64 bytes', async (path, bytes) => {
    const lookup = programLookup(bytes, sections)!;
    expect(lookup.ranges).toEqual([{ offset: 0, length: 64 }]);
    expect(lookup.why).toMatch(/^not a program/);
    const held = heldPartsRef(path, { size: bytes.length, parts: [{ offset: 0, bytes: bytes.subarray(0, 64) }], why: lookup.why });
    const whole = bufferRef(path, bytes);
    for (const extractor of [goBinary, cargoAuditable]) {
      expect(extractor.fileRequired(path, bytes.length, 0o100644), `${extractor.id} wants ${path}`).toBe(true);
      const warnings: string[] = [];
      expect(await extractor.extract(held, { warn: (w) => warnings.push(w) })).toEqual(await extractor.extract(whole, { warn: () => undefined }));
      expect(warnings).toEqual([]);
    }
  });

  it('is not an option for PE and Mach-O programs, which the Go extractor reads whole', () => {
    const pe = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(1024)]);
    const machO = Buffer.concat([Buffer.from([0xcf, 0xfa, 0xed, 0xfe]), Buffer.alloc(1024)]);
    expect(programLookup(pe, sections)).toBeUndefined();
    expect(programLookup(machO, sections)).toBeUndefined();
  });

  it('keeps an ELF program without the sections as its headers, and one with them whole', () => {
    const bash = readFileSync('/bin/bash');
    expect(programLookup(bash, sections)?.ranges).toEqual(elfLookupRanges(bash, sections));
    expect(programLookup(bash, ['.text'])).toBeUndefined();
  });
});
