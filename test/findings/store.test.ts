/**
 * The findings store on both dialects: lifecycle with timeline, filter criteria, sorted
 * cursor pages, aggregation, suppression rules, coverage, usage, the inverted package
 * index and retention.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/connect.js';
import { aggregateFindings } from '../../src/findings/aggregate.js';
import { parseCriteria, type FilterCriteria } from '../../src/findings/criteria.js';
import { coverageOf, coverageStatistics, listCoverage } from '../../src/findings/coverage.js';
import { exportFindings } from '../../src/findings/export.js';
import { loadInventory, resourcesHoldingKeys } from '../../src/findings/inventories.js';
import { recordFailedScan, recordScan, sweepClosedFindings } from '../../src/findings/lifecycle.js';
import { upsertResource } from '../../src/findings/resources.js';
import { countFindings, getFinding, searchFindings, type SortCriteria } from '../../src/findings/search.js';
import { getSettings, updateSettings } from '../../src/findings/settings.js';
import { createRule, deleteRule, expireRules, getRule, previewRule, unusedRules } from '../../src/findings/suppression.js';
import { usageFor } from '../../src/findings/usage.js';
import { createAccount } from '../../src/server/accounts.js';
import { dialectCases } from '../helpers/postgres.js';
import { finding, inventory, pkg, result } from './fixtures.js';

const T0 = Date.UTC(2026, 10, 1, 0, 0, 0);

/** Ids of the resources whose latest inventory holds any of the packages. */
async function resourcesHolding(db: Db, changed: { ecosystem: string; name: string }[]): Promise<string[]> {
  return [...(await resourcesHoldingKeys(db, changed)).keys()].sort();
}
const HOUR = 3600_000;
const DAY = 24 * HOUR;

describe.each(dialectCases())('findings store on $name', (dialect) => {
  let db: Db;
  beforeAll(async () => {
    db = await dialect.open();
    await createAccount(db, 'acme');
    await createAccount(db, 'globex');
  });
  afterAll(async () => {
    await db?.close();
  });

  describe('lifecycle', () => {
    const openssl = pkg('Debian:12', 'openssl', '3.0.1');
    const zlib = pkg('Debian:12', 'zlib1g', '1.2.13');
    const inv = inventory('web-1', [openssl, zlib]);
    const a = finding('CVE-2024-0001', openssl, { severity: 'CRITICAL', score: 9.8 });
    const b = finding('CVE-2024-0002', zlib, { severity: 'MEDIUM', score: 5.0 });

    it('opens, refreshes, closes absent findings and reopens comebacks with a timeline', async () => {
      const s1 = await recordScan(db, { accountId: 'acme', resource: { type: 'HOST', name: 'web-1' }, inventory: inv, result: result(inv, [a, b]), trigger: 'SUBMITTED', at: T0 });
      expect(s1.summary).toMatchObject({ created: 2, closed: 0 });
      expect(s1.inventoryVersion).toBe(1);

      const s2 = await recordScan(db, { accountId: 'acme', resource: { type: 'HOST', name: 'web-1' }, inventory: inv, result: result(inv, [a]), trigger: 'SUBMITTED', at: T0 + HOUR });
      expect(s2.summary).toMatchObject({ created: 0, unchanged: 1, closed: 1 });
      expect(s2.inventoryVersion).toBe(2);
      // An unchanged finding is only observed again: its last observation moves, nothing else.
      const seen = await searchFindings(db, ['acme'], { criteria: { vulnerabilityId: [{ comparison: 'EQUALS', value: 'CVE-2024-0001' }] }, limit: 10 });
      expect(await getFinding(db, ['acme'], seen.findings[0].findingId)).toMatchObject({
        status: 'ACTIVE',
        lastObservedAt: new Date(T0 + HOUR).toISOString(),
        updatedAt: new Date(T0).toISOString(),
      });

      const s3 = await recordScan(db, {
        accountId: 'acme',
        resource: { type: 'HOST', name: 'web-1' },
        inventory: inv,
        result: result(inv, [{ ...a, score: 9.9 }, b]),
        trigger: 'SUBMITTED',
        at: T0 + 2 * HOUR,
      });
      expect(s3.summary).toMatchObject({ created: 0, reopened: 1, updated: 1, closed: 0 });

      const page = await searchFindings(db, ['acme'], { criteria: { vulnerabilityId: [{ comparison: 'EQUALS', value: 'CVE-2024-0002' }] }, limit: 10 });
      expect(page.findings).toHaveLength(1);
      const detail = await getFinding(db, ['acme'], page.findings[0].findingId);
      expect(detail).toMatchObject({
        status: 'ACTIVE',
        vulnerabilityId: 'CVE-2024-0002',
        accountId: 'acme',
        resource: { type: 'HOST', name: 'web-1' },
        firstObservedAt: new Date(T0).toISOString(),
        lastObservedAt: new Date(T0 + 2 * HOUR).toISOString(),
        updatedAt: new Date(T0 + 2 * HOUR).toISOString(),
      });
      expect(detail!.closedAt).toBeUndefined();
      expect(detail!.timeline.map((e) => [e.event, e.at])).toEqual([
        ['CREATED', new Date(T0).toISOString()],
        ['CLOSED', new Date(T0 + HOUR).toISOString()],
        ['REOPENED', new Date(T0 + 2 * HOUR).toISOString()],
      ]);
      const updated = await searchFindings(db, ['acme'], { criteria: { vulnerabilityId: [{ comparison: 'EQUALS', value: 'CVE-2024-0001' }] }, limit: 10 });
      const t = (await getFinding(db, ['acme'], updated.findings[0].findingId))!.timeline;
      expect(t.map((e) => e.event)).toEqual(['CREATED', 'UPDATED']);
      expect(t[1].changes).toEqual({ score: { from: 9.8, to: 9.9 } });
    });

    it('keeps inventories versioned and the inverted package index in sync', async () => {
      const res = await searchFindings(db, ['acme'], { criteria: { resourceName: [{ comparison: 'EQUALS', value: 'web-1' }] }, limit: 1 });
      const resourceId = res.findings[0].resource.id;
      expect((await loadInventory(db, resourceId))!.version).toBe(3);
      expect((await loadInventory(db, resourceId, 1))!.inventory.packages.map((p) => p.name)).toEqual(['openssl', 'zlib1g']);
      expect(await resourcesHolding(db, [{ ecosystem: 'Debian:12', name: 'zlib1g' }])).toEqual([resourceId]);
      expect(await resourcesHolding(db, [{ ecosystem: 'Debian', name: 'openssl' }])).toEqual([resourceId]);
      expect(await resourcesHolding(db, [{ ecosystem: 'Debian:11', name: 'openssl' }])).toEqual([]);
      const smaller = inventory('web-1', [openssl]);
      await recordScan(db, { accountId: 'acme', resource: { id: resourceId }, inventory: smaller, result: result(smaller, [a]), trigger: 'SUBMITTED', at: T0 + 3 * HOUR });
      expect(await resourcesHolding(db, [{ ecosystem: 'Debian:12', name: 'zlib1g' }])).toEqual([]);
      // The zlib finding closed with the package gone.
      expect(await countFindings(db, ['acme'], { status: [{ comparison: 'EQUALS', value: 'CLOSED' }] })).toBe(1);
    });

    it('never reads another account and refuses a resource id of another account', async () => {
      expect(await countFindings(db, ['globex'], {})).toBe(0);
      const res = await searchFindings(db, ['acme'], { criteria: {}, limit: 1 });
      expect(await getFinding(db, ['globex'], res.findings[0].findingId)).toBeUndefined();
      await expect(
        recordScan(db, { accountId: 'globex', resource: { id: res.findings[0].resource.id }, inventory: inv, result: result(inv, []), trigger: 'SUBMITTED' }),
      ).rejects.toThrow(/not found in account globex/);
    });

    it('deletes findings closed longer than the retention, with their timelines', async () => {
      expect(await sweepClosedFindings(db, { retentionDays: 30, now: T0 + 10 * DAY })).toBe(0);
      expect(await sweepClosedFindings(db, { retentionDays: 30, now: T0 + 31 * DAY })).toBe(1);
      expect(await countFindings(db, ['acme'], { status: [{ comparison: 'EQUALS', value: 'CLOSED' }] })).toBe(0);
    });
  });

  describe('search', () => {
    // globex: three images in two repositories, findings of varied severity/score/EPSS.
    beforeAll(async () => {
      const lodash = pkg('npm', 'lodash', '4.17.15', { layer: 'sha256:layer-a' });
      const minimist = pkg('npm', 'minimist', '1.2.0', { layer: 'sha256:layer-b' });
      const requests = pkg('PyPI', 'requests', '2.0.0');
      const images = [
        { repo: 'shop/api', digest: 'sha256:aaa', tags: ['1.0', 'latest'], findings: [finding('CVE-2020-8203', lodash, { severity: 'HIGH', score: 7.4, epss: 0.3, kev: true }), finding('CVE-2021-44906', minimist, { severity: 'CRITICAL', score: 9.8, epss: 0.9 })] },
        { repo: 'shop/api', digest: 'sha256:bbb', tags: ['0.9'], findings: [finding('CVE-2020-8203', lodash, { severity: 'HIGH', score: 7.4, epss: 0.3, kev: true })] },
        { repo: 'shop/web', digest: 'sha256:ccc', tags: ['2.0'], findings: [finding('CVE-2023-32681', requests, { severity: 'MEDIUM', score: 6.1, fix: 'NO' }), finding('CVE-2018-18074', requests, { severity: 'LOW', score: 3.1, epss: 0.01 })] },
      ];
      for (const [i, img] of images.entries()) {
        const inv = inventory(`reg.example/${img.repo}@${img.digest}`, [lodash, minimist, requests], 'registry');
        await recordScan(db, {
          accountId: 'globex',
          resource: { type: 'CONTAINER_IMAGE', image: { registry: 'reg.example', repository: img.repo, digest: img.digest, tags: img.tags }, tags: { team: i < 2 ? 'api' : 'web' } },
          inventory: inv,
          result: result(inv, img.findings),
          trigger: 'SUBMITTED',
          at: T0 + i * DAY,
        });
      }
    });

    const ids = async (criteria: FilterCriteria, sort?: SortCriteria) =>
      (await searchFindings(db, ['globex'], { criteria, sort, limit: 100 })).findings.map((f) => `${f.vulnerabilityId}@${f.resource.image?.digest}`).sort();

    it.each<[string, Record<string, unknown>, string[]]>([
      ['severity EQUALS', { severity: [{ comparison: 'EQUALS', value: 'CRITICAL' }] }, ['CVE-2021-44906@sha256:aaa']],
      ['severity alternatives', { severity: [{ comparison: 'EQUALS', value: 'LOW' }, { comparison: 'EQUALS', value: 'MEDIUM' }] }, ['CVE-2018-18074@sha256:ccc', 'CVE-2023-32681@sha256:ccc']],
      ['vulnerability NOT_EQUALS', { vulnerabilityId: [{ comparison: 'NOT_EQUALS', value: 'CVE-2020-8203' }, { comparison: 'NOT_EQUALS', value: 'CVE-2018-18074' }] }, ['CVE-2021-44906@sha256:aaa', 'CVE-2023-32681@sha256:ccc']],
      ['title PREFIX', { title: [{ comparison: 'PREFIX', value: 'CVE-2023' }] }, ['CVE-2023-32681@sha256:ccc']],
      ['prefix with LIKE metacharacters matches literally', { title: [{ comparison: 'PREFIX', value: 'CVE_2023%' }] }, []],
      ['repository', { imageRepository: [{ comparison: 'EQUALS', value: 'shop/web' }] }, ['CVE-2018-18074@sha256:ccc', 'CVE-2023-32681@sha256:ccc']],
      ['image tag', { imageTag: [{ comparison: 'EQUALS', value: 'latest' }] }, ['CVE-2020-8203@sha256:aaa', 'CVE-2021-44906@sha256:aaa']],
      ['image tag NOT_EQUALS', { imageTag: [{ comparison: 'NOT_EQUALS', value: 'latest' }, { comparison: 'NOT_EQUALS', value: '2.0' }] }, ['CVE-2020-8203@sha256:bbb']],
      ['digest', { imageDigest: [{ comparison: 'EQUALS', value: 'sha256:bbb' }] }, ['CVE-2020-8203@sha256:bbb']],
      ['layer', { layer: [{ comparison: 'EQUALS', value: 'sha256:layer-b' }] }, ['CVE-2021-44906@sha256:aaa']],
      ['package name and ecosystem', { packageName: [{ comparison: 'EQUALS', value: 'requests' }], packageEcosystem: [{ comparison: 'EQUALS', value: 'PyPI' }] }, ['CVE-2018-18074@sha256:ccc', 'CVE-2023-32681@sha256:ccc']],
      ['package version', { packageVersion: [{ comparison: 'PREFIX', value: '1.2' }] }, ['CVE-2021-44906@sha256:aaa']],
      ['fix available NO', { fixAvailable: [{ comparison: 'EQUALS', value: 'NO' }] }, ['CVE-2023-32681@sha256:ccc']],
      ['exploited', { exploited: [{ comparison: 'EQUALS', value: 'YES' }] }, ['CVE-2020-8203@sha256:aaa', 'CVE-2020-8203@sha256:bbb']],
      ['resource tag', { resourceTags: [{ comparison: 'EQUALS', key: 'team', value: 'web' }] }, ['CVE-2018-18074@sha256:ccc', 'CVE-2023-32681@sha256:ccc']],
      ['resource tag absent', { resourceTags: [{ comparison: 'NOT_EQUALS', key: 'team', value: 'api' }] }, ['CVE-2018-18074@sha256:ccc', 'CVE-2023-32681@sha256:ccc']],
      ['score range', { score: [{ lowerInclusive: 6.1, upperInclusive: 7.4 }] }, ['CVE-2020-8203@sha256:aaa', 'CVE-2020-8203@sha256:bbb', 'CVE-2023-32681@sha256:ccc']],
      ['epss range excludes unknown', { epss: [{ lowerInclusive: 0 , upperInclusive: 0.05 }] }, ['CVE-2018-18074@sha256:ccc']],
      ['first observed range', { firstObservedAt: [{ startInclusive: new Date(T0 + DAY).toISOString(), endInclusive: new Date(T0 + DAY).toISOString() }] }, ['CVE-2020-8203@sha256:bbb']],
      ['Inspector names', { ecrImageRepositoryName: [{ comparison: 'EQUALS', value: 'shop/api' }], inspectorScore: [{ lowerInclusive: 9 }], findingStatus: [{ comparison: 'EQUALS', value: 'ACTIVE' }] }, ['CVE-2021-44906@sha256:aaa']],
      ['Inspector vulnerablePackages', { vulnerablePackages: [{ name: { comparison: 'EQUALS', value: 'minimist' } }, { name: { comparison: 'EQUALS', value: 'requests' }, version: { comparison: 'EQUALS', value: '9' } }] }, ['CVE-2021-44906@sha256:aaa']],
      ['Inspector resource type and epoch-second dates', { resourceType: [{ comparison: 'EQUALS', value: 'AWS_ECR_CONTAINER_IMAGE' }], lastObservedAt: [{ startInclusive: (T0 + 2 * DAY) / 1000 }] }, ['CVE-2018-18074@sha256:ccc', 'CVE-2023-32681@sha256:ccc']],
    ])('filters by %s', async (_name, raw, expected) => {
      expect(await ids(parseCriteria(raw))).toEqual(expected);
    });

    it.each<[string, unknown, RegExp]>([
      ['unknown field', { nope: [] }, /nope|Unrecognized/i],
      ['unsupported Inspector field', { ec2InstanceVpcId: [{ comparison: 'EQUALS', value: 'x' }] }, /not supported/],
      ['bad enum value', { status: [{ comparison: 'EQUALS', value: 'OPEN' }] }, /status must be one of/],
      ['bad comparison', { title: [{ comparison: 'LIKE', value: 'x' }] }, /comparison|Invalid/i],
      ['bad date', { updatedAt: [{ startInclusive: 'yesterday' }] }, /not a date/],
    ])('rejects %s', (_name, raw, message) => {
      expect(() => parseCriteria(raw)).toThrow(message);
    });

    it.each<[SortCriteria, string[]]>([
      [{ field: 'SCORE', sortOrder: 'DESC' }, ['9.8', '7.4', '7.4', '6.1', '3.1']],
      [{ field: 'SCORE', sortOrder: 'ASC' }, ['3.1', '6.1', '7.4', '7.4', '9.8']],
      [{ field: 'SEVERITY', sortOrder: 'DESC' }, ['CRITICAL', 'HIGH', 'HIGH', 'MEDIUM', 'LOW']],
      [{ field: 'EPSS', sortOrder: 'DESC' }, ['0.9', '0.3', '0.3', '0.01', '-']],
      [{ field: 'FIRST_OBSERVED_AT', sortOrder: 'ASC' }, ['0', '0', '1', '2', '2']],
    ])('sorts by %o across cursor pages of 2', async (sort, expected) => {
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await searchFindings(db, ['globex'], { criteria: {}, sort, limit: 2, cursor });
        pages++;
        for (const f of page.findings) {
          if (sort.field === 'SCORE') seen.push(String(f.score));
          else if (sort.field === 'SEVERITY') seen.push(f.severity);
          else if (sort.field === 'EPSS') seen.push(f.epss ? String(f.epss.score) : '-');
          else seen.push(String((Date.parse(f.firstObservedAt) - T0) / DAY));
        }
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toEqual(expected);
      expect(pages).toBe(3);
    });

    it('rejects a cursor from another sort', async () => {
      const page = await searchFindings(db, ['globex'], { criteria: {}, sort: { field: 'SCORE', sortOrder: 'DESC' }, limit: 1 });
      await expect(searchFindings(db, ['globex'], { criteria: {}, sort: { field: 'EPSS', sortOrder: 'DESC' }, limit: 1, cursor: page.nextCursor })).rejects.toThrow(/cursor/);
    });

    it('aggregates by every grouping with severity counts, affected resources, max score and exploited', async () => {
      const vuln = await aggregateFindings(db, ['globex'], { type: 'VULNERABILITY', criteria: {}, limit: 10 });
      expect(vuln.rows[0]).toMatchObject({ key: { vulnerabilityId: 'CVE-2021-44906' }, affectedResources: 1, maxScore: 9.8 });
      const lodash = vuln.rows.find((r) => r.key.vulnerabilityId === 'CVE-2020-8203')!;
      expect(lodash).toMatchObject({ affectedResources: 2, exploited: 2, counts: { HIGH: 2, total: 2 } });

      const repos = await aggregateFindings(db, ['globex'], { type: 'REPOSITORY', criteria: {}, sortBy: 'TOTAL', limit: 10 });
      expect(repos.rows.map((r) => [r.key.repository, r.counts.total, r.affectedResources])).toEqual([
        ['shop/api', 3, 2],
        ['shop/web', 2, 1],
      ]);
      const images = await aggregateFindings(db, ['globex'], { type: 'CONTAINER_IMAGE', criteria: {}, sortBy: 'MAX_SCORE', limit: 1 });
      expect(images.rows[0].labels).toMatchObject({ digest: 'sha256:aaa', repository: 'shop/api' });
      expect(images.nextToken).toBeDefined();
      const next = await aggregateFindings(db, ['globex'], { type: 'CONTAINER_IMAGE', criteria: {}, sortBy: 'MAX_SCORE', limit: 5, nextToken: images.nextToken });
      expect(next.rows.map((r) => r.labels!.digest)).toEqual(['sha256:bbb', 'sha256:ccc']);

      const layers = await aggregateFindings(db, ['globex'], { type: 'IMAGE_LAYER', criteria: {}, sortBy: 'EXPLOITED', limit: 10 });
      expect(layers.rows.map((r) => [r.key.layer, r.exploited])).toEqual([['sha256:layer-a', 2], ['sha256:layer-b', 0]]);
      const sev = await aggregateFindings(db, ['globex'], { type: 'SEVERITY', criteria: { packageName: [{ comparison: 'EQUALS', value: 'requests' }] }, sortBy: 'TOTAL', limit: 10 });
      expect(sev.rows.map((r) => r.key.severity).sort()).toEqual(['LOW', 'MEDIUM']);
      const acct = await aggregateFindings(db, 'ALL', { type: 'ACCOUNT', criteria: {}, sortBy: 'TOTAL', sortOrder: 'ASC', limit: 10 });
      expect(acct.rows.map((r) => r.key.accountId)).toEqual(['acme', 'globex']);
      const types = await aggregateFindings(db, ['globex'], { type: 'FINDING_TYPE', criteria: {}, limit: 10 });
      expect(types.rows).toEqual([expect.objectContaining({ key: { findingType: 'PACKAGE_VULNERABILITY' } })]);
      const pkgs = await aggregateFindings(db, ['globex'], { type: 'PACKAGE', criteria: {}, sortBy: 'AFFECTED_RESOURCES', limit: 1 });
      expect(pkgs.rows[0].key).toEqual({ packageEcosystem: 'npm', packageName: 'lodash' });
      const hosts = await aggregateFindings(db, 'ALL', { type: 'HOST', criteria: {}, limit: 10 });
      expect(hosts.rows.map((r) => r.labels!.name)).toEqual(['web-1']);
    });

    it('exports CSV and JSON streams of the same rows', async () => {
      const read = async (s: NodeJS.ReadableStream) => {
        let out = '';
        for await (const chunk of s) out += chunk.toString();
        return out;
      };
      const criteria: FilterCriteria = { imageRepository: [{ comparison: 'EQUALS', value: 'shop/api' }] };
      const csv = (await read(exportFindings(db, ['globex'], criteria, 'csv'))).trim().split('\r\n');
      expect(csv).toHaveLength(4);
      expect(csv[0].split(',').slice(0, 3)).toEqual(['findingId', 'accountId', 'status']);
      const json = JSON.parse(await read(exportFindings(db, ['globex'], criteria, 'json'))) as { findingId: string }[];
      expect(json.map((f) => f.findingId).sort()).toEqual(csv.slice(1).map((l) => l.split(',')[0]).sort());
      expect(JSON.parse(await read(exportFindings(db, ['globex'], { title: [{ comparison: 'EQUALS', value: 'none' }] }, 'json')))).toEqual([]);
    });
  });

  describe('suppression rules', () => {
    const crit = (v: string): FilterCriteria => ({ vulnerabilityId: [{ comparison: 'EQUALS', value: v }] });

    it('suppresses present and future matches, previews, reports unused rules, and restores on delete', async () => {
      const preview = await previewRule(db, ['globex'], 'globex', crit('CVE-2020-8203'));
      expect(preview.count).toBe(2);
      const { rule, suppressed } = await createRule(db, { accountId: 'globex', name: 'lodash', reason: 'not reachable', justification: 'vulnerable_code_not_in_execute_path', criteria: crit('CVE-2020-8203'), createdBy: 'k1' });
      expect(suppressed).toBe(2);
      expect(await countFindings(db, ['globex'], { status: [{ comparison: 'EQUALS', value: 'SUPPRESSED' }] })).toBe(2);
      // A rule of another account never touches globex.
      await createRule(db, { accountId: 'acme', name: 'acme', reason: 'x', criteria: crit('CVE-2021-44906'), createdBy: 'k2' });
      expect(await countFindings(db, ['globex'], { vulnerabilityId: [{ comparison: 'EQUALS', value: 'CVE-2021-44906' }], status: [{ comparison: 'EQUALS', value: 'ACTIVE' }] })).toBe(1);
      expect((await unusedRules(db, 'ALL')).map((r) => r.name)).toEqual(['acme']);

      // A new image with the same vulnerability is suppressed as it arrives.
      const lodash = pkg('npm', 'lodash', '4.17.15');
      const inv = inventory('reg.example/shop/api@sha256:ddd', [lodash], 'registry');
      const scan = await recordScan(db, {
        accountId: 'globex',
        resource: { type: 'CONTAINER_IMAGE', image: { registry: 'reg.example', repository: 'shop/api', digest: 'sha256:ddd' } },
        inventory: inv,
        result: result(inv, [finding('CVE-2020-8203', lodash)]),
        trigger: 'SUBMITTED',
        at: T0 + 5 * DAY,
      });
      expect(scan.summary).toMatchObject({ created: 1, suppressed: 1 });

      const row = await getRule(db, ['globex'], rule.id);
      expect(await deleteRule(db, row!)).toBe(3);
      expect(await countFindings(db, ['globex'], { status: [{ comparison: 'EQUALS', value: 'SUPPRESSED' }] })).toBe(0);
      const f = (await searchFindings(db, ['globex'], { criteria: crit('CVE-2020-8203'), limit: 1 })).findings[0];
      expect((await getFinding(db, ['globex'], f.findingId))!.timeline.map((e) => e.event).slice(-2)).toEqual(['SUPPRESSED', 'UNSUPPRESSED']);
    });

    it('lets another rule keep a finding suppressed, and expires rules', async () => {
      const now = Date.now();
      const org = await createRule(db, { accountId: null, name: 'org', reason: 'risk accepted', justification: 'accepted_risk', criteria: { packageName: [{ comparison: 'EQUALS', value: 'requests' }] }, expiresAt: now + 1000, createdBy: 'k1' }, now);
      expect(org.suppressed).toBe(2);
      const narrow = await createRule(db, { accountId: 'globex', name: 'narrow', reason: 'x', criteria: crit('CVE-2018-18074'), createdBy: 'k1' }, now);
      expect(narrow.suppressed).toBe(0);
      expect(await expireRules(db, now + 500)).toEqual({ rules: 0, restored: 0 });
      expect(await expireRules(db, now + 2000)).toEqual({ rules: 1, restored: 2 });
      // The narrow rule claimed its finding back; the other is ACTIVE again.
      const statuses = (await searchFindings(db, ['globex'], { criteria: { packageName: [{ comparison: 'EQUALS', value: 'requests' }] }, limit: 10 })).findings.map((f) => `${f.vulnerabilityId}:${f.status}`).sort();
      expect(statuses).toEqual(['CVE-2018-18074:SUPPRESSED', 'CVE-2023-32681:ACTIVE']);
    });

    it.each<[string, FilterCriteria, RegExp]>([
      ['empty criteria', {}, /at least one filter/],
      ['status criteria', { status: [{ comparison: 'EQUALS', value: 'ACTIVE' }] }, /cannot filter on status/],
    ])('refuses a rule with %s', async (_n, criteria, message) => {
      await expect(createRule(db, { accountId: 'globex', name: 'x', reason: 'x', criteria, createdBy: 'k' })).rejects.toThrow(message);
    });
  });

  describe('coverage and usage', () => {
    it('gives each resource its coverage reason', async () => {
      const settings = await getSettings(db);
      const now = T0 + 3 * DAY;
      await upsertResource(db, 'acme', { type: 'HOST', name: 'pending-1' });
      await upsertResource(db, 'acme', { type: 'HOST', name: 'excluded-1', tags: { 'vigil:exclude': 'true' } });
      await recordFailedScan(db, { accountId: 'acme', resource: { type: 'CONTAINER_IMAGE', name: 'reg.example/broken:1' }, trigger: 'PULLED', error: 'manifest unknown', at: T0 });
      const empty = inventory('empty-1', []);
      await recordScan(db, { accountId: 'acme', resource: { type: 'HOST', name: 'empty-1' }, inventory: empty, result: result(empty, []), trigger: 'SUBMITTED', at: now });
      const all = await listCoverage(db, ['acme'], settings, {}, now);
      const byName = Object.fromEntries(all.map((c) => [c.name, `${c.status}/${c.reason}`]));
      expect(byName).toEqual({
        'web-1': 'ACTIVE/SUCCESSFUL',
        'pending-1': 'INACTIVE/PENDING_INITIAL_SCAN',
        'excluded-1': 'INACTIVE/EXCLUDED_BY_TAG',
        'reg.example/broken:1': 'INACTIVE/SCAN_FAILED',
        'empty-1': 'INACTIVE/NO_INVENTORY',
      });
      const later = await listCoverage(db, ['acme'], settings, { status: 'INACTIVE', reason: 'STALE_INVENTORY' }, T0 + 30 * DAY);
      expect(later.map((c) => c.name).sort()).toEqual(['empty-1', 'web-1'].filter((n) => n === 'web-1'));
      const stats = await coverageStatistics(db, ['acme'], settings, {}, now);
      expect(stats.total).toBe(5);
      expect(stats.byStatus).toEqual({ ACTIVE: 1, INACTIVE: 4 });
      expect(stats.groups).toContainEqual({ resourceType: 'HOST', accountId: 'acme', status: 'INACTIVE', reason: 'PENDING_INITIAL_SCAN', count: 1 });
      expect(coverageOf({ id: 'x', account_id: 'a', type: 'CONTAINER_IMAGE', name: 'i', tags: '{}', last_scan_at: T0, last_scan_status: 'SUCCESSFUL' }, settings, T0 + 91 * DAY).reason).toBe('SCAN_ELIGIBILITY_EXPIRED');
    });

    it('counts host-hours, image scans and rescans, priced by the settings', async () => {
      await createAccount(db, 'usage');
      const month = '2026-12';
      const start = Date.UTC(2026, 11, 1);
      const inv = inventory('h', [pkg('Debian:12', 'bash', '5.2')]);
      // A host scanned every 12 hours for the first 10 days: 240 host-hours (gaps < 24 h).
      for (let h = 0; h <= 240; h += 12) {
        await recordScan(db, { accountId: 'usage', resource: { type: 'HOST', name: 'h1' }, inventory: inv, result: result(inv, []), trigger: 'SUBMITTED', at: start + h * HOUR });
      }
      const img = inventory('i', [pkg('npm', 'lodash', '1.0.0')], 'registry');
      for (let i = 0; i < 3; i++) {
        await recordScan(db, { accountId: 'usage', resource: { type: 'CONTAINER_IMAGE', image: { repository: 'app', digest: 'sha256:1' } }, inventory: img, result: result(img, []), trigger: i === 2 ? 'REEVALUATION' : 'SUBMITTED', at: start + (i + 1) * HOUR });
      }
      await updateSettings(db, { priceImageScan: 0.1 });
      const settings = await getSettings(db);
      const now = start + 20 * DAY; // last seen 10 days ago, past the 7-day staleness: no longer covered.
      const [u] = await usageFor(db, ['usage'], settings, month, now);
      expect(u).toMatchObject({ accountId: 'usage', hostHours: 240, imageScans: 1, imageRescans: 2 });
      expect(u.cost).toEqual({ hosts: Math.round(240 * (1.25 / 730) * 1e4) / 1e4, imageScans: 0.1, imageRescans: 0.02, total: expect.any(Number), currency: 'USD' });
      expect(u.cost.total).toBeCloseTo(u.cost.hosts + 0.12, 4);
      expect(u.projected.hostHours).toBe(240);
      expect(u.projected.imageScans).toBe(1.55);
      // Seen an hour ago: still covered, projected to the month's end.
      const [live] = await usageFor(db, ['usage'], settings, month, start + 241 * HOUR);
      expect(live.hostHours).toBe(240);
      expect(live.projected.hostHours).toBe(240 + 31 * 24 - 241);
      // Another month sees none of it.
      const [nov] = await usageFor(db, ['usage'], settings, '2026-10', now);
      expect(nov).toMatchObject({ hostHours: 0, imageScans: 0, imageRescans: 0 });
      await updateSettings(db, { priceImageScan: 0.09 });
    });
  });
});
