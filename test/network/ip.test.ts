import { describe, expect, it } from 'vitest';
import { AddressError, INTERNET, isInternet, parseBlock, pieces } from '../../src/network/ip.js';

describe('addresses and blocks', () => {
  it('parses IPv4 and IPv6 blocks and single addresses into ranges', () => {
    expect(parseBlock('10.0.0.0/8')).toMatchObject({ family: 4, first: 0x0a000000n, last: 0x0affffffn });
    expect(parseBlock('10.1.2.3')).toMatchObject({ family: 4, first: 0x0a010203n, last: 0x0a010203n });
    expect(parseBlock('2001:db8::/32')).toMatchObject({ family: 6, first: 0x20010db8n << 96n, last: (0x20010db8n << 96n) + (1n << 96n) - 1n });
    expect(parseBlock('0.0.0.0/0')).toMatchObject({ first: 0n, last: 0xffffffffn });
    // Host bits set are masked off, as the routers that accept such blocks do.
    expect(parseBlock('10.1.2.3/16')).toMatchObject({ first: 0x0a010000n, last: 0x0a01ffffn });
    expect(parseBlock('10.1.0.0/16').prefix).toBe(16);
    expect(parseBlock('::/0').prefix).toBe(0);
    expect(parseBlock('::1').prefix).toBe(128);
    expect(() => parseBlock('10.0.0.0/33')).toThrow(AddressError);
    expect(() => parseBlock('example.com')).toThrow('"example.com"');
  });

  it('knows what is the internet', () => {
    for (const a of ['8.8.8.8', '203.0.113.5', '198.18.0.1', '2001:db8::1', '0.0.0.0/0', '::/0']) expect(isInternet(parseBlock(a)), a).toBe(true);
    for (const a of ['10.1.2.3', '172.16.0.1', '192.168.1.1', '100.64.0.1', '127.0.0.1', '169.254.169.254', '224.0.0.1', '255.255.255.255', 'fd00::1', 'fe80::1', '::1', '10.0.0.0/8']) {
      expect(isInternet(parseBlock(a)), a).toBe(false);
    }
    expect(INTERNET[4][0]).toMatchObject({ first: 0x01000000n, last: 0x09ffffffn });
  });

  it('cuts a space at every edge of the blocks', () => {
    const space = [parseBlock('10.0.0.0/24')];
    const at = pieces(4, space, [parseBlock('10.0.0.128/25'), parseBlock('10.0.0.16/30'), parseBlock('2001:db8::/32'), parseBlock('0.0.0.0/0')]);
    expect(at.map((n) => Number(n & 0xffn))).toEqual([0, 16, 20, 128]);
  });
});
