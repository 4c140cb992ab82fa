/**
 * Images take the reachability of the hosts they run on, on both dialects: a host's
 * containers read from a Docker state directory by the real collector and sent in its
 * network report, or declared through the API; image resources matched by digest or by
 * repository and tag; the adjustment's reason naming the published port and its path, or
 * why nothing reaches the hosts; re-scoring when the container list changes; accounts apart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectDockerContainers } from '../../../src/network/host/containers.js';
import { writeDockerState } from '../../helpers/docker-state.js';
import { dialectCases } from '../../helpers/postgres.js';
import { advisory } from '../../helpers/tiny-advisory-db.js';
import { npmInventory, type TestApp } from '../../server/harness.js';
import { analysisOf, startNetworkApp } from './analysis.js';

const advisories = [
  // lodash 4.17.15 is affected, with a network attack vector (9.8): the score reachability adjusts (8.8 when adjacent only).
  advisory('GHSA-p6mc-m468-83gw', 'npm', 'lodash', [[{ introduced: '0' }, { fixed: '4.17.19' }]], {
    aliases: ['CVE-2020-8203'],
    severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
  }),
];

const digest = (c: string) => `sha256:${c.repeat(64)}`;
const APP = digest('a');
const APP_CONFIG = digest('c');
const WORKER = digest('b');
const LONELY = digest('e');

/** web-1 has a public address behind a group opening 22 and 8080; i-0db (db-1) has none. */
const TOPOLOGY = `
networks: [{ id: rack, cidrs: [10.0.0.0/24] }]
gateways: [{ id: upstream, networks: [rack] }]
routeTables:
  - { id: rack-routes, network: rack, main: true, routes: [{ destination: 0.0.0.0/0, target: upstream }] }
subnets: [{ id: rack-net, network: rack, cidrs: [10.0.0.0/24] }]
securityGroups:
  - id: web
    inbound:
      - { protocol: tcp, ports: 22, source: 0.0.0.0/0 }
      - { protocol: tcp, ports: 8080, source: 0.0.0.0/0 }
instances:
  - id: web-1
    interfaces: [{ subnet: rack-net, privateAddresses: [10.0.0.10], publicAddresses: [203.0.113.10], securityGroups: [web] }]
  - id: i-0db
    interfaces: [{ subnet: rack-net, privateAddresses: [10.0.0.20], securityGroups: [web] }]
`;

interface ApiF {
  findingId: string;
  score: number;
  adjustments: { metric: string; reason: string }[];
}

describe.each(dialectCases())('running images on $name', (dialect) => {
  let t: TestApp;
  let root: string;
  const ids: Record<string, string> = {};
  const lodashOf = async (key: string, resourceName: string) => {
    const r = await t.call(key, { method: 'POST', url: '/api/v1/findings/search', payload: { filterCriteria: { resourceName: [{ comparison: 'EQUALS', value: resourceName }], packageName: [{ comparison: 'EQUALS', value: 'lodash' }] } } });
    expect(r.statusCode, r.body).toBe(200);
    return r.json().findings[0] as ApiF;
  };
  const scanImage = async (key: string, repository: string, d: string, tag: string) => {
    const r = await t.call(key, { method: 'POST', url: '/api/v1/scans', payload: { resource: { type: 'CONTAINER_IMAGE', image: { registry: 'reg.example', repository, digest: d, tags: [tag] } }, inventory: npmInventory(repository, 'registry', { repository, digest: d, tags: [tag] }) } });
    expect(r.statusCode, r.body).toBe(201);
    return r.json().resource.id as string;
  };
  const hostReport = (containers: unknown[]) => ({
    firewallId: 'web-1/firewall',
    listeners: [
      { protocol: 'tcp', port: 22, address: '0.0.0.0', process: 'sshd', pid: 612 },
      { protocol: 'tcp', port: 8080, address: '0.0.0.0', process: 'docker-proxy', pid: 901 },
    ],
    interfaces: [{ name: 'eth0', addresses: ['10.0.0.10/24'] }],
    firewall: { tool: 'none', raw: '' },
    containers,
  });
  const detail = async (key: string, id: string) => {
    const r = await t.call(key, { method: 'GET', url: `/api/v1/resources/${id}` });
    expect(r.statusCode, r.body).toBe(200);
    return r.json();
  };

  beforeAll(async () => {
    t = await startNetworkApp(dialect, advisories);
    root = mkdtempSync(join(tmpdir(), 'vigil-running-'));
    // db-1 is instance i-0db by its tag; it sends no report.
    for (const [name, tags] of [['web-1', {}], ['db-1', { 'instance-id': 'i-0db' }]] as const) {
      const r = await t.call(t.keys.acme.scanner, { method: 'POST', url: '/api/v1/scans', payload: { resource: { type: 'HOST', name, tags }, inventory: npmInventory(name) } });
      expect(r.statusCode, r.body).toBe(201);
      ids[name] = r.json().resource.id;
    }
    ids.worker = await scanImage(t.keys.acme.scanner, 'shop/worker', WORKER, '2.1');
    ids.lonely = await scanImage(t.keys.acme.scanner, 'shop/lonely', LONELY, '1');
    // Another account holds the same image: nothing of acme's hosts reaches it.
    ids.globexApp = await scanImage(t.keys.globex.scanner, 'shop/app', APP, '1.0');
    const snap = await t.call(t.keys.acme.admin, { method: 'POST', url: '/api/v1/network/snapshots', payload: { files: { 'rack.yaml': TOPOLOGY } } });
    expect((await analysisOf(t, t.keys.acme.admin, snap)).status).toBe('DONE');
  });
  afterAll(async () => {
    await t?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('an image first scanned after its host reported it takes the host port path', async () => {
    // web-1's Docker: the app published 8080→80, pulled by its manifest digest; a sidecar bound to loopback only.
    writeDockerState(
      root,
      [
        { id: '1'.repeat(64), name: 'shop', image: 'reg.example/shop/app:1.0', imageId: APP_CONFIG, running: true, bindings: { '80/tcp': [['0.0.0.0', '8080']] } },
        { id: '2'.repeat(64), name: 'metrics', image: 'prom/node-exporter:v1.8.0', imageId: digest('f'), running: true, bindings: { '9100/tcp': [['127.0.0.1', '9100']] } },
      ],
      { 'reg.example/shop/app': { 'reg.example/shop/app:1.0': APP_CONFIG, [`reg.example/shop/app@${APP}`]: APP_CONFIG } },
    );
    const containers = await collectDockerContainers(root);
    const sent = await t.call(t.keys.acme.scanner, { method: 'POST', url: '/api/v1/network/host-reports', payload: { resource: { name: 'web-1' }, report: hostReport(containers) } });
    expect((await analysisOf(t, t.keys.acme.scanner, sent)).status).toBe('DONE');

    ids.app = await scanImage(t.keys.acme.scanner, 'shop/app', APP, '1.0');
    const app = await lodashOf(t.keys.acme.viewer, `reg.example/shop/app@${APP}`);
    expect(app.score).toBe(9.8);
    expect(app.adjustments).toEqual([
      { metric: 'AV', from: 'N', to: 'N', reason: 'network attack vector kept: target is reachable from the internet: the image runs on web-1, published 8080→80/tcp, through upstream → rack-routes → web → web-1/eth0' },
    ]);

    const image = await detail(t.keys.acme.viewer, ids.app);
    expect(image.runsOn).toEqual([{ hostId: ids['web-1'], hostName: 'web-1', containerId: '1'.repeat(64), containerName: 'shop', running: true, ports: [{ protocol: 'tcp', hostPort: 8080, containerPort: 80, hostIp: '0.0.0.0' }] }]);
    expect(image.reachability).toEqual({ internetReachable: true, reason: expect.stringContaining('published 8080→80/tcp') });
    const host = await detail(t.keys.acme.viewer, ids['web-1']);
    expect(host.runningImages.map((c: { name: string; runtime: string; resources: unknown[] }) => [c.name, c.runtime, c.resources])).toEqual([
      ['metrics', 'docker', []],
      ['shop', 'docker', [{ id: ids.app, name: `reg.example/shop/app@${APP}` }]],
    ]);
    // An image recorded on no host keeps today's score.
    expect((await lodashOf(t.keys.acme.viewer, `reg.example/shop/lonely@${LONELY}`)).adjustments).toEqual([]);
    expect((await detail(t.keys.acme.viewer, ids.lonely)).runsOn).toEqual([]);
  });

  it('an image declared on an unreachable host is scored down, saying why nothing reaches it', async () => {
    const r = await t.call(t.keys.acme.scanner, { method: 'PUT', url: `/api/v1/resources/${ids['db-1']}/running-images`, payload: { containers: [{ name: 'worker', image: 'reg.example/shop/worker:2.1' }] } });
    // The worker, and the app: first scanned after the last analysis, its reachability is stored now (its score unchanged).
    expect((await analysisOf(t, t.keys.acme.scanner, r)).summary?.rescoredImages).toBe(2);
    expect(r.json().runningImages).toEqual([
      { containerId: 'declared-1', name: 'worker', image: 'reg.example/shop/worker:2.1', imageDigests: [], running: true, hostNetwork: false, ports: [], runtime: 'declared', resources: [{ id: ids.worker, name: `reg.example/shop/worker@${WORKER}` }] },
    ]);
    const worker = await lodashOf(t.keys.acme.viewer, `reg.example/shop/worker@${WORKER}`);
    expect(worker.score).toBe(8.8);
    expect(worker.adjustments[0]!.reason).toBe(
      'target is not reachable from the internet (the image runs only on db-1 (instance i-0db has no public address, and no port forward or internet-facing load balancer leads to it)): a network attack vector needs an adjacent attacker',
    );
    // The same declaration again changes nothing.
    const same = await t.call(t.keys.acme.scanner, { method: 'PUT', url: `/api/v1/resources/${ids['db-1']}/running-images`, payload: { containers: [{ name: 'worker', image: 'reg.example/shop/worker:2.1' }] } });
    expect(same.statusCode, same.body).toBe(200);
    expect(same.json().analysisId).toBeUndefined();
  });

  it('a changed container list re-scores only the images it moves', async () => {
    // web-1 stops the shop container: the app no longer runs anywhere known and goes back to its typed context.
    writeDockerState(root, [{ id: '1'.repeat(64), name: 'shop', image: 'reg.example/shop/app:1.0', imageId: APP_CONFIG, running: false, bindings: { '80/tcp': [['0.0.0.0', '8080']] } }], {});
    const stopped = await t.call(t.keys.acme.scanner, { method: 'POST', url: '/api/v1/network/host-reports', payload: { resource: { name: 'web-1' }, report: hostReport(await collectDockerContainers(root)) } });
    expect((await analysisOf(t, t.keys.acme.scanner, stopped)).status).toBe('DONE');
    expect((await lodashOf(t.keys.acme.viewer, `reg.example/shop/app@${APP}`)).adjustments).toEqual([]);

    // db-1 now runs the app too (declared by tag): unreachable, scored down; the worker is not re-scored.
    const workerBefore = await lodashOf(t.keys.acme.viewer, `reg.example/shop/worker@${WORKER}`);
    const timelineOf = async (id: string) => ((await t.call(t.keys.acme.viewer, { method: 'GET', url: `/api/v1/findings/${id}` })).json().timeline as { event: string }[]).map((e) => e.event);
    const workerEvents = await timelineOf(workerBefore.findingId);
    const moved = await t.call(t.keys.acme.scanner, {
      method: 'PUT',
      url: `/api/v1/resources/${ids['db-1']}/running-images`,
      payload: { containers: [{ name: 'worker', image: 'reg.example/shop/worker:2.1' }, { id: 'c-app', image: 'reg.example/shop/app:1.0', ports: [{ protocol: 'tcp', hostPort: 8080, containerPort: 80 }] }] },
    });
    expect((await analysisOf(t, t.keys.acme.scanner, moved)).summary?.rescoredImages).toBe(1);
    const app = await lodashOf(t.keys.acme.viewer, `reg.example/shop/app@${APP}`);
    expect(app.score).toBe(8.8);
    expect(app.adjustments[0]!.reason).toContain('the image runs only on db-1 (instance i-0db has no public address');
    // An event where the score changed (9.8 → 8.8); losing the reason alone changed no score.
    expect(await timelineOf(app.findingId)).toEqual(['CREATED', 'UPDATED']);
    expect(await timelineOf(workerBefore.findingId)).toEqual(workerEvents);
  });

  it('keeps accounts apart', async () => {
    const other = await lodashOf(t.keys.globex.viewer, `reg.example/shop/app@${APP}`);
    expect(other.score).toBe(9.8);
    expect(other.adjustments).toEqual([]);
    expect((await detail(t.keys.globex.viewer, ids.globexApp)).runsOn).toEqual([]);
    expect((await t.call(t.keys.globex.viewer, { method: 'GET', url: `/api/v1/resources/${ids['db-1']}` })).statusCode).toBe(404);
    const put = await t.call(t.keys.globex.scanner, { method: 'PUT', url: `/api/v1/resources/${ids['db-1']}/running-images`, payload: { containers: [] } });
    expect(put.statusCode).toBe(404);
  });

  it('rejects bad declarations, naming the field', async () => {
    const put = (id: string, payload: object, key = t.keys.acme.scanner) => t.call(key, { method: 'PUT', url: `/api/v1/resources/${id}/running-images`, payload });
    const notHost = await put(ids.app!, { containers: [] });
    expect(notHost.statusCode).toBe(400);
    expect(notHost.json().detail).toMatch(/is a CONTAINER_IMAGE: only a HOST runs images/);
    const badDigest = await put(ids['db-1']!, { containers: [{ image: 'x:1', imageDigests: ['sha256:abc'] }] });
    expect(badDigest.statusCode).toBe(400);
    expect(badDigest.body).toContain('imageDigests');
    const dup = await put(ids['db-1']!, { containers: [{ id: 'a', image: 'x:1' }, { id: 'a', image: 'y:1' }] });
    expect(dup.statusCode).toBe(400);
    expect(dup.json().detail).toMatch(/container id "a" appears twice/);
    expect((await put(ids['db-1']!, { containers: [] }, t.keys.acme.viewer)).statusCode).toBe(403);
  });
});
