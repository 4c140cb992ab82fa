/**
 * Network reachability through the API on both dialects: topology snapshots and host
 * reports, the analyses they queue, the NETWORK_REACHABILITY findings those raise
 * (lifecycle, filters, aggregation, suppression, export), and the package findings
 * re-scored with the computed reachability.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialectCases } from '../../helpers/postgres.js';
import { advisory } from '../../helpers/tiny-advisory-db.js';
import { npmInventory, type TestApp } from '../../server/harness.js';
import { analysisOf, startNetworkApp } from './analysis.js';

const advisories = [
  // lodash 4.17.15 is affected, with a network attack vector (9.8): the score reachability adjusts.
  advisory('GHSA-p6mc-m468-83gw', 'npm', 'lodash', [[{ introduced: '0' }, { fixed: '4.17.19' }]], {
    aliases: ['CVE-2020-8203'],
    summary: 'Prototype pollution in lodash',
    severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
  }),
];

/** A rack: web-1 with a public address behind a group; db-1 with none. `open` are the group's TCP ports. */
function topology(open: string[]): string {
  return `
networks: [{ id: rack, cidrs: [10.0.0.0/24] }]
gateways: [{ id: upstream, networks: [rack] }]
routeTables:
  - { id: rack-routes, network: rack, main: true, routes: [{ destination: 0.0.0.0/0, target: upstream }] }
subnets: [{ id: rack-net, network: rack, cidrs: [10.0.0.0/24] }]
securityGroups:
  - id: web
    inbound:
${open.map((p) => `      - { protocol: tcp, ports: ${p}, source: 0.0.0.0/0 }`).join('\n')}
instances:
  - id: web-1
    interfaces: [{ subnet: rack-net, privateAddresses: [10.0.0.10], publicAddresses: [203.0.113.10], securityGroups: [web] }]
  - id: i-0db
    interfaces: [{ subnet: rack-net, privateAddresses: [10.0.0.20], securityGroups: [web] }]
`;
}

function report(listeners: [number, string, string?][], addresses: string[]) {
  return {
    firewallId: 'host/firewall',
    listeners: listeners.map(([port, process, address]) => ({ protocol: 'tcp', port, address: address ?? '0.0.0.0', process, pid: 100 + port })),
    interfaces: [{ name: 'eth0', addresses }],
    firewall: { tool: 'none', raw: '' },
  };
}

/** The fields of an API finding these tests read. */
interface ApiF {
  findingId: string;
  vulnerabilityId: string;
  title: string;
  severity: string;
  status: string;
  score: number;
  resource: { name: string };
  adjustments: { reason: string }[];
  networkReachabilityDetails?: unknown;
  listeners?: unknown[];
}

describe.each(dialectCases())('network API on $name', (dialect) => {
  let t: TestApp;
  const admin = () => t.keys.acme.admin;
  const search = async (filterCriteria: object) => {
    const r = await t.call(t.keys.acme.viewer, { method: 'POST', url: '/api/v1/findings/search', payload: { filterCriteria, maxResults: 100 } });
    expect(r.statusCode, r.body).toBe(200);
    return r.json().findings as ApiF[];
  };
  const lodashOf = async (host: string) => (await search({ resourceName: [{ comparison: 'EQUALS', value: host }], packageName: [{ comparison: 'EQUALS', value: 'lodash' }] }))[0]!;

  beforeAll(async () => {
    t = await startNetworkApp(dialect, advisories);
    for (const name of ['web-1', 'db-1']) {
      const r = await t.call(t.keys.acme.scanner, { method: 'POST', url: '/api/v1/scans', payload: { resource: { type: 'HOST', name }, inventory: npmInventory(name) } });
      expect(r.statusCode, r.body).toBe(201);
    }
  });
  afterAll(async () => t?.close());

  it('takes host reports; without a snapshot nothing is analysed', async () => {
    const web = await t.call(t.keys.acme.scanner, {
      method: 'POST',
      url: '/api/v1/network/host-reports',
      payload: { resource: { name: 'web-1' }, report: report([[22, 'sshd'], [443, 'nginx'], [8080, 'node', '127.0.0.1']], ['10.0.0.10/24']) },
    });
    expect(web.json()).toEqual({ analysisId: expect.any(String), status: 'QUEUED', location: `/api/v1/network/analyses/${web.json().analysisId}`, resourceId: expect.any(String) });
    expect(web.headers.location).toBe(web.json().location);
    const first = await analysisOf(t, t.keys.acme.scanner, web);
    expect(first).toMatchObject({ status: 'DONE', triggers: [{ kind: 'host-report', resourceId: web.json().resourceId }], triggerCount: 1 });
    expect(first.summary).toEqual({ hosts: 0, changedHosts: 0, rescoredHosts: 0, rescoredImages: 0, findings: { created: 0, reopened: 0, updated: 0, closed: 0 }, exposures: 0 });
    // db-1 is instance i-0db: matched by the address it reports, not by name.
    const db = await t.call(t.keys.acme.scanner, { method: 'POST', url: '/api/v1/network/host-reports', payload: { resource: { name: 'db-1' }, report: report([[5432, 'postgres']], ['10.0.0.20/24', 'fe80::1/64']) } });
    expect((await analysisOf(t, t.keys.acme.scanner, db)).status).toBe('DONE');
    expect((await lodashOf('db-1')).score).toBe(9.8);
  });

  it('a snapshot raises findings where a process listens on a reachable port, and re-scores the hosts', async () => {
    const r = await t.call(admin(), { method: 'POST', url: '/api/v1/network/snapshots', payload: { files: { 'rack.yaml': topology(['22', '443', '8080', '5432']) } } });
    const body = r.json();
    expect(body.snapshot).toMatchObject({ format: 'yaml', source: 'api', files: ['rack.yaml'], instanceCount: 2 });
    const analysis = await analysisOf(t, admin(), r);
    expect(analysis.triggers).toEqual([{ kind: 'snapshot', snapshotId: body.snapshot.snapshotId, source: 'api' }]);
    expect(analysis.summary).toEqual({ snapshotId: body.snapshot.snapshotId, hosts: 2, changedHosts: 2, rescoredHosts: 2, rescoredImages: 0, findings: { created: 2, reopened: 0, updated: 0, closed: 0 }, exposures: 4 });
    const [stored] = (await t.call(t.keys.acme.viewer, { method: 'GET', url: '/api/v1/network/snapshots?limit=1' })).json().snapshots as { exposureCount: number }[];
    expect(stored!.exposureCount).toBe(4);

    const network = await search({ findingType: [{ comparison: 'EQUALS', value: 'NETWORK_REACHABILITY' }] });
    expect(network.map((f) => [f.resource.name, f.vulnerabilityId, f.severity, f.status]).sort()).toEqual([
      ['web-1', 'tcp/22', 'HIGH', 'ACTIVE'],
      ['web-1', 'tcp/443', 'INFORMATIONAL', 'ACTIVE'],
    ]);
    const ssh = network.find((f) => f.vulnerabilityId === 'tcp/22')!;
    expect(ssh.networkReachabilityDetails).toEqual({
      protocol: 'tcp',
      openPortRange: { begin: 22, end: 22 },
      networkPath: {
        steps: [
          { componentId: 'upstream', componentType: 'Vigil::InternetGateway' },
          { componentId: 'rack-routes', componentType: 'Vigil::RouteTable' },
          { componentId: 'web', componentType: 'Vigil::SecurityGroup' },
          { componentId: 'web-1/eth0', componentType: 'Vigil::NetworkInterface' },
        ],
      },
    });
    expect(ssh.listeners).toEqual([{ protocol: 'tcp', port: 22, address: '0.0.0.0', process: 'sshd', pid: 122 }]);
    expect(ssh.title).toBe('Port 22/tcp (SSH) is reachable from the internet');

    // The score's input: web-1 is reachable (kept, with the path), db-1 is not (adjusted, saying why).
    const web = await lodashOf('web-1');
    expect(web.score).toBe(9.8);
    expect(web.adjustments).toEqual([{ metric: 'AV', from: 'N', to: 'N', reason: expect.stringContaining('through upstream → rack-routes → web → web-1/eth0') }]);
    const db = await lodashOf('db-1');
    expect(db.score).toBe(8.8);
    expect(db.adjustments[0]!.reason).toContain('instance i-0db has no public address, and no port forward or internet-facing load balancer leads to it');
    const timeline = (await t.call(t.keys.acme.viewer, { method: 'GET', url: `/api/v1/findings/${db.findingId}` })).json().timeline as { event: string }[];
    expect(timeline.map((e) => e.event)).toEqual(['CREATED', 'UPDATED']);
  });

  it('re-analyses on a changed host report only', async () => {
    const send = (listeners: [number, string][]) =>
      t.call(t.keys.acme.scanner, { method: 'POST', url: '/api/v1/network/host-reports', payload: { resource: { name: 'db-1' }, report: report(listeners, ['10.0.0.20/24', 'fe80::1/64']) } });
    const same = await send([[5432, 'postgres']]);
    expect(same.statusCode, same.body).toBe(201);
    expect(same.json().analysis).toEqual({ hosts: 0, changedHosts: 0, rescoredHosts: 0, findings: { created: 0, reopened: 0, updated: 0, closed: 0 } });
    // db-1 has no public address: a new listener changes its report, not its exposures.
    const changed = await send([[5432, 'postgres'], [6379, 'redis-server']]);
    expect((await analysisOf(t, t.keys.acme.scanner, changed)).summary).toMatchObject({ hosts: 2, changedHosts: 0, rescoredHosts: 0, findings: { created: 0, reopened: 0, updated: 0, closed: 0 } });
  });

  it('filters by port range and protocol, aggregates by finding type, exports', async () => {
    expect((await search({ portRange: [{ beginInclusive: 20, endInclusive: 25 }] })).map((f) => f.vulnerabilityId)).toEqual(['tcp/22']);
    expect(await search({ portRange: [{ beginInclusive: 444 }], findingType: [{ comparison: 'EQUALS', value: 'NETWORK_REACHABILITY' }] })).toEqual([]);
    expect((await search({ networkProtocol: [{ comparison: 'EQUALS', value: 'tcp' }] })).length).toBe(2);
    const bad = await t.call(t.keys.acme.viewer, { method: 'POST', url: '/api/v1/findings/search', payload: { filterCriteria: { networkProtocol: [{ comparison: 'EQUALS', value: 'sctp' }] } } });
    expect(bad.statusCode).toBe(400);

    const agg = await t.call(t.keys.acme.viewer, { method: 'POST', url: '/api/v1/findings/aggregate', payload: { aggregationType: 'FINDING_TYPE', filterCriteria: { accountId: [{ comparison: 'EQUALS', value: 'acme' }] } } });
    expect(agg.statusCode, agg.body).toBe(200);
    const groups = agg.json().rows as { key: { findingType: string }; counts: { total: number } }[];
    expect(Object.fromEntries(groups.map((g) => [g.key.findingType, g.counts.total]))).toEqual({ PACKAGE_VULNERABILITY: 2, NETWORK_REACHABILITY: 2 });

    const csv = await t.call(t.keys.acme.viewer, { method: 'POST', url: '/api/v1/findings/export', payload: { format: 'csv', filterCriteria: { accountId: [{ comparison: 'EQUALS', value: 'acme' }] } } });
    expect(csv.statusCode).toBe(200);
    const lines = csv.body.trim().split('\r\n');
    expect(lines[0]).toContain(',networkProtocol,portBegin,portEnd');
    expect(lines.filter((l) => l.includes(',NETWORK_REACHABILITY,tcp/'))).toHaveLength(2);
    expect(lines.some((l) => l.includes(',tcp,22,22'))).toBe(true);
  });

  it('a package rescan never closes network findings, and keeps the computed reachability', async () => {
    const r = await t.call(t.keys.acme.scanner, { method: 'POST', url: '/api/v1/scans', payload: { resource: { type: 'HOST', name: 'web-1' }, inventory: { ...npmInventory('web-1'), packages: [] } } });
    expect(r.statusCode, r.body).toBe(201);
    expect(r.json().summary.closed).toBe(1);
    expect((await search({ findingType: [{ comparison: 'EQUALS', value: 'NETWORK_REACHABILITY' }], status: [{ comparison: 'EQUALS', value: 'ACTIVE' }] })).length).toBe(2);
    const again = await t.call(t.keys.acme.scanner, { method: 'POST', url: '/api/v1/scans', payload: { resource: { type: 'HOST', name: 'db-1' }, inventory: npmInventory('db-1'), context: { internetReachable: true } } });
    expect(again.statusCode).toBe(201);
    expect((await lodashOf('db-1')).score).toBe(8.8);
  });

  it('a new snapshot closes what closed and leaves package findings alone', async () => {
    const r = await t.call(admin(), { method: 'POST', url: '/api/v1/network/snapshots', payload: { files: { 'rack.yaml': topology(['443']) } } });
    // web-1 stays reachable, but by another port: the reason its scores give changes, so it is re-scored.
    expect((await analysisOf(t, admin(), r)).summary).toMatchObject({ hosts: 2, changedHosts: 1, rescoredHosts: 1, findings: { created: 0, reopened: 0, updated: 0, closed: 1 } });
    const network = await search({ findingType: [{ comparison: 'EQUALS', value: 'NETWORK_REACHABILITY' }] });
    expect(network.map((f) => [f.vulnerabilityId, f.status]).sort()).toEqual([['tcp/22', 'CLOSED'], ['tcp/443', 'ACTIVE']]);
    expect((await lodashOf('db-1')).status).toBe('ACTIVE');
    // The same snapshot again stores and queues nothing: the answer names the stored one.
    const same = await t.call(admin(), { method: 'POST', url: '/api/v1/network/snapshots', payload: { files: { 'rack.yaml': topology(['443']) } } });
    expect(same.statusCode, same.body).toBe(201);
    expect(same.json()).toEqual({ snapshot: expect.objectContaining({ snapshotId: r.json().snapshot.snapshotId }), analysis: { hosts: 0, changedHosts: 0, rescoredHosts: 0, findings: { created: 0, reopened: 0, updated: 0, closed: 0 } } });
    const list = await t.call(t.keys.acme.viewer, { method: 'GET', url: '/api/v1/network/snapshots' });
    expect(list.json().snapshots).toHaveLength(2);
    expect((await t.call(t.keys.globex.viewer, { method: 'GET', url: '/api/v1/network/snapshots' })).json().snapshots).toEqual([]);
  });

  it('suppression rules claim network findings', async () => {
    const rule = await t.call(admin(), {
      method: 'POST',
      url: '/api/v1/suppression-rules',
      payload: { name: 'web is public', reason: 'the site is meant to be public', filterCriteria: { findingType: [{ comparison: 'EQUALS', value: 'NETWORK_REACHABILITY' }], portRange: [{ beginInclusive: 443, endInclusive: 443 }] } },
    });
    expect(rule.statusCode, rule.body).toBe(201);
    expect(rule.json().suppressed).toBe(1);
    const [f] = await search({ vulnerabilityId: [{ comparison: 'EQUALS', value: 'tcp/443' }] });
    expect(f!.status).toBe('SUPPRESSED');
  });

  it('documents the network routes in OpenAPI', async () => {
    const doc = (await t.call(undefined, { method: 'GET', url: '/api/openapi.json' })).json();
    expect(Object.keys(doc.paths['/api/v1/network/snapshots'])).toEqual(expect.arrayContaining(['get', 'post']));
    expect(Object.keys(doc.paths['/api/v1/network/snapshots'].post.responses)).toEqual(expect.arrayContaining(['201', '202']));
    expect(doc.paths['/api/v1/network/analyses/{id}'].get.responses['200']).toBeDefined();
    expect(doc.paths['/api/v1/network/host-reports'].post.requestBody.content['application/json'].schema.properties).toHaveProperty('report');
    const criteria = doc.paths['/api/v1/findings/search'].post.requestBody.content['application/json'].schema.properties.filterCriteria;
    expect(Object.keys(criteria.properties)).toEqual(expect.arrayContaining(['findingType', 'networkProtocol', 'portRange']));
  });

  it('rejects bad snapshots naming the file and field, and non-admins', async () => {
    const cases: [object, RegExp][] = [
      [{ 'rack.yaml': topology(['22']).replace('203.0.113.10', '203.0.113.999') }, /rack\.yaml: instances\[0\]\.interfaces\[0\]\.publicAddresses\[0\]/],
      [{ '../rack.yaml': 'networks: []' }, /not a snapshot file name/],
      [{}, /at least one file/],
      [{ 'describe-instances.json': { Reservations: [] } }, /describe-security-groups\.json: required file missing/],
    ];
    for (const [files, detail] of cases) {
      const r = await t.call(admin(), { method: 'POST', url: '/api/v1/network/snapshots', payload: { files } });
      expect(r.statusCode, r.body).toBe(400);
      expect(r.json().detail).toMatch(detail);
      expect(r.body).not.toContain('vigil-snapshot-');
    }
    const viewer = await t.call(t.keys.acme.viewer, { method: 'POST', url: '/api/v1/network/snapshots', payload: { files: { 'rack.yaml': topology(['22']) } } });
    expect(viewer.statusCode).toBe(403);
    const badReport = await t.call(t.keys.acme.scanner, { method: 'POST', url: '/api/v1/network/host-reports', payload: { resource: { name: 'web-1' }, report: { listeners: 'none' } } });
    expect(badReport.statusCode).toBe(400);
  });
});
