/**
 * `vigil db update`: fetch each source by fingerprint, import what changed into a private
 * copy of the database beside the old one, record the change log, and swap the copy in with
 * one rename. A reader never sees a half-built file; a failed or killed update leaves the
 * previous database in use. A bad source is reported by name and the others still update.
 */
import { constants, existsSync } from 'node:fs';
import { copyFile, mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { log } from '../log.js';
import { parseEcosystem } from '../ecosystems.js';
import { ArchiveError, fileKind, readEntries, type SourceEntry } from './archive.js';
import { importerFor } from './importers/index.js';
import type { ImportItem, Importer } from './importers/types.js';
import { readJsonArrayElements } from './json-array-stream.js';
import { VulnDb, VulnDbWriter, type AdvisoryChangeKind, type EnrichmentPatch, type SourceImport } from './store.js';
import {
  DEFAULT_SOURCES,
  expandSpec,
  fetchUnit,
  parseSourceSpec,
  specText,
  vulndataSpecs,
  type FetchLike,
  type Fingerprint,
  type SourceSpec,
  type SourceUnit,
} from './sources.js';
import type { ChangedPackage } from './types.js';

/** Progress events for a progress bar. */
export type UpdateProgress =
  | { phase: 'download'; unit: string; received: number; total?: number }
  | { phase: 'import'; unit: string; records: number }
  | { phase: 'done'; unit: string; status: UnitStatus };

/** How one unit fared. */
export type UnitStatus = 'updated' | 'unchanged' | 'failed';

/** One unit's outcome. */
export interface UnitReport {
  name: string;
  kind: string;
  status: UnitStatus;
  records?: number;
  skipped?: number;
  /** Records left out by `--only`. */
  filtered?: number;
  warnings?: string[];
  changes?: Record<AdvisoryChangeKind, number>;
  /** CVEs newly in the KEV catalog. */
  kevAdded?: number;
  /** CVEs whose CVSS vectors from this source changed (logged as `cvss-changed`). */
  cvssChanged?: number;
  /** CVEs whose EPSS score moved by at least `EPSS_CHANGE_LOGGED` (logged as `epss-changed`). */
  epssChanged?: number;
  requests: number;
  error?: string;
  durationMs: number;
}

/** Options of {@link updateVulnDb}. */
export interface UpdateOptions {
  dbPath: string;
  /** `KIND=URL|PATH` specs; default: the sources the database remembers, else {@link DEFAULT_SOURCES}. */
  sources?: readonly string[];
  /** OSV ecosystems to keep (advisory sources only; enrichment is always kept). */
  only?: readonly string[];
  /** Re-import even when fingerprints match. */
  force?: boolean;
  fetch?: FetchLike;
  signal?: AbortSignal;
  onProgress?: (p: UpdateProgress) => void;
  cwd?: string;
}

/** What an update did. */
export interface UpdateResult {
  dbPath: string;
  /** The change log's id for this update; 0 when every source failed and nothing was swapped. */
  updateId: number;
  units: UnitReport[];
  failed: number;
  durationMs: number;
}

/** Thrown when another update holds the lock. */
export class UpdateLockedError extends Error {}

/**
 * Updates (or creates) the database at `dbPath`. Per-source failures are reported in the
 * result, not thrown; only a failure to build or swap the file itself throws, and then the
 * previous file is left as it was.
 */
export async function updateVulnDb(opts: UpdateOptions): Promise<UpdateResult> {
  const started = performance.now();
  const dbPath = opts.dbPath;
  const dir = dirname(dbPath);
  await mkdir(dir, { recursive: true });
  const only = opts.only?.length ? opts.only.map(canonicalBase) : undefined;
  const fetchImpl = opts.fetch ?? fetch;
  const release = await acquireLock(dbPath);
  const tmp = `${dbPath}.tmp-${process.pid}`;
  let writer: VulnDbWriter | undefined;
  try {
    await removeStaleTemps(dbPath);
    const existed = existsSync(dbPath);
    if (existed) await copyFile(dbPath, tmp);
    writer = new VulnDbWriter(tmp);
    const remembered = rememberedSpecs(writer);
    // A database built from the defaults follows the defaults as they grow (NVD and
    // vulnrichment joined OSV, KEV and EPSS); one built from chosen sources keeps them.
    const fromDefaults = remembered.length > 0 && remembered.every((r) => (DEFAULT_SOURCES as readonly string[]).includes(r));
    const specTexts = opts.sources?.length ? opts.sources : remembered.length && !fromDefaults ? remembered : DEFAULT_SOURCES;
    const specs = specTexts.map((s) => parseSourceSpec(s, opts.cwd));
    const previous = new Map(writer.sources().map((s) => [s.name, s]));
    const units: UnitReport[] = [];
    for (const spec of specs) {
      opts.signal?.throwIfAborted();
      const importer = importerFor(spec.kind);
      if (only && importer.ecosystem && !only.includes(importer.ecosystem)) continue;
      if (only && spec.ecosystem && !only.includes(baseOf(spec.ecosystem))) continue;
      let expanded: SourceUnit[];
      try {
        expanded = await expandSpec(spec, only, fetchImpl, opts.signal);
      } catch (err) {
        const error = `source ${specText(spec)}: ${(err as Error).message}`;
        writer.recordSourceError(specText(spec), spec.kind, spec.location, error);
        units.push({ name: specText(spec), kind: spec.kind, status: 'failed', requests: 1, error, durationMs: 0 });
        log.warn({ source: specText(spec), err: (err as Error).message }, 'advisory source failed');
        continue;
      }
      // A patch (NVD's modified feed) comes after the units it patches; when one of them was
      // re-imported, its rows may be older than the patch, so the patch is applied again.
      let replaced = false;
      for (const unit of expanded) {
        opts.signal?.throwIfAborted();
        const fp = previous.get(unit.name)?.fingerprint;
        const force = opts.force || (unit.patchOf !== undefined && replaced);
        const report = await updateUnit(writer, unit, fp ? (JSON.parse(fp) as Fingerprint) : undefined, { ...opts, force, only, fetchImpl, tmpDir: dir });
        if (!unit.patchOf && report.status === 'updated') replaced = true;
        units.push(report);
      }
    }
    const failed = units.filter((u) => u.status === 'failed').length;
    if (units.length > 0 && failed === units.length) {
      // Nothing could be read: keep the previous file exactly as it was (its age stays
      // honest), and never create an empty database that looks fresh.
      writer.abandon();
      writer = undefined;
      await unlink(tmp).catch(() => undefined);
      if (!existed) throw new Error(`no advisory source could be read, so no database was created at ${dbPath}:\n  ${units.map((u) => u.error).join('\n  ')}`);
      return { dbPath, updateId: 0, units, failed, durationMs: performance.now() - started };
    }
    const updateId = writer.updateId;
    writer.finish({ units: units.map(({ warnings: _w, ...u }) => u) });
    writer = undefined;
    await fsyncPath(tmp);
    await rename(tmp, dbPath);
    await fsyncPath(dir).catch(() => undefined);
    return { dbPath, updateId, units, failed, durationMs: performance.now() - started };
  } catch (err) {
    writer?.abandon();
    await unlink(tmp).catch(() => undefined);
    throw err;
  } finally {
    await release();
  }
}

async function updateUnit(
  writer: VulnDbWriter,
  unit: SourceUnit,
  previous: Fingerprint | undefined,
  opts: UpdateOptions & { only?: string[]; fetchImpl: FetchLike; tmpDir: string },
): Promise<UnitReport> {
  const t0 = performance.now();
  const importer = importerFor(unit.spec.kind);
  const importerId = `${importer.kind}@${importer.version}`;
  let requests = 0;
  let imp: SourceImport | EnrichmentPatch | undefined;
  let tempPath: string | undefined;
  try {
    const outcome = await fetchUnit(unit, previous, importerId, {
      tmpDir: opts.tmpDir,
      fetchImpl: opts.fetchImpl,
      signal: opts.signal,
      force: opts.force,
      onProgress: (received, total) => opts.onProgress?.({ phase: 'download', unit: unit.name, received, total }),
    });
    requests = outcome.requests;
    if (!outcome.changed) {
      writer.markUnchanged(unit.name, JSON.stringify(outcome.fingerprint));
      opts.onProgress?.({ phase: 'done', unit: unit.name, status: 'unchanged' });
      return { name: unit.name, kind: unit.spec.kind, status: 'unchanged', requests, durationMs: performance.now() - t0 };
    }
    if (outcome.temporary) tempPath = outcome.path;
    imp = unit.patchOf
      ? writer.startPatch(unit.name, unit.spec.kind, unit.spec.location, unit.patchOf, previous === undefined)
      : writer.startSource(unit.name, unit.spec.kind, unit.spec.location);
    const current = imp;
    const ctx = { skip: (item: string, why: string) => current.skip(item, why), ...(unit.spec.ecosystem ? { ecosystem: unit.spec.ecosystem } : {}) };
    let filtered = 0;
    let count = 0;
    try {
      for await (const entry of await entriesOf(outcome.path, unit, importer)) {
        opts.signal?.throwIfAborted();
        for (const item of importer.parse(entry, ctx)) {
          if (opts.only && !unit.ecosystem && !keptByOnly(item, opts.only)) {
            filtered++;
            continue;
          }
          current.add(item);
          if (++count % 5000 === 0) opts.onProgress?.({ phase: 'import', unit: unit.name, records: count });
        }
      }
    } catch (err) {
      // A download is read from a temporary file: name the URL, not the file.
      if (err instanceof ArchiveError && outcome.temporary) throw new Error(`${unit.target}: ${err.reason}`);
      throw err;
    }
    const result = current.commit(JSON.stringify(outcome.fingerprint));
    imp = undefined;
    opts.onProgress?.({ phase: 'done', unit: unit.name, status: 'updated' });
    return {
      name: unit.name,
      kind: unit.spec.kind,
      status: 'updated',
      records: result.records,
      skipped: result.skipped,
      ...(filtered ? { filtered } : {}),
      warnings: result.warnings,
      changes: result.changes,
      ...(result.kevAdded ? { kevAdded: result.kevAdded } : {}),
      ...(result.cvssChanged ? { cvssChanged: result.cvssChanged } : {}),
      ...(result.epssChanged ? { epssChanged: result.epssChanged } : {}),
      requests,
      durationMs: performance.now() - t0,
    };
  } catch (err) {
    if ((err as Error).name === 'AbortError' || opts.signal?.aborted) throw err;
    const error = `source ${unit.name}: ${(err as Error).message}`;
    if (imp) imp.rollback(error);
    else writer.recordSourceError(unit.name, unit.spec.kind, unit.spec.location, error);
    log.warn({ source: unit.name, err: (err as Error).message }, 'advisory source failed');
    opts.onProgress?.({ phase: 'done', unit: unit.name, status: 'failed' });
    return { name: unit.name, kind: unit.spec.kind, status: 'failed', requests, error, durationMs: performance.now() - t0 };
  } finally {
    if (tempPath) await unlink(tempPath).catch(() => undefined);
  }
}

/**
 * The entries of a fetched unit. A single JSON document of an importer that names its big
 * array (NVD feeds) is read element by element; everything else through `readEntries`.
 */
async function entriesOf(path: string, unit: SourceUnit, importer: Importer): Promise<AsyncIterable<SourceEntry>> {
  if (importer.arrayKey && !(await stat(path)).isDirectory() && (await fileKind(path)) !== 'zip') {
    const name = (unit.spec.remote ? new URL(unit.target).pathname : unit.target).split('/').pop() ?? unit.name;
    return readJsonArrayElements(path, name, importer.arrayKey);
  }
  return readEntries(path, importer.wants);
}

/** Whether `--only` keeps an item: enrichment always, advisories naming a kept ecosystem. */
function keptByOnly(item: ImportItem, only: readonly string[]): boolean {
  if (item.type !== 'advisory') return true;
  const affected = item.record.affected ?? [];
  if (affected.length === 0) return true;
  return affected.some((a) => a.package && only.includes(baseOf(a.package.ecosystem)));
}

function baseOf(ecosystem: string): string {
  const colon = ecosystem.indexOf(':');
  return canonicalBase(colon < 0 ? ecosystem : ecosystem.slice(0, colon));
}

function canonicalBase(name: string): string {
  try {
    return parseEcosystem(name.trim()).info.name;
  } catch {
    return name.trim();
  }
}

/** The specs a database was last updated from (so a bare `vigil db update` repeats them). */
function rememberedSpecs(writer: VulnDbWriter): string[] {
  const seen = new Set<string>();
  for (const s of writer.sources()) if (s.kind) seen.add(`${s.kind}=${s.location}`);
  return [...seen];
}

/**
 * One updater per database at a time: `<db>.lock` holds the owner's pid. A lock left by a
 * process that no longer exists (killed mid-update) is taken over.
 */
async function acquireLock(dbPath: string): Promise<() => Promise<void>> {
  const lock = `${dbPath}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(lock, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY);
      await fh.writeFile(String(process.pid));
      await fh.close();
      return async () => {
        await unlink(lock).catch(() => undefined);
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
      if (owner && isAlive(owner)) {
        throw new UpdateLockedError(`another update of ${dbPath} is running (pid ${owner}); remove ${lock} if it is not`);
      }
      await unlink(lock).catch(() => undefined);
    }
  }
  throw new UpdateLockedError(`could not lock ${dbPath} for updating`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes copies left by updates that were killed (their pid is gone). */
async function removeStaleTemps(dbPath: string): Promise<void> {
  const dir = dirname(dbPath);
  const prefix = `${basename(dbPath)}.tmp-`;
  for (const name of await readdir(dir)) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length));
    if (pid && pid !== process.pid && isAlive(pid)) continue;
    await unlink(join(dir, name)).catch(() => undefined);
  }
  for (const name of await readdir(dir)) {
    const m = /^download-(\d+)-/.exec(name);
    if (m && !isAlive(Number(m[1]))) await unlink(join(dir, name)).catch(() => undefined);
  }
}

async function fsyncPath(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Imports every dataset of a folder laid out like Vigil's shared `vulndata` (OSV exports,
 * native formats, NVD, CVE 5, KEV, EPSS) into `dbPath` in one update. Tests and the demo use
 * this to get a full database in one call.
 */
export async function importVulndata(dir: string, dbPath: string, opts: Omit<UpdateOptions, 'dbPath' | 'sources'> = {}): Promise<UpdateResult> {
  const sources = vulndataSpecs(dir);
  if (sources.length === 0) throw new Error(`${dir}: no known datasets found (expected osv/, native/, kev/, epss/, cve/, nvd/ or updateinfo/)`);
  return updateVulnDb({ ...opts, dbPath, sources });
}

/**
 * The (ecosystem, package) pairs touched by advisory changes recorded at or after `since`:
 * what continuous re-evaluation must match again.
 */
export function changesSince(dbPath: string, since: Date | string): ChangedPackage[] {
  const when = typeof since === 'string' ? new Date(since) : since;
  if (Number.isNaN(when.getTime())) throw new Error(`invalid time "${String(since)}"`);
  const db = new VulnDb(dbPath);
  try {
    return db.changedPackagesSince(when);
  } finally {
    db.close();
  }
}

export type { SourceSpec };
