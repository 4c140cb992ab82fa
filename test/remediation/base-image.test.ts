/**
 * Base images with real OCI images built from Debian packages, on both database dialects:
 * the app image (debootstrapped bookworm + an npm layer) is scanned before its base, so the
 * base's arrival re-marks it; a newer build of the base (bookworm with the security
 * suite's versions of every source with a fix) is the image to rebuild on.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanTarget } from '../../src/inventory/index.js';
import type { Inventory } from '../../src/inventory/types.js';
import { createScanEngine } from '../../src/matching/engine.js';
import { storeIndex } from '../../src/matching/store-index.js';
import type { RemediationDocument } from '../../src/remediation/render.js';
import { VulnDb } from '../../src/vulndb/store.js';
import { debianImages, imageFromRootfs, sh } from '../helpers/images.js';
import { dialectCases } from '../helpers/postgres.js';
import { startTestApp, type TestApp } from '../server/harness.js';
import { sharedVulnDb, vulndataDir } from '../vulndb/shared-db.js';

interface TruthEntry {
  source: string;
  security_version: string;
  cves: string[];
}

/** The bookworm rootfs with every source that has a security fix at the security suite's version (its dpkg status rewritten). */
async function patchedRootfs(rootfs: string, dir: string): Promise<string> {
  const truth = JSON.parse(await readFile(join(vulndataDir, 'debian12-truth.json'), 'utf8')) as TruthEntry[];
  const fixed = new Map(truth.filter((t) => t.cves.length > 0).map((t) => [t.source, t.security_version]));
  const out = join(dir, 'rootfs');
  await cp(rootfs, out, { recursive: true, verbatimSymlinks: true, filter: (src) => !src.startsWith(join(rootfs, 'dev') + '/') });
  const statusPath = join(out, 'var/lib/dpkg/status');
  const stanzas = (await readFile(statusPath, 'utf8')).split('\n\n').map((stanza) => {
    const pkg = /^Package: (\S+)/m.exec(stanza)?.[1];
    const source = /^Source: (\S+)/m.exec(stanza)?.[1] ?? pkg;
    const version = source ? fixed.get(source) : undefined;
    if (!version) return stanza;
    return stanza.replace(/^Version: .*$/m, `Version: ${version}`).replace(/^Source: (\S+) \(.*\)$/m, 'Source: $1');
  });
  await writeFile(statusPath, stanzas.join('\n\n'));
  return out;
}

let engineDb: VulnDb;
let appInventory: Inventory;
let oldBase: Inventory;
let newBase: Inventory;
let workDir: string;

beforeAll(async () => {
  const [shared, images] = await Promise.all([sharedVulnDb(), debianImages()]);
  engineDb = new VulnDb(shared.path);
  workDir = await mkdtemp(join(tmpdir(), 'vigil-base-image-'));
  const rootfs = await patchedRootfs(images.rootfs, workDir);
  await sh('sh', ['-c', `rm -rf "${join(rootfs, 'dev')}"/*`]);
  const built = await imageFromRootfs(rootfs, workDir, 'bookworm-new');
  [appInventory, oldBase, newBase] = await Promise.all([
    scanTarget(`docker-archive:${images.dockerArchive('bookworm-node')}`),
    scanTarget(`docker-archive:${images.dockerArchive('bookworm')}`),
    scanTarget(`docker-archive:${built.dockerArchive}`),
  ]);
}, 900_000);

afterAll(async () => {
  engineDb?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

const image = (repository: string, tag: string, inv: Inventory) => ({ type: 'CONTAINER_IMAGE', name: `127.0.0.1:5000/${repository}:${tag}`, image: { registry: '127.0.0.1:5000', repository, digest: inv.target.digest, tags: [tag] } });

describe.each(dialectCases())('base images on $name', (dialect) => {
  let t: TestApp;
  let appId: string;
  let oldId: string;
  let newId: string;
  const post = async (resource: object, inventory: Inventory) => {
    const res = await t.call(t.keys.acme.scanner, { method: 'POST', url: '/api/v1/scans', payload: { resource, inventory } });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().resource.id as string;
  };
  const search = async (filterCriteria: object) =>
    (await t.call(t.keys.acme.viewer, { method: 'POST', url: '/api/v1/findings/search', payload: { filterCriteria, maxResults: 1000 } })).json().findings as { package: { ecosystem: string }; origin?: string }[];

  beforeAll(async () => {
    t = await startTestApp(dialect, { engine: createScanEngine(storeIndex(engineDb)) });
    // The app first: its base is not stored yet, so nothing can say where its packages came from.
    appId = await post(image('test/app', '1.0', appInventory), appInventory);
    expect((await search({ resourceId: [{ comparison: 'EQUALS', value: appId }] })).every((f) => f.origin === undefined)).toBe(true);
    oldId = await post(image('test/debian', '12.8', oldBase), oldBase);
    newId = await post(image('test/debian', '12.9', newBase), newBase);
  }, 300_000);
  afterAll(() => t?.close());

  it('marks the app image’s Debian findings BASE_IMAGE and its npm findings APPLICATION once the base arrives', async () => {
    const all = await search({ resourceId: [{ comparison: 'EQUALS', value: appId }] });
    const debian = all.filter((f) => f.package.ecosystem.startsWith('Debian'));
    const npm = all.filter((f) => f.package.ecosystem === 'npm');
    expect(debian.length).toBeGreaterThan(3);
    expect(npm.length).toBe(2);
    expect(debian.every((f) => f.origin === 'BASE_IMAGE')).toBe(true);
    expect(npm.every((f) => f.origin === 'APPLICATION')).toBe(true);
    // The filter and the aggregation agree with the findings.
    const base = await search({ resourceId: [{ comparison: 'EQUALS', value: appId }], origin: [{ comparison: 'EQUALS', value: 'BASE_IMAGE' }] });
    expect(base.length).toBe(debian.length);
    const agg = await t.call(t.keys.acme.viewer, { method: 'POST', url: '/api/v1/findings/aggregate', payload: { aggregationType: 'ORIGIN', filterCriteria: { resourceId: [{ comparison: 'EQUALS', value: appId }] } } });
    const counts = Object.fromEntries((agg.json().rows as { key: { origin: string }; counts: { total: number } }[]).map((r) => [r.key.origin, r.counts.total]));
    expect(counts).toEqual({ BASE_IMAGE: debian.length, APPLICATION: 2 });
    // A base image has no base of its own: its findings have no origin.
    expect((await search({ resourceId: [{ comparison: 'EQUALS', value: oldId }] })).every((f) => f.origin === undefined)).toBe(true);
    const bad = await t.call(t.keys.acme.viewer, { method: 'POST', url: '/api/v1/findings/search', payload: { filterCriteria: { origin: [{ comparison: 'EQUALS', value: 'BASE' }] } } });
    expect(bad.statusCode).toBe(400);
  });

  it('recommends rebuilding on the newer stored tag of the base repository, and says what it clears', async () => {
    const plan = (await t.call(t.keys.acme.viewer, { method: 'GET', url: `/api/v1/resources/${appId}/remediation` })).json() as RemediationDocument;
    const debianFindings = plan.actions.filter((a) => a.ecosystem.startsWith('Debian')).reduce((n, a) => n + a.findings.length, 0) + plan.unfixable.filter((u) => u.ecosystem.startsWith('Debian')).reduce((n, u) => n + u.findings.length, 0);
    expect(plan.baseImage).toMatchObject({ base: { resourceId: oldId, via: 'LAYERS', name: 'test/debian:12.8' }, baseFindings: debianFindings });
    // Every source with a security fix is at its fixed version in the newer build: it clears them all.
    expect(plan.baseImage?.recommendation).toEqual({
      image: 'test/debian:12.9',
      resourceId: newId,
      digest: newBase.target.digest,
      clears: debianFindings,
      of: debianFindings,
      introduces: 0,
      summary: `rebuild on test/debian:12.9 — clears ${debianFindings} of ${debianFindings} base findings`,
    });
    expect(plan.actions.filter((a) => a.ecosystem.startsWith('Debian')).every((a) => a.origin === 'BASE_IMAGE')).toBe(true);
    expect(plan.actions.filter((a) => a.ecosystem === 'npm').every((a) => a.origin === 'APPLICATION')).toBe(true);
  });

  it('shows origin in the finding detail JSON', async () => {
    const [f] = await search({ resourceId: [{ comparison: 'EQUALS', value: appId }], packageEcosystem: [{ comparison: 'EQUALS', value: 'npm' }] });
    const id = (f as unknown as { findingId: string }).findingId;
    const detail = (await t.call(t.keys.acme.viewer, { method: 'GET', url: `/api/v1/findings/${id}` })).json();
    expect(detail.origin).toBe('APPLICATION');
  });
});
