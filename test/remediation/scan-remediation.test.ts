/**
 * `vigil scan --format remediation|remediation-json` end to end through the real CLI, over
 * the debootstrapped bookworm root filesystem and the full shared advisory data: one action
 * per source package with security updates, to the version Debian's security suite ships.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RemediationDocument } from '../../src/remediation/render.js';
import { schemeFor } from '../../src/versioning/index.js';
import { runVigil } from '../helpers/cli.js';
import { debianRootfs } from '../helpers/images.js';
import { sharedVulnDb, vulndataDir } from '../vulndb/shared-db.js';

interface TruthEntry {
  source: string;
  security_version: string;
  binaries: string[];
  cves: string[];
}

let db: string;
let rootfs: string;
let plan: RemediationDocument;
let table: string;

beforeAll(async () => {
  [db, rootfs] = await Promise.all([sharedVulnDb().then((d) => d.path), debianRootfs()]);
  const json = await runVigil(['scan', `dir:${rootfs}`, '--vulndb', db, '--offline', '--format', 'remediation-json']);
  expect(json.stderr).toBe('');
  plan = JSON.parse(json.stdout) as RemediationDocument;
  const text = await runVigil(['scan', `dir:${rootfs}`, '--vulndb', db, '--offline', '--format', 'remediation']);
  expect(text.code).toBe(0);
  table = text.stdout;
}, 900_000);

describe('the remediation plan of the bookworm root filesystem', () => {
  it('has one action per source package with a security update, to the version bookworm-security ships', () => {
    const truth = (JSON.parse(readFileSync(join(vulndataDir, 'debian12-truth.json'), 'utf8')) as TruthEntry[]).filter((t) => t.cves.length > 0);
    const bySource = new Map(truth.map((t) => [t.source, t]));
    expect(plan.actions.length).toBeGreaterThanOrEqual(3);
    expect(new Set(plan.actions.map((a) => a.package)).size).toBe(plan.actions.length);
    for (const a of plan.actions) {
      const t = bySource.get(a.package);
      expect(t, a.package).toBeDefined();
      expect(a.ecosystem).toBe('Debian:12');
      // The lowest version fixing every CVE of the source is the last upload that fixed one of them.
      expect(a.targetVersion, a.package).toBe(t!.security_version);
      expect(new Set(a.findings.map((f) => f.vulnerabilityId))).toEqual(new Set(t!.cves));
      // Every installed binary of the source moves: all are named in the one command.
      for (const binary of a.packages) expect(t!.binaries).toContain(binary);
      expect(a.command).toBe(`apt-get update && apt-get install --only-upgrade -y ${a.packages.join(' ')}`);
    }
  });

  it('never aims below a finding’s own fix, and orders actions by the risk they remove', () => {
    const dpkg = schemeFor('Debian:12');
    for (const a of plan.actions) for (const f of a.findings) expect(dpkg.compare(a.targetVersion, f.fixedVersion!)).toBeGreaterThanOrEqual(0);
    const keys = plan.actions.map((a) => [a.kevCount > 0 ? 1 : 0, a.riskRemoved]);
    const sorted = [...keys].sort((x, y) => y[0] - x[0] || y[1] - x[1]);
    expect(keys).toEqual(sorted);
    expect(plan.totals.fixable).toBe(plan.actions.reduce((n, a) => n + a.findings.length, 0));
    expect(plan.totals.fixable + plan.totals.unfixable).toBe(plan.totals.findings);
  });

  it('prints the same plan as a table with one command per action', () => {
    expect(table.split('\n')[0]).toBe(`dir:${rootfs}`);
    expect(table).toContain(`${plan.actions.length} actions close ${plan.totals.fixable} of ${plan.totals.findings} findings`);
    for (const [i, a] of plan.actions.entries()) expect(table).toContain(`  ${i + 1}. ${a.package}`);
    expect(table).toMatch(/#\s+PACKAGE\s+INSTALLED\s+UPGRADE TO\s+CLOSES\s+RISK/);
  });

  it('refuses an unknown format naming the remediation ones', async () => {
    const bad = await runVigil(['scan', `dir:${rootfs}`, '--vulndb', db, '--offline', '--format', 'remedy']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('remediation, remediation-json');
  });
});
