import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SecretBox } from '../../src/registries/secret-box.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-key-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SecretBox (AES-256-GCM at rest)', () => {
  it('round-trips and uses a fresh nonce per value', () => {
    const box = SecretBox.load({ keyFile: join(dir, 'a', 'secret.key') });
    const a = box.seal('s3cret');
    const b = box.seal('s3cret');
    expect(a).not.toBe(b);
    expect(a).not.toContain('s3cret');
    expect(box.open(a)).toBe('s3cret');
  });

  it('generates the key file once (mode 0600) and reads it back', () => {
    const keyFile = join(dir, 'b', 'secret.key');
    const sealed = SecretBox.load({ keyFile }).seal('x');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(keyFile, 'utf8').trim()).toMatch(/^[0-9a-f]{64}$/);
    expect(SecretBox.load({ keyFile }).open(sealed)).toBe('x');
  });

  it.each([
    ['tampered ciphertext', (s: string) => s.slice(0, -4) + (s.endsWith('AAAA') ? 'BBBB' : 'AAAA'), /cannot be decrypted/],
    ['unknown format', () => 'plain', /unknown format/],
  ])('refuses a %s', (_n, mutate, message) => {
    const box = new SecretBox(Buffer.alloc(32, 7));
    expect(() => box.open(mutate(box.seal('value-long-enough')))).toThrow(message);
  });

  it('refuses another key', () => {
    const sealed = new SecretBox(Buffer.alloc(32, 1)).seal('x');
    expect(() => new SecretBox(Buffer.alloc(32, 2)).open(sealed)).toThrow(/wrong server key/);
  });

  it('names a bad explicit key', () => {
    expect(() => SecretBox.load({ explicit: 'abcd', keyFile: join(dir, 'unused') })).toThrow(/VIGIL_SECRET_KEY/);
  });
});
