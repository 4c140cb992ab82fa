import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Encrypts secrets at rest (registry credentials, webhook secrets) with the server's key:
 * AES-256-GCM, a fresh 96-bit nonce per value, stored as `v1:<nonce>:<tag>:<ciphertext>`
 * (base64 parts). The key comes from `VIGIL_SECRET_KEY` / config, or is generated once
 * into the data directory.
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error(`secret key must be 32 bytes (AES-256), got ${key.length}`);
    this.key = key;
  }

  /** Reads a key given as 64 hex characters or base64 of 32 bytes. */
  static fromString(text: string, origin = 'secret key'): SecretBox {
    const t = text.trim();
    const key = /^[0-9a-f]{64}$/i.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
    if (key.length !== 32) throw new Error(`${origin}: expected 32 bytes as 64 hex characters or base64, got ${key.length} bytes`);
    return new SecretBox(key);
  }

  /**
   * The key from `explicit` (config or environment), else from `keyFile`, which is created
   * with a random key (mode 0600) when missing.
   */
  static load(opts: { explicit?: string; keyFile: string }): SecretBox {
    if (opts.explicit) return SecretBox.fromString(opts.explicit, 'VIGIL_SECRET_KEY');
    if (existsSync(opts.keyFile)) return SecretBox.fromString(readFileSync(opts.keyFile, 'utf8'), opts.keyFile);
    mkdirSync(dirname(opts.keyFile), { recursive: true });
    const key = randomBytes(32);
    // `wx` fails when another process created the file meanwhile: read theirs instead.
    try {
      writeFileSync(opts.keyFile, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
      chmodSync(opts.keyFile, 0o600);
      return new SecretBox(key);
    } catch {
      return SecretBox.fromString(readFileSync(opts.keyFile, 'utf8'), opts.keyFile);
    }
  }

  /** Encrypts a UTF-8 string. */
  seal(plaintext: string): string {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', nonce.toString('base64'), cipher.getAuthTag().toString('base64'), ct.toString('base64')].join(':');
  }

  /** Decrypts what `seal` produced; throws when the value was tampered with or the key differs. */
  open(sealed: string): string {
    const [version, nonce, tag, ct] = sealed.split(':');
    if (version !== 'v1' || !nonce || !tag || ct === undefined) throw new Error('sealed secret has an unknown format');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(nonce, 'base64'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    try {
      return Buffer.concat([decipher.update(Buffer.from(ct, 'base64')), decipher.final()]).toString('utf8');
    } catch {
      throw new Error('sealed secret cannot be decrypted: wrong server key or tampered value');
    }
  }
}
