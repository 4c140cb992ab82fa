import { describe, expect, it } from 'vitest';
import { newFindingId } from '../../src/findings/ids.js';
import { findingKey } from '../../src/findings/lifecycle.js';
import { finding, pkg } from './fixtures.js';

describe('finding ids', () => {
  it('are version 7 UUIDs carrying their creation time', () => {
    const at = Date.UTC(2026, 11, 5, 17, 30);
    const id = newFindingId(at + 10_000_000);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(at + 10_000_000);
  });

  it('ascend within a millisecond and across a clock step back, and do not repeat', () => {
    const now = Date.now() + 20_000_000;
    const ids = [...Array.from({ length: 5000 }, () => newFindingId(now)), newFindingId(now - 1000), newFindingId(now + 1)];
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('finding keys', () => {
  it('are the first 32 hex digits of SHA-256 over ecosystem, package, version and vulnerability, so stored keys stay valid', () => {
    const openssl = pkg('Debian:12', 'openssl', '3.0.11-1~deb12u2');
    // Computed once with createHash('sha256').update(parts.join('\0')).digest('hex').
    expect(findingKey(finding('CVE-2024-0727', openssl))).toBe('bc43fdcb3a7e5fc147ed28f664a9e8ba');
  });
});
