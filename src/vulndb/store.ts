/**
 * The advisory index: one SQLite file with a versioned schema. {@link VulnDbWriter} fills a
 * private copy during an update; {@link VulnDb} reads a finished file and implements
 * {@link AdvisoryIndex}. Nothing here knows about files, URLs or archives.
 *
 * Lookups are by (ecosystem, normalised package name); distro ecosystems keep their
 * release. Records that alias each other (CVE ↔ GHSA ↔ PYSEC …) are grouped into one
 * vulnerability whose primary id is the CVE when there is one. A record that names several
 * CVEs (a DSA fixing ten of them) is a bundle: it counts toward each CVE's vulnerability
 * but does not merge those CVEs into one.
 */
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import type * as KyselyModule from 'kysely';
import { BoundedCache } from '../bounded-cache.js';
import { canonicalEcosystem, normalizePackageName, parseEcosystem } from '../ecosystems.js';
import type { EnrichmentItem, ImportItem } from './importers/types.js';
import { expandEntries, projectEntries, type StoredEntry } from './match-projection.js';
import { filterKey, PackageFilter } from './package-filter.js';
import type {
  AdvisoryIndex,
  ChangedPackage,
  CvssVector,
  EcosystemCoverage,
  Enrichment,
  EpssScore,
  IndexedAdvisory,
  KevEntry,
  OsvAffected,
  OsvRecord,
  Vulnerability,
} from './types.js';

/**
 * Bump when the tables change; an older file is rebuilt from its sources on the next update
 * (and refused by {@link VulnDb} until then). 2: `affected.entries` and `package`, the
 * matching projection (see `match-projection.ts`).
 */
export const SCHEMA_VERSION = 2;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS source (
  name TEXT PRIMARY KEY, kind TEXT NOT NULL, location TEXT NOT NULL, fingerprint TEXT,
  checked_at TEXT, changed_at TEXT, records INTEGER NOT NULL DEFAULT 0, skipped INTEGER NOT NULL DEFAULT 0,
  warnings TEXT NOT NULL DEFAULT '[]', error TEXT);
CREATE TABLE IF NOT EXISTS advisory (
  rowid INTEGER PRIMARY KEY, source TEXT NOT NULL, id TEXT NOT NULL, modified TEXT NOT NULL,
  withdrawn INTEGER NOT NULL, hash TEXT NOT NULL, aliases TEXT NOT NULL, json TEXT NOT NULL,
  UNIQUE (source, id));
CREATE INDEX IF NOT EXISTS advisory_id ON advisory (id);
CREATE TABLE IF NOT EXISTS affected (ecosystem TEXT NOT NULL, name TEXT NOT NULL, advisory INTEGER NOT NULL, entries TEXT NOT NULL,
  PRIMARY KEY (ecosystem, name, advisory)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS affected_advisory ON affected (advisory);
CREATE TABLE IF NOT EXISTS package (ecosystem TEXT NOT NULL, name TEXT NOT NULL, advisories TEXT NOT NULL,
  PRIMARY KEY (ecosystem, name)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS vuln (id TEXT PRIMARY KEY, aliases TEXT NOT NULL, withdrawn INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS vuln_id (alias TEXT NOT NULL COLLATE NOCASE, vuln TEXT NOT NULL, PRIMARY KEY (alias, vuln)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS vuln_member (vuln TEXT NOT NULL, advisory INTEGER NOT NULL, PRIMARY KEY (vuln, advisory)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS vuln_member_advisory ON vuln_member (advisory);
CREATE TABLE IF NOT EXISTS enrichment (cve TEXT NOT NULL, source TEXT NOT NULL, has_cvss INTEGER NOT NULL, json TEXT NOT NULL,
  PRIMARY KEY (cve, source)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS kev (cve TEXT NOT NULL, source TEXT NOT NULL, json TEXT NOT NULL, PRIMARY KEY (cve, source)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS epss (cve TEXT NOT NULL, source TEXT NOT NULL, score REAL NOT NULL, percentile REAL NOT NULL, date TEXT,
  PRIMARY KEY (cve, source)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS update_run (id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT, summary TEXT);
CREATE TABLE IF NOT EXISTS change (update_id INTEGER NOT NULL, at TEXT NOT NULL, kind TEXT NOT NULL, advisory_id TEXT NOT NULL,
  source TEXT NOT NULL, ecosystem TEXT, name TEXT);
CREATE INDEX IF NOT EXISTS change_at ON change (at);
CREATE TABLE IF NOT EXISTS coverage (ecosystem TEXT PRIMARY KEY, advisories INTEGER NOT NULL, withdrawn INTEGER NOT NULL,
  packages INTEGER NOT NULL, sources TEXT NOT NULL, newest_modified TEXT, changed_at TEXT) WITHOUT ROWID;
`;

/** Row types, for the reporting queries that go through Kysely. */
interface Tables {
  meta: { key: string; value: string };
  source: {
    name: string;
    kind: string;
    location: string;
    fingerprint: string | null;
    checked_at: string | null;
    changed_at: string | null;
    records: number;
    skipped: number;
    warnings: string;
    error: string | null;
  };
  advisory: { rowid: number; source: string; id: string; modified: string; withdrawn: number; hash: string; aliases: string; json: string };
  /** `entries`: JSON of the projection (`match-projection.ts`) of the record's `affected` entries that name this package. */
  affected: { ecosystem: string; name: string; advisory: number; entries: string };
  /** `advisories`: JSON of a {@link PackageRow}, what one lookup parses (rebuilt by every update). */
  package: { ecosystem: string; name: string; advisories: string };
  vuln: { id: string; aliases: string; withdrawn: number };
  enrichment: { cve: string; source: string; has_cvss: number; json: string };
  kev: { cve: string; source: string; json: string };
  epss: { cve: string; source: string; score: number; percentile: number; date: string | null };
  update_run: { id: number; started_at: string; finished_at: string | null; summary: string | null };
  change: { update_id: number; at: string; kind: string; advisory_id: string; source: string; ecosystem: string | null; name: string | null };
  /** Per indexed ecosystem (with release for distributions): what {@link rebuildCoverage} counted at the last update. */
  coverage: { ecosystem: string; advisories: number; withdrawn: number; packages: number; sources: string; newest_modified: string | null; changed_at: string | null };
}

/**
 * What happened to an advisory in an update, or to a CVE's enrichment: newly in the KEV
 * catalog, CVSS vectors changed, or EPSS score moved by at least {@link EPSS_CHANGE_LOGGED}.
 */
export type ChangeKind = AdvisoryChangeKind | 'kev-added' | 'cvss-changed' | 'epss-changed';

/**
 * The EPSS score change (absolute, 0–1) that is logged. Scores move a little every day for
 * nearly every CVE; logging each move would have continuous re-evaluation re-match everything
 * daily for figures no one acts on. Five percentage points of exploitation probability is a
 * move worth re-scoring for.
 */
export const EPSS_CHANGE_LOGGED = 0.05;

/** What happened to an advisory record in an update. */
export type AdvisoryChangeKind = 'added' | 'modified' | 'withdrawn' | 'removed';

/** One change log entry: an advisory and one (ecosystem, package) pair it touches. */
export interface ChangeEntry {
  updateId: number;
  at: string;
  kind: ChangeKind;
  advisoryId: string;
  source: string;
  ecosystem?: string;
  name?: string;
}

/** A source as the database remembers it. */
export interface SourceState {
  name: string;
  kind: string;
  location: string;
  /** ETag / Last-Modified / content digest(s), as JSON text. */
  fingerprint?: string;
  checkedAt?: string;
  changedAt?: string;
  records: number;
  skipped: number;
  warnings: string[];
  error?: string;
}

/** `vigil db status` figures. */
export interface DbStatus {
  path: string;
  schemaVersion: number;
  builtAt?: string;
  ageHours?: number;
  stale: boolean;
  advisories: number;
  withdrawn: number;
  vulnerabilities: number;
  /** Coverage per ecosystem and release. */
  ecosystems: EcosystemCoverage[];
  enrichment: { cvss: number; kev: number; epss: number };
  sources: SourceState[];
}

const ecosystemKeys = new Map<string, { ecosystem: string; normalise: (name: string) => string }>();

/** The key the index stores an (ecosystem, name) pair under (cached per ecosystem string). */
export function packageKey(ecosystem: string, name: string): { ecosystem: string; name: string } {
  let k = ecosystemKeys.get(ecosystem);
  if (!k) {
    const eco = packageKeyUncached(ecosystem, 'x').ecosystem;
    k = { ecosystem: eco, normalise: (n: string) => packageKeyUncached(eco, n).name };
    ecosystemKeys.set(ecosystem, k);
  }
  return { ecosystem: k.ecosystem, name: k.normalise(name) };
}

function packageKeyUncached(ecosystem: string, name: string): { ecosystem: string; name: string } {
  let eco = ecosystem.trim();
  try {
    // Distributions keep their release (`Debian:12` never answers for `Debian:11`);
    // language ecosystems have none that matters for matching.
    const parsed = parseEcosystem(eco);
    eco = parsed.info.kind === 'os' ? canonicalEcosystem(eco) : parsed.info.name;
  } catch {
    // Ecosystems Vigil does not know yet (OSV adds them often) are kept as written.
  }
  let normal = name.trim();
  try {
    normal = normalizePackageName(eco, normal);
  } catch {
    // Same: unknown ecosystems compare names as written.
  }
  return { ecosystem: eco, name: normal };
}

function isCve(id: string): boolean {
  return /^CVE-\d{4}-\d+$/i.test(id);
}

function nowIso(): string {
  return new Date().toISOString();
}

/**
 * Opens a Kysely handle over an open better-sqlite3 database (closing Kysely closes it).
 * Kysely is loaded here, on demand: only the reporting queries use it, and a scan that opens
 * the database to look packages up should not pay for loading it.
 */
async function kyselyOver(db: Database.Database): Promise<{ k: KyselyModule.Kysely<Tables>; sql: typeof KyselyModule.sql }> {
  const { Kysely, SqliteDialect, sql } = await import('kysely');
  return { k: new Kysely<Tables>({ dialect: new SqliteDialect({ database: db }) }), sql };
}

/** Counts of one source's import, with the first warnings kept for display. */
export interface SourceResult {
  records: number;
  skipped: number;
  warnings: string[];
  changes: Record<AdvisoryChangeKind, number>;
  /** CVEs newly in the KEV catalog (their packages are in the change log: their risk changed). */
  kevAdded: number;
  /** CVEs whose CVSS vectors from this source changed (logged with their packages). */
  cvssChanged: number;
  /** CVEs whose EPSS score from this source moved by at least {@link EPSS_CHANGE_LOGGED}. */
  epssChanged: number;
}

/** A CVE's CVSS vectors as one comparable string ('' for none). */
function cvssKey(vectors: readonly CvssVector[] | undefined): string {
  return (vectors ?? [])
    .map((v) => `${v.source}|${v.version}|${v.vector}`)
    .sort()
    .join('\n');
}

const MAX_WARNINGS_KEPT = 50;

/** The (ecosystem, package) pairs the advisories of one id's vulnerability name (groups of the previous build). */
const PACKAGES_OF_ID =
  'SELECT DISTINCT f.ecosystem AS ecosystem, f.name AS name FROM vuln_id v JOIN vuln_member m ON m.vuln = v.vuln JOIN affected f ON f.advisory = m.advisory WHERE v.alias = ?';

/** The counts every import keeps: records added, records skipped and the first few reasons. */
abstract class ImportTally {
  protected records = 0;
  protected skipped = 0;
  protected readonly warnings: string[] = [];

  /** Records a skipped record with its reason (all are counted; the first few are kept). */
  skip(item: string, why: string): void {
    this.skipped++;
    if (this.warnings.length < MAX_WARNINGS_KEPT) this.warnings.push(`${item}: ${why}`);
  }

  /** What was imported so far. */
  counts(): { records: number; skipped: number; warnings: string[] } {
    return { records: this.records, skipped: this.skipped, warnings: this.warnings };
  }
}

/**
 * One source being replaced inside the writer's open transaction: items go in with
 * {@link add}, then {@link commit} records the change log or {@link rollback} restores
 * the source's previous rows.
 */
export class SourceImport extends ImportTally {
  private readonly seen = new Map<string, number>();
  private readonly enrich = new Map<string, EnrichmentItem>();
  private readonly old: Map<string, { hash: string; withdrawn: number; packages: ChangedPackage[] }>;
  private readonly oldKev: Set<string>;
  private readonly kevSeen = new Set<string>();
  private readonly oldCvss = new Map<string, string>();
  private readonly oldEpss: Map<string, number>;
  private readonly epssSeen = new Map<string, number>();

  constructor(
    private readonly writer: VulnDbWriter,
    readonly name: string,
    readonly kind: string,
    readonly location: string,
  ) {
    super();
    const db = writer.db;
    db.exec('SAVEPOINT source_import');
    this.old = new Map();
    const rows = db.prepare('SELECT rowid, id, hash, withdrawn FROM advisory WHERE source = ?').all(name) as { rowid: number; id: string; hash: string; withdrawn: number }[];
    const pkgs = db.prepare('SELECT ecosystem, name FROM affected WHERE advisory = ?');
    for (const r of rows) {
      this.old.set(r.id, { hash: r.hash, withdrawn: r.withdrawn, packages: pkgs.all(r.rowid) as ChangedPackage[] });
    }
    this.oldKev = new Set(db.prepare('SELECT cve FROM kev WHERE source = ?').pluck().all(name) as string[]);
    for (const [cve, json] of db.prepare('SELECT cve, json FROM enrichment WHERE source = ? AND has_cvss = 1').raw().all(name) as [string, string][]) {
      this.oldCvss.set(cve, cvssKey((JSON.parse(json) as EnrichmentItem).cvss));
    }
    this.oldEpss = new Map(db.prepare('SELECT cve, score FROM epss WHERE source = ?').raw().all(name) as [string, number][]);
    db.prepare('DELETE FROM affected WHERE advisory IN (SELECT rowid FROM advisory WHERE source = ?)').run(name);
    for (const table of ['advisory', 'enrichment', 'kev', 'epss']) db.prepare(`DELETE FROM ${table} WHERE source = ?`).run(name);
  }

  /** Adds one parsed item. */
  add(item: ImportItem): void {
    if (item.type === 'advisory') this.addAdvisory(item.record);
    else this.addEnrichment(item.item);
  }

  private addAdvisory(record: OsvRecord): void {
    const prev = this.seen.get(record.id);
    if (prev !== undefined) {
      // The same id twice in one source: the later copy wins, the earlier is reported.
      this.writer.stmt.deleteAffected.run(prev);
      this.writer.stmt.deleteAdvisory.run(prev);
      this.records--;
      this.skip(record.id, 'duplicate id in this source; the later record was kept');
    }
    const json = JSON.stringify(record);
    const hash = createHash('sha1').update(json).digest('hex');
    const info = this.writer.stmt.insertAdvisory.run(this.name, record.id, record.modified, record.withdrawn ? 1 : 0, hash, JSON.stringify(record.aliases ?? []), json);
    const rowid = Number(info.lastInsertRowid);
    this.seen.set(record.id, rowid);
    this.records++;
    // The matching projection of each package's own entries, beside the full record.
    const byKey = new Map<string, { ecosystem: string; name: string; entries: OsvAffected[] }>();
    for (const a of record.affected ?? []) {
      if (!a.package) continue;
      const key = packageKey(a.package.ecosystem, a.package.name);
      const k = `${key.ecosystem}\u0000${key.name}`;
      const group = byKey.get(k);
      if (group) group.entries.push(a);
      else byKey.set(k, { ...key, entries: [a] });
    }
    for (const g of byKey.values()) this.writer.stmt.insertAffected.run(g.ecosystem, g.name, rowid, JSON.stringify(projectEntries(g.entries, g.ecosystem)));
  }

  private addEnrichment(item: EnrichmentItem): void {
    const cve = item.cveId.toUpperCase();
    if (item.kev) {
      this.writer.stmt.insertKev.run(cve, this.name, JSON.stringify(item.kev));
      this.kevSeen.add(cve);
    }
    if (item.epss) {
      this.writer.stmt.insertEpss.run(cve, this.name, item.epss.score, item.epss.percentile, item.epss.date ?? null);
      this.epssSeen.set(cve, item.epss.score);
    }
    if (!item.cvss?.length && !item.cwes?.length && !item.references?.length) {
      this.records++;
      return;
    }
    // CVSS, CWE and references of one CVE may come from several files of one source.
    const prev = this.enrich.get(cve);
    if (prev) {
      prev.cvss = [...(prev.cvss ?? []), ...(item.cvss ?? [])];
      prev.cwes = [...new Set([...(prev.cwes ?? []), ...(item.cwes ?? [])])];
      prev.references = [...new Set([...(prev.references ?? []), ...(item.references ?? [])])];
    } else {
      this.enrich.set(cve, { cveId: cve, cvss: item.cvss, cwes: item.cwes, references: item.references });
      this.records++;
    }
  }

  /** Finishes the source: writes its change log and state, releases the savepoint. */
  commit(fingerprint: string | undefined): SourceResult {
    const db = this.writer.db;
    const insertEnrichment = db.prepare('INSERT OR REPLACE INTO enrichment (cve, source, has_cvss, json) VALUES (?, ?, ?, ?)');
    for (const [cve, e] of this.enrich) insertEnrichment.run(cve, this.name, e.cvss?.length ? 1 : 0, JSON.stringify(e));
    const changes: Record<AdvisoryChangeKind, number> = { added: 0, modified: 0, withdrawn: 0, removed: 0 };
    const at = nowIso();
    const insertChange = db.prepare('INSERT INTO change (update_id, at, kind, advisory_id, source, ecosystem, name) VALUES (?, ?, ?, ?, ?, ?, ?)');
    const log = (kind: ChangeKind, id: string, packages: ChangedPackage[]): void => {
      if (kind in changes) changes[kind as AdvisoryChangeKind]++;
      if (packages.length === 0) insertChange.run(this.writer.updateId, at, kind, id, this.name, null, null);
      for (const p of packages) insertChange.run(this.writer.updateId, at, kind, id, this.name, p.ecosystem, p.name);
    };
    if (this.seen.size > 0 || this.old.size > 0) {
      const current = db.prepare('SELECT rowid, id, hash, withdrawn FROM advisory WHERE source = ?').all(this.name) as { rowid: number; id: string; hash: string; withdrawn: number }[];
      const pkgs = db.prepare('SELECT ecosystem, name FROM affected WHERE advisory = ?');
      for (const r of current) {
        const before = this.old.get(r.id);
        if (before && before.hash === r.hash) continue;
        const now = pkgs.all(r.rowid) as ChangedPackage[];
        if (!before) {
          log('added', r.id, now);
          continue;
        }
        const touched = uniquePackages([...before.packages, ...now]);
        log(r.withdrawn && !before.withdrawn ? 'withdrawn' : 'modified', r.id, touched);
      }
      for (const [id, before] of this.old) if (!this.seen.has(id)) log('removed', id, before.packages);
    }
    // A CVE newly known to be exploited changes the risk of every package it affects.
    // (Groups are those of the previous build; a CVE first seen in this update is logged
    // through its advisory instead.)
    const pkgsOf = db.prepare(PACKAGES_OF_ID);
    let kevAdded = 0;
    if (this.oldKev.size > 0 || this.kevSeen.size > 0) {
      const firstImport = this.oldKev.size === 0;
      for (const cve of this.kevSeen) {
        if (this.oldKev.has(cve)) continue;
        kevAdded++;
        // A first import of the catalog would log every package of every KEV CVE: the
        // advisories themselves are what a first import is about, so only count it.
        if (!firstImport) log('kev-added', cve, pkgsOf.all(cve) as ChangedPackage[]);
      }
    }
    // New CVSS vectors and large EPSS moves change findings' scores the same way; a source's
    // first import only brings them in (nothing was scored with it before), so nothing is logged.
    // Only CVEs that affect some package are logged: NVD rescores thousands that no advisory
    // names, and the log is for re-evaluating packages.
    const logForPackages = (kind: ChangeKind, cve: string): void => {
      const packages = pkgsOf.all(cve) as ChangedPackage[];
      if (packages.length > 0) log(kind, cve, packages);
    };
    let cvssChanged = 0;
    if (this.oldCvss.size > 0) {
      const now = new Map<string, string>();
      for (const [cve, e] of this.enrich) if (e.cvss?.length) now.set(cve, cvssKey(e.cvss));
      for (const cve of new Set([...this.oldCvss.keys(), ...now.keys()])) {
        if ((this.oldCvss.get(cve) ?? '') === (now.get(cve) ?? '')) continue;
        cvssChanged++;
        logForPackages('cvss-changed', cve);
      }
    }
    let epssChanged = 0;
    if (this.oldEpss.size > 0) {
      for (const cve of new Set([...this.oldEpss.keys(), ...this.epssSeen.keys()])) {
        if (Math.abs((this.oldEpss.get(cve) ?? 0) - (this.epssSeen.get(cve) ?? 0)) < EPSS_CHANGE_LOGGED) continue;
        epssChanged++;
        logForPackages('epss-changed', cve);
      }
    }
    writeSourceRow(db, this, fingerprint, at);
    db.exec('RELEASE source_import');
    return { records: this.records, skipped: this.skipped, warnings: this.warnings, changes, kevAdded, cvssChanged, epssChanged };
  }

  /** Abandons the source's new rows; its previous rows stay, and the error is recorded. */
  rollback(error: string): void {
    const db = this.writer.db;
    db.exec('ROLLBACK TO source_import');
    db.exec('RELEASE source_import');
    this.writer.recordSourceError(this.name, this.kind, this.location, error);
  }
}

/**
 * A patch of enrichment rows owned by other sources (NVD's modified feed patching its year
 * feeds): each CVE it lists replaces that CVE's row in its owner's rows, and nothing else is
 * touched. A CVE whose CVSS vectors change is logged as `cvss-changed` with its packages,
 * except on the patch's first import (nothing was scored with the patch before).
 */
export class EnrichmentPatch extends ImportTally {
  private readonly items = new Map<string, EnrichmentItem>();

  constructor(
    private readonly writer: VulnDbWriter,
    readonly name: string,
    readonly kind: string,
    readonly location: string,
    private readonly ownerOf: (cveId: string) => string,
    private readonly firstImport: boolean,
  ) {
    super();
    writer.db.exec('SAVEPOINT source_import');
  }

  /** Adds one parsed item; a patch carries enrichment only. */
  add(item: ImportItem): void {
    if (item.type === 'advisory') {
      this.skip(item.record.id, 'an enrichment patch cannot carry advisories');
      return;
    }
    const cve = item.item.cveId.toUpperCase();
    if (!this.items.has(cve)) this.records++;
    // A CVE listed twice: the later copy is the newer one.
    this.items.set(cve, { cveId: cve, cvss: item.item.cvss, cwes: item.item.cwes, references: item.item.references });
  }

  /** Writes the patched rows, the change log and the patch's own state. */
  commit(fingerprint: string | undefined): SourceResult {
    const db = this.writer.db;
    const at = nowIso();
    const oldRow = db.prepare('SELECT json FROM enrichment WHERE cve = ? AND source = ?').pluck();
    const del = db.prepare('DELETE FROM enrichment WHERE cve = ? AND source = ?');
    const ins = db.prepare('INSERT INTO enrichment (cve, source, has_cvss, json) VALUES (?, ?, ?, ?)');
    const pkgsOf = db.prepare(PACKAGES_OF_ID);
    const insertChange = db.prepare('INSERT INTO change (update_id, at, kind, advisory_id, source, ecosystem, name) VALUES (?, ?, ?, ?, ?, ?, ?)');
    let cvssChanged = 0;
    for (const [cve, item] of this.items) {
      const owner = this.ownerOf(cve);
      const before = oldRow.get(cve, owner) as string | undefined;
      del.run(cve, owner);
      if (item.cvss?.length || item.cwes?.length || item.references?.length) ins.run(cve, owner, item.cvss?.length ? 1 : 0, JSON.stringify(item));
      if (this.firstImport || cvssKey(before ? (JSON.parse(before) as EnrichmentItem).cvss : undefined) === cvssKey(item.cvss)) continue;
      cvssChanged++;
      for (const p of pkgsOf.all(cve) as ChangedPackage[]) insertChange.run(this.writer.updateId, at, 'cvss-changed', cve, this.name, p.ecosystem, p.name);
    }
    writeSourceRow(db, this, fingerprint, at);
    db.exec('RELEASE source_import');
    return {
      records: this.records,
      skipped: this.skipped,
      warnings: this.warnings,
      changes: { added: 0, modified: 0, withdrawn: 0, removed: 0 },
      kevAdded: 0,
      cvssChanged,
      epssChanged: 0,
    };
  }

  /** Abandons the patch; the owners' rows stay as they were, and the error is recorded. */
  rollback(error: string): void {
    const db = this.writer.db;
    db.exec('ROLLBACK TO source_import');
    db.exec('RELEASE source_import');
    this.writer.recordSourceError(this.name, this.kind, this.location, error);
  }
}

/** Records a source's successful import: its fingerprint, counts and first warnings. */
function writeSourceRow(
  db: Database.Database,
  s: { name: string; kind: string; location: string; counts(): { records: number; skipped: number; warnings: string[] } },
  fingerprint: string | undefined,
  at: string,
): void {
  const { records, skipped, warnings } = s.counts();
  db.prepare(
    `INSERT INTO source (name, kind, location, fingerprint, checked_at, changed_at, records, skipped, warnings, error)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)
     ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, location = excluded.location, fingerprint = excluded.fingerprint,
       checked_at = excluded.checked_at, changed_at = excluded.changed_at, records = excluded.records,
       skipped = excluded.skipped, warnings = excluded.warnings, error = NULL`,
  ).run(s.name, s.kind, s.location, fingerprint ?? null, at, at, records, skipped, JSON.stringify(warnings));
}

function uniquePackages(list: ChangedPackage[]): ChangedPackage[] {
  const seen = new Set<string>();
  return list.filter((p) => {
    const k = `${p.ecosystem}\u0000${p.name}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * Writes a database file that no reader is using (the updater's private copy). Open it,
 * replace sources one by one, then {@link finish} rebuilds the vulnerability groups.
 */
export class VulnDbWriter {
  readonly db: Database.Database;
  readonly updateId: number;
  /** @internal prepared statements shared with {@link SourceImport}. */
  readonly stmt: {
    insertAdvisory: Database.Statement;
    insertAffected: Database.Statement;
    deleteAffected: Database.Statement;
    deleteAdvisory: Database.Statement;
    insertKev: Database.Statement;
    insertEpss: Database.Statement;
  };

  /** Opens (or creates) the file at `path`. A file with another schema version is emptied first. */
  constructor(readonly path: string) {
    this.db = new Database(path);
    // A crash loses only this private copy, never the database readers use: no journal on
    // disk is needed, but an in-memory one is, so that a failed source can be rolled back.
    this.db.pragma('journal_mode = MEMORY');
    this.db.pragma('synchronous = OFF');
    this.db.pragma('cache_size = -65536');
    const version = this.schemaVersionOnDisk();
    if (version !== undefined && version !== SCHEMA_VERSION) {
      for (const { name } of this.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]) {
        this.db.exec(`DROP TABLE IF EXISTS "${name}"`);
      }
    }
    this.db.exec(SCHEMA);
    this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run('schema_version', String(SCHEMA_VERSION));
    this.db.exec('BEGIN');
    this.updateId = Number(this.db.prepare('INSERT INTO update_run (started_at) VALUES (?)').run(nowIso()).lastInsertRowid);
    this.stmt = {
      insertAdvisory: this.db.prepare('INSERT INTO advisory (source, id, modified, withdrawn, hash, aliases, json) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      insertAffected: this.db.prepare('INSERT INTO affected (ecosystem, name, advisory, entries) VALUES (?, ?, ?, ?)'),
      deleteAffected: this.db.prepare('DELETE FROM affected WHERE advisory = ?'),
      deleteAdvisory: this.db.prepare('DELETE FROM advisory WHERE rowid = ?'),
      insertKev: this.db.prepare('INSERT OR REPLACE INTO kev (cve, source, json) VALUES (?, ?, ?)'),
      insertEpss: this.db.prepare('INSERT OR REPLACE INTO epss (cve, source, score, percentile, date) VALUES (?, ?, ?, ?, ?)'),
    };
  }

  private schemaVersionOnDisk(): number | undefined {
    const hasMeta = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
    if (!hasMeta) return undefined;
    const row = this.db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined;
    return row ? Number(row.value) : undefined;
  }

  /** The sources this file knows, with their fingerprints. */
  sources(): SourceState[] {
    return (this.db.prepare('SELECT * FROM source ORDER BY name').all() as Tables['source'][]).map(toSourceState);
  }

  /** Starts replacing one source's rows. */
  startSource(name: string, kind: string, location: string): SourceImport {
    return new SourceImport(this, name, kind, location);
  }

  /** Starts a patch of single CVEs' enrichment inside the rows of the sources `ownerOf` names. */
  startPatch(name: string, kind: string, location: string, ownerOf: (cveId: string) => string, firstImport: boolean): EnrichmentPatch {
    return new EnrichmentPatch(this, name, kind, location, ownerOf, firstImport);
  }

  /** Marks a source as checked and unchanged (its fingerprint matched). */
  markUnchanged(name: string, fingerprint: string | undefined): void {
    this.db.prepare('UPDATE source SET checked_at = ?, error = NULL, fingerprint = COALESCE(?, fingerprint) WHERE name = ?').run(nowIso(), fingerprint ?? null, name);
  }

  /** Records that a source failed this time; its stored rows are untouched. */
  recordSourceError(name: string, kind: string, location: string, error: string): void {
    this.db
      .prepare(
        `INSERT INTO source (name, kind, location, checked_at, error) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET checked_at = excluded.checked_at, error = excluded.error`,
      )
      .run(name, kind, location, nowIso(), error);
  }

  /** Rebuilds the vulnerability groups, stamps the build time, commits and closes. */
  finish(summary: unknown): void {
    rebuildGroups(this.db);
    const filter = rebuildPackages(this.db);
    rebuildCoverage(this.db);
    const at = nowIso();
    this.db.prepare('UPDATE update_run SET finished_at = ?, summary = ? WHERE id = ?').run(at, JSON.stringify(summary), this.updateId);
    const setMeta = this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
    setMeta.run('built_at', at);
    // Stamped with the build: a writer that knows no filter leaves it for an older build,
    // and readers then ignore it rather than trust it for a table it does not describe.
    setMeta.run('package_filter', filter.serialize(at));
    this.db.exec('COMMIT');
    this.db.pragma('optimize');
    this.db.close();
  }

  /** Closes without committing (the file is then discarded by the caller). */
  abandon(): void {
    if (this.db.inTransaction) this.db.exec('ROLLBACK');
    this.db.close();
  }
}

/** Union-find over advisory ids and aliases; see the module comment for bundles. */
function rebuildGroups(db: Database.Database): void {
  db.exec('DELETE FROM vuln; DELETE FROM vuln_id; DELETE FROM vuln_member;');
  const rows = db.prepare('SELECT rowid, id, aliases, withdrawn FROM advisory').all() as { rowid: number; id: string; aliases: string; withdrawn: number }[];
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let root = x;
    while (parent.get(root) !== root) {
      const p = parent.get(root);
      if (p === undefined) {
        parent.set(root, root);
        break;
      }
      root = p;
    }
    let cur = x;
    while (cur !== root) {
      const next = parent.get(cur) as string;
      parent.set(cur, root);
      cur = next;
    }
    return root;
  };
  const union = (a: string, b: string): void => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(ra, rb);
  };
  const bundles = new Map<number, string[]>();
  for (const r of rows) {
    const aliases = (JSON.parse(r.aliases) as string[]).map((a) => (isCve(a) ? a.toUpperCase() : a));
    const ids = [...new Set([r.id, ...aliases])];
    const cves = ids.filter(isCve);
    find(r.id);
    if (cves.length <= 1) {
      for (const id of ids) union(r.id, id);
    } else {
      bundles.set(r.rowid, cves);
      for (const id of ids) if (isCve(id)) find(id);
      else union(r.id, id);
    }
  }
  const groups = new Map<string, string[]>();
  for (const id of parent.keys()) {
    const root = find(id);
    const list = groups.get(root) ?? [];
    list.push(id);
    groups.set(root, list);
  }
  const primaryOf = new Map<string, string>();
  const primaryByRoot = new Map<string, string>();
  for (const [root, ids] of groups) {
    ids.sort();
    const primary = ids.find(isCve) ?? ids.find((i) => i.startsWith('GHSA-')) ?? ids[0];
    primaryByRoot.set(root, primary);
    for (const id of ids) primaryOf.set(id, primary);
  }
  const members = new Map<string, Set<number>>();
  const addMember = (vuln: string, rowid: number): void => {
    const set = members.get(vuln) ?? new Set<number>();
    set.add(rowid);
    members.set(vuln, set);
  };
  const recordIds = new Map<number, string>();
  const withdrawnRow = new Map<number, boolean>();
  const bundleOwn = new Map<string, number[]>();
  for (const r of rows) {
    recordIds.set(r.rowid, r.id);
    withdrawnRow.set(r.rowid, r.withdrawn === 1);
    const cves = bundles.get(r.rowid);
    if (cves) {
      for (const cve of cves) addMember(primaryOf.get(cve) as string, r.rowid);
      const own = primaryOf.get(r.id) as string;
      bundleOwn.set(own, [...(bundleOwn.get(own) ?? []), r.rowid]);
    } else addMember(primaryOf.get(r.id) as string, r.rowid);
  }
  const insVuln = db.prepare('INSERT INTO vuln (id, aliases, withdrawn) VALUES (?, ?, ?)');
  const insId = db.prepare('INSERT OR IGNORE INTO vuln_id (alias, vuln) VALUES (?, ?)');
  const insMember = db.prepare('INSERT INTO vuln_member (vuln, advisory) VALUES (?, ?)');
  for (const [root, ids] of groups) {
    const primary = primaryByRoot.get(root) as string;
    const rowids = [...(members.get(primary) ?? [])];
    // A bundle's own group (DSA-… without a single CVE) lists no records when it only
    // counts toward its CVEs; it still answers for its id, with the bundle as its record.
    if (rowids.length === 0) rowids.push(...(bundleOwn.get(primary) ?? []));
    const aliasSet = new Set(ids);
    for (const rid of rowids) aliasSet.add(recordIds.get(rid) as string);
    aliasSet.delete(primary);
    const withdrawn = rowids.length > 0 && rowids.every((rid) => withdrawnRow.get(rid));
    insVuln.run(primary, JSON.stringify([...aliasSet].sort()), withdrawn ? 1 : 0);
    for (const id of ids) insId.run(id, primary);
    for (const rid of rowids) insMember.run(primary, rid);
  }
}

/**
 * One package's advisories as the `package` table stores them, all a lookup parses: the
 * distinct projections of their entries naming the package (Alpine fixes a dozen CVEs in one
 * release: one projection, parsed once and shared), then, four values per advisory in one
 * flat array, the record's rowid, its id, 1 when withdrawn, and the index of its projection.
 */
type PackageRow = [projections: StoredEntry[][], advisories: (number | string)[]];

/**
 * Rebuilds the lookup table: per (ecosystem, name), the matching projection of every advisory
 * naming it, newest copy of each id only, sorted by id. A lookup reads one row's small JSON
 * text and parses no record. Returns the filter of the keys it wrote.
 */
function rebuildPackages(db: Database.Database): PackageFilter {
  db.exec('DELETE FROM package');
  const rows = db
    .prepare('SELECT f.ecosystem, f.name, f.advisory, f.entries, a.id, a.modified, a.withdrawn FROM affected f JOIN advisory a ON a.rowid = f.advisory ORDER BY f.ecosystem, f.name, f.advisory')
    .raw()
    .all() as [string, string, number, string, string, string, number][];
  const insert = db.prepare('INSERT INTO package (ecosystem, name, advisories) VALUES (?, ?, ?)');
  const write = (ecosystem: string, name: string, group: typeof rows): void => {
    // One advisory id from two sources (an OSV export and its native original): keep the newer.
    const byId = new Map<string, (typeof rows)[number]>();
    for (const r of group) {
      const prev = byId.get(r[4]);
      if (!prev || r[5] > prev[5]) byId.set(r[4], r);
    }
    // The entries are stored JSON already: splice the text rather than parse and re-serialise it.
    const projections = new Map<string, number>();
    const parts = [...byId.values()]
      .sort((a, b) => (a[4] < b[4] ? -1 : a[4] > b[4] ? 1 : 0))
      .map(([, , rowid, entries, id, , withdrawn]) => {
        let index = projections.get(entries);
        if (index === undefined) projections.set(entries, (index = projections.size));
        return `${rowid},${JSON.stringify(id)},${withdrawn === 1 ? 1 : 0},${index}`;
      });
    insert.run(ecosystem, name, `[[${[...projections.keys()].join(',')}],[${parts.join(',')}]]`);
  };
  const keys: string[] = [];
  let start = 0;
  for (let i = 1; i <= rows.length; i++) {
    if (i < rows.length && rows[i][0] === rows[start][0] && rows[i][1] === rows[start][1]) continue;
    write(rows[start][0], rows[start][1], rows.slice(start, i));
    keys.push(filterKey(rows[start][0], rows[start][1]));
    start = i;
  }
  return PackageFilter.build(keys);
}

/**
 * Counts, per indexed ecosystem, its records, package names, sources and freshness: one
 * grouped pass over `affected`.
 */
function countCoverage(db: Database.Database): Tables['coverage'][] {
  const changedAt = new Map(db.prepare('SELECT name, changed_at FROM source').raw().all() as [string, string | null][]);
  const rows = db
    .prepare(
      `SELECT f.ecosystem AS ecosystem, count(DISTINCT f.advisory) AS advisories, count(DISTINCT CASE WHEN a.withdrawn = 1 THEN f.advisory END) AS withdrawn,
         count(DISTINCT f.name) AS packages, json_group_array(DISTINCT a.source) AS sources, max(a.modified) AS newest_modified
       FROM affected f JOIN advisory a ON a.rowid = f.advisory GROUP BY f.ecosystem ORDER BY f.ecosystem`,
    )
    .all() as Omit<Tables['coverage'], 'changed_at'>[];
  return rows.map((r) => {
    let changed: string | null = null;
    for (const s of JSON.parse(r.sources) as string[]) {
      const at = changedAt.get(s) ?? null;
      if (at !== null && (changed === null || at > changed)) changed = at;
    }
    return { ...r, changed_at: changed };
  });
}

/** Recounts the `coverage` table at the end of an update, so that a scan reads a few dozen rows. */
function rebuildCoverage(db: Database.Database): void {
  db.exec('DELETE FROM coverage');
  const insert = db.prepare('INSERT INTO coverage (ecosystem, advisories, withdrawn, packages, sources, newest_modified, changed_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
  for (const r of countCoverage(db)) insert.run(r.ecosystem, r.advisories, r.withdrawn, r.packages, r.sources, r.newest_modified, r.changed_at);
}

function toCoverage(r: Tables['coverage']): EcosystemCoverage {
  return {
    ecosystem: r.ecosystem,
    advisories: r.advisories,
    withdrawn: r.withdrawn,
    packages: r.packages,
    sources: (JSON.parse(r.sources) as string[]).sort(),
    ...(r.newest_modified ? { newestModified: r.newest_modified } : {}),
    ...(r.changed_at ? { changedAt: r.changed_at } : {}),
  };
}

function toSourceState(r: Tables['source']): SourceState {
  return {
    name: r.name,
    kind: r.kind,
    location: r.location,
    ...(r.fingerprint ? { fingerprint: r.fingerprint } : {}),
    ...(r.checked_at ? { checkedAt: r.checked_at } : {}),
    ...(r.changed_at ? { changedAt: r.changed_at } : {}),
    records: r.records,
    skipped: r.skipped,
    warnings: JSON.parse(r.warnings) as string[],
    ...(r.error ? { error: r.error } : {}),
  };
}

/** Thrown when the database file is missing or not a Vigil advisory database. */
export class VulnDbOpenError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`advisory database ${path}: ${reason}`);
    this.name = 'VulnDbOpenError';
  }
}

/** IndexedAdvisory plus the vulnerabilities (primary ids) the record counts toward. */
export interface IndexedAdvisoryWithVulns extends IndexedAdvisory {
  vulnerabilities: string[];
}

/** Package lookups kept parsed: a scan asks for hundreds, re-evaluation for every package of every inventory. */
const LOOKUP_CACHE_SIZE = 200_000;
/** Full advisory records kept parsed (only matched advisories are read; a PyPI record can be tens of KB). */
const RECORD_CACHE_SIZE = 20_000;
/** The answer for a package no advisory names (shared, so frozen). */
const NO_ADVISORIES = Object.freeze([]) as unknown as IndexedAdvisoryWithVulns[];

/** How a {@link StoredAdvisory} reads what it loads lazily. */
interface RecordLoader {
  record(rowid: number): OsvRecord;
  vulnerabilities(rowid: number): string[];
}

/**
 * One lookup result of {@link VulnDb}: the matching projection parsed; the full record, the
 * package's full `affected` entries and the vulnerability memberships read on first use.
 * `toJSON` writes the loaded view, as a plain {@link IndexedAdvisoryWithVulns} would be.
 */
class StoredAdvisory implements IndexedAdvisoryWithVulns {
  readonly id: string;
  readonly withdrawn: boolean;
  readonly match: OsvAffected[];
  private entries?: OsvAffected[];
  private vulns?: string[];

  constructor(
    /** Shared by the results of one lookup. */
    private readonly context: { loader: RecordLoader; key: { ecosystem: string; name: string } },
    private readonly rowid: number,
    id: string,
    withdrawn: boolean,
    match: OsvAffected[],
  ) {
    this.id = id;
    this.withdrawn = withdrawn;
    this.match = match;
  }

  get record(): OsvRecord {
    return this.context.loader.record(this.rowid);
  }

  /** The record's entries naming the package, chosen by the same key as the projection. */
  get affected(): OsvAffected[] {
    this.entries ??= (this.record.affected ?? []).filter((a) => {
      if (!a.package) return false;
      const k = packageKey(a.package.ecosystem, a.package.name);
      return k.ecosystem === this.context.key.ecosystem && k.name === this.context.key.name;
    });
    return this.entries;
  }

  get vulnerabilities(): string[] {
    this.vulns ??= this.context.loader.vulnerabilities(this.rowid);
    return this.vulns;
  }

  toJSON(): IndexedAdvisoryWithVulns {
    return { record: this.record, affected: this.affected, vulnerabilities: this.vulnerabilities, id: this.id, withdrawn: this.withdrawn, match: this.match };
  }
}

/**
 * A finished advisory database, opened read-only. Lookups are synchronous prepared
 * statements with parsed records and results cached: callers must not mutate what they get.
 */
export class VulnDb implements AdvisoryIndex {
  private readonly db: Database.Database;
  private readonly loader: RecordLoader;
  private coverageRows?: EcosystemCoverage[];
  private readonly vulnOf: Database.Statement;
  private readonly vulnRow: Database.Statement;
  private readonly vulnRecords: Database.Statement;
  private readonly enrichmentRows: Database.Statement;
  private readonly kevRows: Database.Statement;
  private readonly epssRows: Database.Statement;
  private readonly recordJson: Database.Statement;
  private readonly packageRow: Database.Statement;
  /** Absent for a file written before filters, or whose filter is for another build. */
  private readonly packageFilter: PackageFilter | undefined;
  private readonly recordCache = new BoundedCache<number, OsvRecord>(RECORD_CACHE_SIZE);
  private readonly lookupCache = new BoundedCache<string, IndexedAdvisoryWithVulns[]>(LOOKUP_CACHE_SIZE);

  /** Opens `path` read-only; throws {@link VulnDbOpenError} naming the file when it cannot. */
  constructor(readonly path: string) {
    try {
      this.db = new Database(path, { readonly: true, fileMustExist: true });
      // Lookups read records all over the file: map it rather than read page by page.
      this.db.pragma('mmap_size = 1073741824');
      this.db.pragma('cache_size = -32768');
      const version = this.db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined;
      if (!version) throw new Error('no schema version');
      if (Number(version.value) !== SCHEMA_VERSION) {
        throw new Error(`schema version ${version.value}, this Vigil reads ${SCHEMA_VERSION}; run \`vigil db update\``);
      }
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { code?: string };
      const why = /unable to open|does not exist/i.test(e.message)
        ? 'does not exist; run `vigil db update` first'
        : /not a database|no such table|no schema version/i.test(e.message)
          ? 'is not a Vigil advisory database'
          : e.message;
      throw new VulnDbOpenError(path, why);
    }
    const vulnsOf = this.db.prepare('SELECT vuln FROM vuln_member WHERE advisory = ? ORDER BY vuln').pluck();
    this.loader = { record: (rowid) => this.record(rowid), vulnerabilities: (rowid) => vulnsOf.all(rowid) as string[] };
    this.vulnOf = this.db.prepare('SELECT vuln FROM vuln_id WHERE alias = ?').pluck();
    this.vulnRow = this.db.prepare('SELECT id, aliases, withdrawn FROM vuln WHERE id = ?');
    this.vulnRecords = this.db.prepare('SELECT advisory FROM vuln_member WHERE vuln = ? ORDER BY advisory').pluck();
    this.enrichmentRows = this.db.prepare('SELECT source, json FROM enrichment WHERE cve = ? ORDER BY source');
    this.kevRows = this.db.prepare('SELECT json FROM kev WHERE cve = ? ORDER BY source').pluck();
    this.epssRows = this.db.prepare('SELECT score, percentile, date FROM epss WHERE cve = ? ORDER BY date DESC');
    this.recordJson = this.db.prepare('SELECT json FROM advisory WHERE rowid = ?').pluck();
    this.packageRow = this.db.prepare('SELECT advisories FROM package WHERE ecosystem = ? AND name = ?').pluck();
    const meta = this.db.prepare("SELECT value FROM meta WHERE key = ?").pluck();
    this.packageFilter = PackageFilter.parse(meta.get('package_filter') as string | undefined, meta.get('built_at') as string | undefined);
  }

  /** Closes the file. */
  close(): void {
    this.db.close();
  }

  private record(rowid: number): OsvRecord {
    let r = this.recordCache.get(rowid);
    if (!r) {
      const row = this.recordJson.get(rowid) as string;
      r = JSON.parse(row) as OsvRecord;
      this.recordCache.set(rowid, r);
    }
    return r;
  }

  /**
   * {@inheritDoc AdvisoryIndex.advisoriesFor}
   *
   * Parses only the matching projection (ids, withdrawn flags, `match`, which advisories with
   * identical entries share: do not mutate it); each result's `record`, `affected` and
   * `vulnerabilities` are read from the file when first used, which matching does only for
   * advisories that match.
   */
  advisoriesFor(ecosystem: string, name: string): IndexedAdvisoryWithVulns[] {
    const raw = `${ecosystem}\u0000${name}`;
    const cached = this.lookupCache.get(raw);
    if (cached) return cached;
    const key = packageKey(ecosystem, name);
    // No advisory names most packages: the filter answers those without reading the file.
    if (this.packageFilter && !this.packageFilter.mayHave(filterKey(key.ecosystem, key.name))) return NO_ADVISORIES;
    // One primary-key read per package (≈ 10 µs, hit or miss): a scan looks up a few hundred
    // packages, and reading the whole table first would cost more than all of them.
    const json = this.packageRow.get(key.ecosystem, key.name) as string | undefined;
    let out: IndexedAdvisoryWithVulns[] = [];
    if (json !== undefined) {
      const [projections, flat] = JSON.parse(json) as PackageRow;
      const match = projections.map(expandEntries);
      const context = { loader: this.loader, key };
      out = new Array<IndexedAdvisoryWithVulns>(flat.length / 4);
      for (let i = 0; i < flat.length; i += 4) {
        out[i / 4] = new StoredAdvisory(context, flat[i] as number, flat[i + 1] as string, flat[i + 2] === 1, match[flat[i + 3] as number]);
      }
    }
    this.lookupCache.set(raw, out);
    return out;
  }

  /** {@inheritDoc AdvisoryIndex.vulnerability} */
  vulnerability(id: string): Vulnerability | undefined {
    const wanted = id.trim();
    const vulns = this.vulnOf.all(wanted) as string[];
    if (vulns.length === 0) {
      // A CVE no advisory names may still be known to NVD, KEV or EPSS.
      if (!isCve(wanted)) return undefined;
      const enrichment = this.enrichment([wanted.toUpperCase()]);
      if (enrichment.length === 0) return undefined;
      return { id: wanted.toUpperCase(), aliases: [], records: [], enrichment, withdrawn: false };
    }
    const row = this.vulnRow.get(vulns[0]) as { id: string; aliases: string; withdrawn: number };
    const aliases = JSON.parse(row.aliases) as string[];
    const records = (this.vulnRecords.all(row.id) as number[]).map((rid) => this.record(rid));
    const cves = [row.id, ...aliases].filter(isCve);
    // A bundle's own vulnerability has no CVE among its ids; its record's CVEs enrich it.
    if (cves.length === 0) for (const r of records) for (const a of r.aliases ?? []) if (isCve(a)) cves.push(a);
    return { id: row.id, aliases, records, enrichment: this.enrichment([...new Set(cves.map((c) => c.toUpperCase()))]), withdrawn: row.withdrawn === 1 };
  }

  /** {@inheritDoc AdvisoryIndex.enrichment} */
  enrichment(cveIds: readonly string[]): Enrichment[] {
    const out: Enrichment[] = [];
    for (const raw of cveIds) {
      const cveId = raw.toUpperCase();
      const cvss: CvssVector[] = [];
      const cwes = new Set<string>();
      const refs = new Set<string>();
      for (const row of this.enrichmentRows.all(cveId) as { source: string; json: string }[]) {
        const e = JSON.parse(row.json) as EnrichmentItem;
        cvss.push(...(e.cvss ?? []));
        for (const c of e.cwes ?? []) cwes.add(c);
        for (const r of e.references ?? []) refs.add(r);
      }
      const kevJson = this.kevRows.get(cveId) as string | undefined;
      const epssRow = this.epssRows.get(cveId) as { score: number; percentile: number; date: string | null } | undefined;
      if (cvss.length === 0 && cwes.size === 0 && refs.size === 0 && !kevJson && !epssRow) continue;
      const kev = kevJson ? (JSON.parse(kevJson) as KevEntry) : undefined;
      const epss: EpssScore | undefined = epssRow ? { cveId, score: epssRow.score, percentile: epssRow.percentile, ...(epssRow.date ? { date: epssRow.date } : {}) } : undefined;
      out.push({ cveId, cvss, cwes: [...cwes], references: [...refs], ...(kev ? { kev } : {}), ...(epss ? { epss } : {}) });
    }
    return out;
  }

  /** Every (ecosystem, package) pair that has advisories, optionally for one ecosystem. */
  packages(ecosystem?: string): ChangedPackage[] {
    const rows = ecosystem
      ? this.db.prepare('SELECT ecosystem, name FROM package WHERE ecosystem = ? ORDER BY name').all(packageKey(ecosystem, 'x').ecosystem)
      : this.db.prepare('SELECT ecosystem, name FROM package ORDER BY ecosystem, name').all();
    return rows as ChangedPackage[];
  }

  /**
   * What the database holds per ecosystem and release, sorted by ecosystem (read once per
   * open file). A file written before the `coverage` table existed is counted on the fly.
   */
  coverage(): EcosystemCoverage[] {
    if (this.coverageRows) return this.coverageRows;
    const stored = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'coverage'").get() !== undefined;
    const rows = stored ? (this.db.prepare('SELECT * FROM coverage ORDER BY ecosystem').all() as Tables['coverage'][]) : countCoverage(this.db);
    this.coverageRows = rows.map(toCoverage);
    return this.coverageRows;
  }

  /** The sources with their fingerprints and last import. */
  sources(): SourceState[] {
    return (this.db.prepare('SELECT * FROM source ORDER BY name').all() as Tables['source'][]).map(toSourceState);
  }

  /** Status figures for `vigil db status`. */
  async status(now = new Date()): Promise<DbStatus> {
    const { k, sql } = await kyselyOver(this.db);
    const builtAt = (await k.selectFrom('meta').select('value').where('key', '=', 'built_at').executeTakeFirst())?.value;
    const counts = await k
      .selectFrom('advisory')
      .select([sql<number>`count(*)`.as('n'), sql<number>`coalesce(sum(withdrawn), 0)`.as('w')])
      .executeTakeFirstOrThrow();
    const vulns = await k.selectFrom('vuln').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow();
    const cvss = await k.selectFrom('enrichment').select(sql<number>`count(DISTINCT cve)`.as('n')).where('has_cvss', '=', 1).executeTakeFirstOrThrow();
    const kev = await k.selectFrom('kev').select(sql<number>`count(DISTINCT cve)`.as('n')).executeTakeFirstOrThrow();
    const epss = await k.selectFrom('epss').select(sql<number>`count(DISTINCT cve)`.as('n')).executeTakeFirstOrThrow();
    const ageHours = builtAt ? (now.getTime() - Date.parse(builtAt)) / 3_600_000 : undefined;
    return {
      path: this.path,
      schemaVersion: SCHEMA_VERSION,
      ...(builtAt ? { builtAt } : {}),
      ...(ageHours !== undefined ? { ageHours: Math.round(ageHours * 100) / 100 } : {}),
      stale: ageHours === undefined || ageHours > 24,
      advisories: counts.n,
      withdrawn: counts.w,
      vulnerabilities: vulns.n,
      ecosystems: this.coverage(),
      enrichment: { cvss: cvss.n, kev: kev.n, epss: epss.n },
      sources: this.sources(),
    };
  }

  /** Change log entries recorded at or after `since`, oldest first. */
  async changes(since: Date): Promise<ChangeEntry[]> {
    const { k } = await kyselyOver(this.db);
    const rows = await k.selectFrom('change').selectAll().where('at', '>=', since.toISOString()).orderBy('at').orderBy('advisory_id').execute();
    return rows.map((r) => ({
      updateId: r.update_id,
      at: r.at,
      kind: r.kind as ChangeKind,
      advisoryId: r.advisory_id,
      source: r.source,
      ...(r.ecosystem !== null ? { ecosystem: r.ecosystem } : {}),
      ...(r.name !== null ? { name: r.name } : {}),
    }));
  }

  /** The distinct (ecosystem, package) pairs touched by changes at or after `since`. */
  changedPackagesSince(since: Date): ChangedPackage[] {
    return this.db
      .prepare('SELECT DISTINCT ecosystem, name FROM change WHERE at >= ? AND ecosystem IS NOT NULL ORDER BY ecosystem, name')
      .all(since.toISOString()) as ChangedPackage[];
  }
}
