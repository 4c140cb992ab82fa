/**
 * Severity for every finding, on a Debian 12 server root against the full shared data: a root
 * whose dpkg status holds every source package with a bookworm-security update
 * (`debian12-truth.json`) at its point-release version, so that thousands of CVEs match.
 * Every finding whose CVE has a CVSS vector in any bundled source (NVD, vulnrichment's CNA and
 * CISA-ADP containers, the records themselves) is scored, and says from where; UNTRIAGED is
 * left for findings nobody rated.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanTarget } from '../../src/inventory/index.js';
import { scanInventory } from '../../src/matching/engine.js';
import type { ScanResult } from '../../src/matching/types.js';
import { tryScoreCvss } from '../../src/scoring/cvss.js';
import { cvssVectorsFor } from '../../src/vulndb/cvss.js';
import { VulnDb } from '../../src/vulndb/store.js';
import { sharedVulnDb, vulndataDir } from '../vulndb/shared-db.js';

interface TruthEntry {
  source: string;
  point_release_version: string | null;
  binaries: string[];
  cves: string[];
}

let root: string;
let db: VulnDb;
let result: ScanResult;

beforeAll(async () => {
  const truth = JSON.parse(await readFile(join(vulndataDir, 'debian12-truth.json'), 'utf8')) as TruthEntry[];
  root = await mkdtemp(join(tmpdir(), 'vigil-debian12-server-'));
  await mkdir(join(root, 'etc'), { recursive: true });
  await mkdir(join(root, 'var/lib/dpkg'), { recursive: true });
  await writeFile(
    join(root, 'etc/os-release'),
    'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n',
  );
  const stanzas = truth
    .filter((t) => t.point_release_version && t.cves.length > 0)
    .map((t) => `Package: ${t.binaries[0] ?? t.source}\nStatus: install ok installed\nArchitecture: amd64\nSource: ${t.source}\nVersion: ${t.point_release_version}\n`);
  await writeFile(join(root, 'var/lib/dpkg/status'), stanzas.join('\n'));
  const shared = await sharedVulnDb();
  db = new VulnDb(shared.path);
  result = scanInventory(await scanTarget(`dir:${root}`), db);
}, 900_000);

afterAll(async () => {
  db?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

const vectorByCve = new Map<string, boolean>();

/**
 * Whether any bundled source offers a vector that scores for the finding's CVE: the records
 * grouped under it (the advisory-level vectors) and its enrichment. Bundle ids (a changelog
 * record naming 2,000 CVEs) are not looked up: their vectors are their CVEs'.
 */
function hasVector(ids: readonly string[]): boolean {
  return ids.filter((id) => /^CVE-\d{4}-\d+$/.test(id)).some((cve) => {
    let known = vectorByCve.get(cve);
    if (known === undefined) {
      const v = db.vulnerability(cve);
      known = (v ? cvssVectorsFor(v) : db.enrichment([cve]).flatMap((e) => e.cvss)).some((c) => tryScoreCvss(c.vector) !== undefined);
      vectorByCve.set(cve, known);
    }
    return known;
  });
}

describe('a Debian 12 server root against the bundled data', () => {
  it('scores every finding whose CVE has a vector anywhere, naming the source', () => {
    expect(result.findings.length).toBeGreaterThan(1000);
    const withVector = result.findings.filter((f) => hasVector([f.id, ...f.aliases]));
    // Enough of them to mean something: vulnrichment's CNA and CISA-ADP scores for 2023–2024 CVEs.
    expect(withVector.length).toBeGreaterThanOrEqual(10);
    const unscored = withVector.filter((f) => f.severity === 'UNTRIAGED' || !f.cvss);
    expect(unscored.map((f) => f.id)).toEqual([]);
    for (const f of withVector) {
      expect(f.scoreSource).toMatch(/^(vendor|nvd|cisa-adp|cna|ghsa|osv):(2\.0|3\.0|3\.1|4\.0)$/);
      expect(f.scoreReason).toMatch(/^base \d+\.\d from .+ CVSS v(2|3\.0|3\.1|4\.0)( \(.+\))?$/);
    }
  });

  it('leaves UNTRIAGED only for findings nobody rated, and says so', () => {
    const untriaged = result.findings.filter((f) => f.severity === 'UNTRIAGED');
    for (const f of untriaged) {
      expect(hasVector([f.id, ...f.aliases]), f.id).toBe(false);
      expect(f).toMatchObject({ score: 0, scoreSource: 'none', scoreReason: 'untriaged: no CVSS published and no vendor severity in any source' });
    }
  });
});
