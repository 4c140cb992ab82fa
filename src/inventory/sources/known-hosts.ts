/**
 * OpenSSH `known_hosts` lookups for agentless scans: a host's key must be listed (plainly or
 * hashed) before Vigil sends credentials to it, as `ssh` with StrictHostKeyChecking does.
 * `@cert-authority` lines are not supported (a host certificate is not checked); keys
 * marked `@revoked` are refused.
 */
import { createHmac } from 'node:crypto';

/** The name a host is listed under: `host`, or `[host]:port` off port 22. */
function listedName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** True when one comma-separated pattern list (plain names or `|1|salt|hash`) names the host. */
function namesHost(patterns: string, name: string): boolean {
  for (const p of patterns.split(',')) {
    if (p.startsWith('|1|')) {
      const [, , salt, hash] = p.split('|');
      if (salt && hash && createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash) return true;
    } else if (p === name) {
      return true;
    }
  }
  return false;
}

/** The host keys (raw public key blobs) `text` lists for host:port, and the ones it revokes. */
export function knownHostKeys(text: string, host: string, port: number): { keys: Buffer[]; revoked: Buffer[] } {
  const name = listedName(host, port);
  const keys: Buffer[] = [];
  const revoked: Buffer[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    const marker = fields[0].startsWith('@') ? fields.shift() : undefined;
    if (fields.length < 3 || marker === '@cert-authority') continue;
    if (!namesHost(fields[0], name) && !(marker === '@revoked' && fields[0] === '*')) continue;
    (marker === '@revoked' ? revoked : keys).push(Buffer.from(fields[2], 'base64'));
  }
  return { keys, revoked };
}
