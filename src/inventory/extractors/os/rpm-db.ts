/**
 * rpm's package database in all three formats, told apart by their first bytes: SQLite
 * `rpmdb.sqlite` (Fedora, RHEL 9+), BerkeleyDB `Packages` (CentOS 7, RHEL 8) and NDB
 * `Packages.db` (SUSE). Header blobs are parsed in TypeScript (`rpm/header.ts`); no rpm
 * binary or native BerkeleyDB library is needed.
 */
import Database from 'better-sqlite3';
import type { Extractor, ExtractContext, FileRef, FoundPackage } from '../../types.js';
import { bdbValues, isBdbHash } from './rpm/bdb.js';
import { readRpmPackage, type RpmPackageInfo } from './rpm/header.js';
import { isNdb, ndbBlobs } from './rpm/ndb.js';

const DIRS = ['/var/lib/rpm/', '/usr/lib/sysimage/rpm/', '/usr/share/rpm/'];
const NAMES = ['rpmdb.sqlite', 'Packages', 'Packages.db'];
const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/** Thrown for a file that is none of rpm's database formats. */
export class RpmDbError extends Error {
  constructor(path: string, reason: string) {
    super(`${path}: ${reason}`);
    this.name = 'RpmDbError';
  }
}

/** Kernel image and module packages across RPM distributions. */
export function isRpmKernel(name: string): boolean {
  return /^kernel(-(core|modules|modules-core|modules-extra|default|uek|uek-core|rt|rt-core|64k|64k-core|lpae|azure|zfcpdump|debug|debug-core))?$/.test(name);
}

function* sqliteBlobs(data: Buffer, path: string): Generator<Buffer> {
  // An in-memory copy cannot use WAL; rpm checkpoints on close, so the main file is whole.
  const copy = Buffer.from(data);
  if (copy[18] === 2) copy[18] = 1;
  if (copy[19] === 2) copy[19] = 1;
  let db: Database.Database;
  try {
    db = new Database(copy, { readonly: true });
  } catch (err) {
    throw new RpmDbError(path, `not a readable SQLite database: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    let rows: { blob: Buffer }[];
    try {
      rows = db.prepare('SELECT blob FROM Packages ORDER BY hnum').all() as { blob: Buffer }[];
    } catch (err) {
      throw new RpmDbError(path, `no rpm Packages table: ${err instanceof Error ? err.message : String(err)}`);
    }
    for (const row of rows) yield row.blob;
  } finally {
    db.close();
  }
}

/** Header blobs of any of the three formats. */
export function* rpmBlobs(data: Buffer, path: string): Generator<Buffer> {
  if (data.length === 0) throw new RpmDbError(path, 'empty file');
  if (data.subarray(0, 16).equals(SQLITE_MAGIC)) yield* sqliteBlobs(data, path);
  else if (isNdb(data)) yield* ndbBlobs(data);
  else if (isBdbHash(data)) yield* bdbValues(data);
  else throw new RpmDbError(path, 'not an rpm database (neither SQLite, BerkeleyDB hash nor NDB)');
}

/** `version-release`, with `epoch:` in front when the epoch is set and not zero (as rpm orders them). */
export function rpmVersion(p: Pick<RpmPackageInfo, 'epoch' | 'version' | 'release'>): string {
  const vr = p.release ? `${p.version}-${p.release}` : p.version;
  return p.epoch ? `${p.epoch}:${vr}` : vr;
}

/** The source package name and version from `name-version-release.src.rpm`. */
export function parseSourceRpm(srpm: string | undefined): { name: string; version: string } | undefined {
  const m = srpm ? /^(.+)-([^-]+)-([^-]+)\.(?:no)?src\.rpm$/.exec(srpm) : null;
  return m ? { name: m[1], version: `${m[2]}-${m[3]}` } : undefined;
}

/** The rpm database extractor. */
export const rpmDb = {
  id: 'os/rpm-db',
  version: 1,
  fileRequired(path: string): boolean {
    const slash = path.lastIndexOf('/');
    return DIRS.includes(path.slice(0, slash + 1)) && NAMES.includes(path.slice(slash + 1));
  },
  async extract(file: FileRef, ctx: ExtractContext): Promise<FoundPackage[]> {
    const data = await file.read();
    const out: FoundPackage[] = [];
    let n = 0;
    for (const blob of rpmBlobs(data, file.path)) {
      ctx.signal?.throwIfAborted();
      n++;
      let info: RpmPackageInfo;
      try {
        info = readRpmPackage(blob);
      } catch (err) {
        ctx.warn(`package header ${n}: ${err instanceof Error ? err.message : String(err)}; skipped`);
        continue;
      }
      // gpg-pubkey entries are imported signing keys, not installed software.
      if (info.name === 'gpg-pubkey') continue;
      const version = rpmVersion(info);
      const metadata: Record<string, string> = {};
      if (info.epoch !== undefined) metadata.epoch = String(info.epoch);
      if (info.sourceRpm) metadata.sourceRpm = info.sourceRpm;
      if (info.modularityLabel) metadata.modularityLabel = info.modularityLabel;
      if (info.vendor) metadata.vendor = info.vendor;
      if (info.license) metadata.license = info.license;
      const source = parseSourceRpm(info.sourceRpm);
      const pkg: FoundPackage = {
        purlType: 'rpm',
        name: info.name,
        version,
        source: source ? { name: source.name, version: info.epoch ? `${info.epoch}:${source.version}` : source.version } : { name: info.name, version },
        arch: info.arch,
        metadata,
        ownedFiles: info.files,
      };
      if (isRpmKernel(info.name)) pkg.kernel = true;
      out.push(pkg);
    }
    return out;
  },
} satisfies Extractor;
