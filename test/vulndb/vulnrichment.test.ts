/**
 * CISA's vulnrichment as the default source fetches it: GitHub's zip archive of the repository
 * (one top-level folder, `<year>/<nnn>xxx/CVE-….json` inside), served from loopback. Records
 * are real ones from the shared data; the archive is built by the test with `zip`.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanInventory } from '../../src/matching/engine.js';
import { readZip } from '../../src/vulndb/archive.js';
import { VulnDb } from '../../src/vulndb/store.js';
import { updateVulnDb, type UpdateResult } from '../../src/vulndb/update.js';
import { sh } from '../helpers/images.js';
import { advisory, tinyAdvisoryDb } from '../helpers/tiny-advisory-db.js';
import { inventory, pkg } from '../matching/fixtures.js';
import { vulndataDir } from './shared-db.js';
import { startStaticServer, type StaticServer } from './static-server.js';

// Records whose only CVSS is CISA-ADP's (no CNA metric).
const WANTED = ['2024/0xxx/CVE-2024-0014.json', '2024/0xxx/CVE-2024-0015.json', '2024/0xxx/CVE-2024-0018.json'];

let work: string;
let server: StaticServer;
let dbPath: string;
let source: string;
let first: UpdateResult;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'vigil-vulnrichment-'));
  const tree = join(work, 'vulnrichment-develop');
  for await (const e of readZip(join(vulndataDir, 'cve/vulnrichment-cve5.zip'), (n) => WANTED.includes(n) || n === 'README.md')) {
    await mkdir(dirname(join(tree, e.name)), { recursive: true });
    await writeFile(join(tree, e.name), e.data);
  }
  // Repository files that are not records are ignored, not errors.
  await writeFile(join(tree, 'package.json'), '{"name":"not-a-record"}');
  const archive = join(work, 'www', 'cisagov', 'vulnrichment', 'archive', 'refs', 'heads', 'develop.zip');
  await mkdir(dirname(archive), { recursive: true });
  await sh('zip', ['-q', '-r', archive, 'vulnrichment-develop'], { cwd: work });
  server = await startStaticServer(join(work, 'www'));
  dbPath = join(work, 'vulndb.sqlite');
  source = `vulnrichment=${server.url}/cisagov/vulnrichment/archive/refs/heads/develop.zip`;
  first = await updateVulnDb({ dbPath, sources: [source] });
}, 60_000);

afterAll(async () => {
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('vulnrichment from its GitHub archive', () => {
  it('imports each record, CVSS from the CISA-ADP container', () => {
    expect(first.failed).toBe(0);
    expect(first.units).toMatchObject([{ kind: 'cve5', status: 'updated', records: 3, skipped: 0 }]);
    const db = new VulnDb(dbPath);
    try {
      const [e] = db.enrichment(['CVE-2024-0014']);
      expect(e.cvss).toEqual([{ version: '3.1', vector: 'CVSS:3.1/AV:L/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', baseScore: 8.4, source: 'cisa-adp' }]);
    } finally {
      db.close();
    }
  });

  it('costs one conditional request when the archive did not change', async () => {
    const seen = server.requests.length;
    const again = await updateVulnDb({ dbPath, sources: [source] });
    expect(again.units).toMatchObject([{ status: 'unchanged', requests: 1 }]);
    expect(server.requests.slice(seen).map((r) => [r.status, typeof r.headers['if-none-match']])).toEqual([[304, 'string']]);
  });

  it('scores a distribution finding that has no vector of its own, and says so', () => {
    const db = new VulnDb(dbPath);
    try {
      const index = tinyAdvisoryDb([advisory('DSA-9-1', 'Debian:12', 'libfoo', [[{ introduced: '0' }, { fixed: '1.0-2' }]], { aliases: ['CVE-2024-0014'] })], db.enrichment(['CVE-2024-0014']));
      const [finding] = scanInventory(inventory([pkg({ purlType: 'deb', ecosystem: 'Debian:12', name: 'libfoo', version: '1.0-1', source: { name: 'libfoo', version: '1.0-1' } })]), index).findings;
      expect(finding).toMatchObject({ severity: 'HIGH', score: 8.4, scoreSource: 'cisa-adp:3.1', scoreReason: 'base 8.4 from CISA-ADP (vulnrichment) CVSS v3.1 (no vendor vector)' });
    } finally {
      db.close();
    }
  });
});
