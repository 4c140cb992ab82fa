/**
 * The containers a host runs, read from a Docker state directory written as dockerd writes
 * it under a temporary root: image ids and the manifest digests they were pulled by, running
 * state, the ports the daemon bound, host networking; and the host report that carries them.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { collectHostNetwork } from '../../src/network/host/collect.js';
import { collectDockerContainers, publishedPorts } from '../../src/network/host/containers.js';
import { hostNetworkReport } from '../../src/network/host/schema.js';
import { writeDockerState } from '../helpers/docker-state.js';

const hex = (c: string) => c.repeat(64);
const NGINX_ID = `sha256:${hex('a')}`;
const NGINX_MANIFEST = `sha256:${hex('b')}`;
const APP_ID = `sha256:${hex('c')}`;
const REDIS_ID = `sha256:${hex('d')}`;

describe('Docker containers on disk', () => {
  const roots: string[] = [];
  afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));
  const root = () => {
    const r = mkdtempSync(join(tmpdir(), 'vigil-docker-'));
    roots.push(r);
    return r;
  };

  it('reads image, digests, state and published ports of each container', async () => {
    const r = root();
    writeDockerState(
      r,
      [
        { id: hex('1'), name: 'web', image: 'nginx:1.25', imageId: NGINX_ID, running: true, bindings: { '80/tcp': [['0.0.0.0', '8080'], ['::', '8080']], '443/tcp': [['127.0.0.1', '8443']] } },
        { id: hex('2'), name: 'app', image: 'registry.example.com/shop/app@sha256:' + hex('e'), imageId: APP_ID, running: true, networkMode: 'host', imageManifest: `sha256:${hex('e')}` },
        // Stopped: the daemon emptied NetworkSettings.Ports; the request in hostconfig.json is what it would bind.
        { id: hex('3'), name: 'cache', image: 'redis:7', imageId: REDIS_ID, running: false, bindings: { '6379/tcp': [['', '6379']], '9121/udp': [['', '']] } },
      ],
      { nginx: { 'nginx:1.25': NGINX_ID, [`nginx@${NGINX_MANIFEST}`]: NGINX_ID }, redis: { 'redis:7': REDIS_ID } },
    );
    // Not a container directory: left alone.
    writeFileSync(join(r, 'var/lib/docker/containers', 'README'), 'x');
    expect(await collectDockerContainers(r)).toEqual([
      { id: hex('2'), name: 'app', image: `registry.example.com/shop/app@sha256:${hex('e')}`, imageDigests: [APP_ID, `sha256:${hex('e')}`], running: true, hostNetwork: true, ports: [], runtime: 'docker' },
      { id: hex('3'), name: 'cache', image: 'redis:7', imageDigests: [REDIS_ID], running: false, ports: [{ protocol: 'tcp', hostPort: 6379, containerPort: 6379 }], runtime: 'docker' },
      {
        id: hex('1'),
        name: 'web',
        image: 'nginx:1.25',
        imageDigests: [NGINX_ID, NGINX_MANIFEST],
        running: true,
        ports: [
          { protocol: 'tcp', hostPort: 8080, containerPort: 80, hostIp: '::' },
          { protocol: 'tcp', hostPort: 8080, containerPort: 80, hostIp: '0.0.0.0' },
          { protocol: 'tcp', hostPort: 8443, containerPort: 443, hostIp: '127.0.0.1' },
        ],
        runtime: 'docker',
      },
    ]);
  });

  it('leaves out what is not a container, and reads no Docker state as none', async () => {
    const r = root();
    expect(await collectDockerContainers(r)).toEqual([]);
    writeDockerState(r, [{ id: hex('4'), name: 'ok', image: 'busybox', imageId: `sha256:${hex('f')}`, running: true }], {});
    writeDockerState(r, [{ id: hex('5'), name: 'broken', image: 'busybox', imageId: `sha256:${hex('f')}`, running: true }], {});
    writeFileSync(join(r, 'var/lib/docker/containers', hex('5'), 'config.v2.json'), '{"ID": "trunc');
    expect((await collectDockerContainers(r)).map((c) => c.name)).toEqual(['ok']);
  });

  it('parses port maps as Docker writes them, skipping what binds nothing', () => {
    expect(publishedPorts({ '53/udp': [{ HostIp: '', HostPort: '5353' }], '132/sctp': [{ HostIp: '', HostPort: '132' }], '80/tcp': null, bad: [{ HostPort: '1' }], '22/tcp': [{ HostIp: '', HostPort: '70000' }] })).toEqual([
      { protocol: 'udp', hostPort: 5353, containerPort: 53 },
    ]);
  });

  it('puts the containers in the host report under the root given, valid by the report schema', async () => {
    const r = root();
    writeDockerState(r, [{ id: hex('6'), name: 'web', image: 'nginx:1.25', imageId: NGINX_ID, running: true, bindings: { '80/tcp': [['0.0.0.0', '80']] } }], {});
    const report = await collectHostNetwork({ root: r, firewallId: 'h/fw' });
    expect(report.containers?.map((c) => [c.name, c.ports])).toEqual([['web', [{ protocol: 'tcp', hostPort: 80, containerPort: 80, hostIp: '0.0.0.0' }]]]);
    expect(hostNetworkReport.parse(JSON.parse(JSON.stringify(report)))).toEqual(report);
    const bad = hostNetworkReport.safeParse({ ...report, containers: [{ ...report.containers![0], imageDigests: ['sha256:short'] }] });
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error?.issues[0]?.path)).toBe('["containers",0,"imageDigests",0]');
  });
});
