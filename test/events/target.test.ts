import { describe, expect, it } from 'vitest';
import { refuseAddress, validateTarget } from '../../src/events/target.js';

describe('webhook target validation', () => {
  it.each([
    ['93.184.216.34', {}, undefined],
    ['10.1.2.3', {}, 'private'],
    ['10.1.2.3', { allowPrivate: true }, undefined],
    ['169.254.169.254', {}, 'link-local'],
    ['169.254.169.254', { allowLinkLocal: true }, undefined],
    ['::ffff:169.254.169.254', {}, 'link-local'],
    ['fe80::1', {}, 'link-local'],
    ['fd00:ec2::254', {}, 'link-local'],
    ['127.0.0.1', {}, 'loopback'],
    ['127.0.0.1', { allowLoopback: true }, undefined],
    ['::1', {}, 'loopback'],
    ['0.0.0.0', { allowLoopback: true }, 'unspecified'],
    ['224.0.0.1', {}, 'multicast'],
  ] as const)('%s with %o', (addr, policy, reason) => {
    const got = refuseAddress(addr, policy);
    if (reason === undefined) expect(got).toBeUndefined();
    else expect(got).toContain(reason);
  });

  it.each([
    ['http://169.254.169.254/latest/meta-data', {}, /link-local/],
    ['http://localhost:9/hook', {}, /loopback/],
    ['ftp://example.test/', {}, /http or https/],
    ['not a url', {}, /not a valid URL/],
    ['http://user:pw@127.0.0.1/', { allowLoopback: true }, /credentials/],
  ] as const)('refuses %s', async (url, policy, message) => {
    await expect(validateTarget(url, policy)).rejects.toThrow(message);
  });

  it('accepts loopback when allowed', async () => {
    await expect(validateTarget('http://127.0.0.1:8080/x', { allowLoopback: true })).resolves.toBeInstanceOf(URL);
  });
});
