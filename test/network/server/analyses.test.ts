/**
 * Network analyses as queued jobs, on both dialects: a burst of host reports within the
 * debounce is one analysis; an analysis waits while another of its account runs; one that
 * throws is FAILED with the error; another account's analysis is 404; the scheduled import
 * queues one; old ones are pruned.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { continuousHandle } from '../../../src/jobs/attach.js';
import { pruneNetworkAnalyses } from '../../../src/network/server/analyses.js';
import { dialectCases } from '../../helpers/postgres.js';
import type { TestApp } from '../../server/harness.js';
import { analysisOf, startNetworkApp } from './analysis.js';

/** Hosts box-0 … box-4 at 10.0.0.10 …, each with a public address behind an SSH-only group. */
const lab = `
networks: [{ id: lab, cidrs: [10.0.0.0/24] }]
gateways: [{ id: edge, networks: [lab] }]
routeTables: [{ id: rt, network: lab, main: true, routes: [{ destination: 0.0.0.0/0, target: edge }] }]
subnets: [{ id: net, network: lab, cidrs: [10.0.0.0/24] }]
securityGroups: [{ id: ssh, inbound: [{ protocol: tcp, ports: 22, source: 0.0.0.0/0 }] }]
instances:
${[0, 1, 2, 3, 4].map((i) => `  - id: box-${i}\n    interfaces: [{ subnet: net, privateAddresses: [10.0.0.${10 + i}], publicAddresses: [203.0.113.${10 + i}], securityGroups: [ssh] }]`).join('\n')}
`;

function report(port: number) {
  return { firewallId: 'host/firewall', listeners: [{ protocol: 'tcp', port, address: '0.0.0.0', process: 'sshd', pid: 100 }], interfaces: [], firewall: { tool: 'none', raw: '' } };
}

describe.each(dialectCases())('network analyses on $name', (dialect) => {
  let t: TestApp;
  let snapshotDirs: string;
  const sendReport = (account: 'acme' | 'globex', name: string, port: number) =>
    t.call(t.keys[account].scanner, { method: 'POST', url: '/api/v1/network/host-reports', payload: { resource: { name }, report: report(port) } });
  const withDelay = async <T>(ms: number, fn: () => Promise<T>): Promise<T> => {
    const before = process.env.VIGIL_NETWORK_ANALYSIS_DELAY_MS;
    process.env.VIGIL_NETWORK_ANALYSIS_DELAY_MS = String(ms);
    try {
      return await fn();
    } finally {
      process.env.VIGIL_NETWORK_ANALYSIS_DELAY_MS = before;
    }
  };

  beforeAll(async () => {
    t = await startNetworkApp(dialect);
    snapshotDirs = mkdtempSync(join(tmpdir(), 'vigil-analyses-'));
    const r = await t.call(t.keys.acme.admin, { method: 'POST', url: '/api/v1/network/snapshots', payload: { files: { 'lab.yaml': lab } } });
    expect((await analysisOf(t, t.keys.acme.admin, r)).status).toBe('DONE');
  });
  afterAll(async () => {
    await t?.close();
    if (snapshotDirs) rmSync(snapshotDirs, { recursive: true, force: true });
  });

  it('a burst of reports within the debounce is one analysis, taking them all in', async () => {
    const answers = await withDelay(1500, () => Promise.all([0, 1, 2, 3, 4].map((i) => sendReport('acme', `box-${i}`, 22))));
    const ids = new Set(answers.map((a) => a.json().analysisId as string));
    expect(ids.size).toBe(1);
    const analysis = await analysisOf(t, t.keys.acme.scanner, answers[0]!);
    expect(analysis.status).toBe('DONE');
    expect(analysis.triggerCount).toBe(5);
    expect(analysis.triggers.map((x) => (x.kind === 'host-report' ? x.resourceId : x.kind)).sort()).toEqual(answers.map((a) => a.json().resourceId as string).sort());
    // One analysis saw all five reports: five listening sshd, five findings.
    expect(analysis.summary).toMatchObject({ hosts: 5, changedHosts: 5, findings: { created: 5, reopened: 0, updated: 0, closed: 0 }, exposures: 5 });
    // A report after it started is a new analysis.
    const later = await sendReport('acme', 'box-0', 2222);
    expect(later.json().analysisId).not.toBe(analysis.analysisId);
    expect((await analysisOf(t, t.keys.acme.scanner, later)).summary).toMatchObject({ changedHosts: 1, findings: { created: 0, closed: 1 } });
  });

  it('waits while another analysis of the account runs, and runs once it ends', async () => {
    // An analysis of acme held RUNNING, as by another worker.
    const now = Date.now();
    await t.db.kysely.insertInto('network_analyses').values({ id: 'held', account_id: 'acme', status: 'RUNNING', triggers: '[]', trigger_count: 0, error: null, summary: null, created_at: now, started_at: now, finished_at: null }).execute();
    // The index refuses a second running analysis of one account, whoever asks.
    await expect(t.db.kysely.insertInto('network_analyses').values({ id: 'second', account_id: 'acme', status: 'RUNNING', triggers: '[]', trigger_count: 0, error: null, summary: null, created_at: now, started_at: now, finished_at: null }).execute()).rejects.toThrow();
    const waiting = await sendReport('acme', 'box-1', 2222);
    const id = waiting.json().analysisId as string;
    await new Promise((r) => setTimeout(r, 1500));
    expect((await t.call(t.keys.acme.viewer, { method: 'GET', url: `/api/v1/network/analyses/${id}` })).json().status).toBe('QUEUED');
    await t.db.kysely.updateTable('network_analyses').set({ status: 'DONE', finished_at: Date.now() }).where('id', '=', 'held').execute();
    const done = await analysisOf(t, t.keys.acme.viewer, waiting);
    expect(done.status).toBe('DONE');
    expect(Date.parse(done.startedAt!)).toBeGreaterThanOrEqual(now + 1500);
  });

  it('an analysis that throws is FAILED with its error', async () => {
    // globex's stored snapshot no longer imports (as after an importer grew stricter).
    const r = await t.call(t.keys.globex.admin, { method: 'POST', url: '/api/v1/network/snapshots', payload: { files: { 'lab.yaml': lab } } });
    expect((await analysisOf(t, t.keys.globex.admin, r)).status).toBe('DONE');
    await t.db.kysely.updateTable('network_snapshots').set({ files: JSON.stringify({ 'lab.yaml': 'networks: [{ id: lab, cidrs: [10.0.0.0/99] }]' }) }).where('id', '=', r.json().snapshot.snapshotId).execute();
    const failed = await analysisOf(t, t.keys.globex.scanner, await sendReport('globex', 'box-0', 22));
    expect(failed).toMatchObject({ status: 'FAILED', error: expect.stringMatching(/^lab\.yaml: networks\[0\]\.cidrs\[0\]: .*10\.0\.0\.0\/99/) });
    expect(failed.finishedAt).toBeDefined();
    expect(failed.summary).toBeUndefined();
    // The account is not stuck: the next trigger queues a new analysis.
    const next = await sendReport('globex', 'box-0', 2222);
    expect(next.json().analysisId).not.toBe(failed.analysisId);
    await analysisOf(t, t.keys.globex.scanner, next);
  });

  it('an admin can queue an analysis when nothing new arrived, as after a failure', async () => {
    expect((await t.call(t.keys.acme.scanner, { method: 'POST', url: '/api/v1/network/analyses', payload: {} })).statusCode).toBe(403);
    const asked = await t.call(t.keys.acme.admin, { method: 'POST', url: '/api/v1/network/analyses', payload: {} });
    const analysis = await analysisOf(t, t.keys.acme.admin, asked);
    expect(analysis).toMatchObject({ accountId: 'acme', status: 'DONE', triggers: [{ kind: 'request', keyId: expect.any(String) }] });
    // The snapshot is analysed again: nothing changed, so nothing is opened or closed.
    expect(analysis.summary).toMatchObject({ hosts: 5, changedHosts: 0, findings: { created: 0, closed: 0 } });
  });

  it("another account's analysis is 404", async () => {
    const r = await sendReport('acme', 'box-2', 2222);
    const id = r.json().analysisId as string;
    await analysisOf(t, t.keys.acme.viewer, r);
    for (const key of [t.keys.globex.viewer, t.keys.globex.scanner, t.keys.globex.admin]) {
      const other = await t.call(key, { method: 'GET', url: `/api/v1/network/analyses/${id}` });
      expect(other.statusCode).toBe(404);
      expect(other.body).not.toContain('acme');
    }
    expect((await t.call(t.keys.admin.viewer, { method: 'GET', url: `/api/v1/network/analyses/${id}` })).json().accountId).toBe('acme');
    expect((await t.call(t.keys.acme.viewer, { method: 'GET', url: '/api/v1/network/analyses/no-such-id' })).statusCode).toBe(404);
    expect((await t.call(undefined, { method: 'GET', url: `/api/v1/network/analyses/${id}` })).statusCode).toBe(401);
  });

  it('the scheduled import queues an analysis of each imported account', async () => {
    mkdirSync(join(snapshotDirs, 'acme'));
    writeFileSync(join(snapshotDirs, 'acme', 'lab.yaml'), lab.replace('ports: 22', 'ports: 2222'));
    const { queue } = await continuousHandle(t.app)!;
    await queue.send('network-import', { dir: snapshotDirs });
    let row;
    for (let i = 0; i < 600 && !row; i++) {
      row = await t.db.kysely.selectFrom('network_analyses').select('id').where('account_id', '=', 'acme').where('triggers', 'like', '%directory:%').executeTakeFirst();
      if (!row) await new Promise((r) => setTimeout(r, 50));
    }
    const analysis = await analysisOf(t, t.keys.acme.viewer, row!.id);
    expect(analysis.triggers).toEqual([{ kind: 'snapshot', snapshotId: expect.any(String), source: `directory:${join(snapshotDirs, 'acme')}` }]);
    expect(analysis.summary).toMatchObject({ hosts: 5, exposures: 5 });
  });

  it('prunes analyses older than the retention, never a running one', async () => {
    const old = Date.now() - 8 * 86_400_000;
    await t.db.kysely.insertInto('network_analyses').values({ id: 'old-running', account_id: 'globex', status: 'RUNNING', triggers: '[]', trigger_count: 0, error: null, summary: null, created_at: old, started_at: old, finished_at: null }).execute();
    await t.db.kysely.updateTable('network_analyses').set({ created_at: old }).where('id', '=', 'held').execute();
    const before = await t.db.kysely.selectFrom('network_analyses').select('id').execute();
    await pruneNetworkAnalyses(t.db, Date.now() - 7 * 86_400_000);
    const after = (await t.db.kysely.selectFrom('network_analyses').select('id').execute()).map((r) => r.id);
    expect(after).toContain('old-running');
    expect(after).not.toContain('held');
    expect(after).toHaveLength(before.length - 1);
  });
});
