/**
 * The inventory builder: runs one walk of a source, hands each wanted file to the
 * extractors that asked for it, detects the OS, and turns what extractors found into
 * {@link Package}s with ecosystem, PURL, layer and owner. A file that fails to parse becomes
 * a warning and makes the inventory partial; the scan goes on.
 */
import { PackageURL } from 'packageurl-js';
import { ECOSYSTEMS, languageEcosystemForPurlType, type EcosystemInfo } from '../ecosystems.js';
import { describeError } from './errors.js';
import { detectOs, osFileRequired, osReleaseDetector } from './extractors/os/os-release.js';
import { bufferRef } from './buffer-ref.js';
import type { ScanLimits } from './limits.js';
import type { Extractor, FileRef, FoundPackage, Inventory, OsInfo, OwnerRef, Package, ScanWarning } from './types.js';
import type { FileVersion, FileView, Source, WalkOptions } from './walk.js';

/** Options of one inventory build. */
export interface BuildOptions {
  extractors: readonly Extractor[];
  limits: ScanLimits;
  signal?: AbortSignal;
  /** Called as input is read: bytes so far and, when known, the total. */
  onProgress?(bytesRead: number, totalBytes?: number): void;
  /** Parts of the view to leave out (see {@link WalkOptions.prune}). */
  prune?: WalkOptions['prune'];
  /** Directories `prune` will enter, asked ahead (see {@link WalkOptions.mayList}). */
  mayList?: WalkOptions['mayList'];
}

/** A package as found, before the builder completes it. */
interface Found {
  pkg: FoundPackage;
  extractor: Extractor;
  location: string;
  layer?: string;
}

const OS_FILE_LIMIT = 64 * 1024;

/** What one file handed over by the walk yielded, kept until its turn to be committed. */
interface FileResult {
  found: Found[];
  warnings: ScanWarning[];
  partial: boolean;
  osFile?: { path: string; data: Buffer };
}

/** `id@version`, as stored with what an extractor found. */
export function extractorRef(e: Pick<Extractor, 'id' | 'version'>): string {
  return `${e.id}@${e.version}`;
}

function identity(p: FoundPackage): string {
  return `${p.purlType}\0${p.namespace ?? ''}\0${p.name}\0${p.version}\0${p.arch ?? ''}`;
}

async function collect(extractor: Extractor, file: FileRef, ctx: { signal?: AbortSignal; warn(r: string): void; readFile?(p: string): Promise<Buffer | undefined> }): Promise<FoundPackage[]> {
  const result = extractor.extract(file, ctx);
  if (Symbol.asyncIterator in result) {
    const out: FoundPackage[] = [];
    for await (const p of result) out.push(p);
    return out;
  }
  return result;
}

/** Walks `source` once and builds its inventory. */
export async function buildInventory(source: Source, opts: BuildOptions): Promise<Inventory> {
  const { extractors, limits, signal } = opts;
  const warnings: ScanWarning[] = [];
  let partial = false;
  const osFiles = new Map<string, Buffer>();
  const found: Found[] = [];

  const wantedBy = (e: Extractor, path: string, size: number, mode?: number): boolean => e.fileRequired(path, size, mode) || (e.auxiliaryFile?.(path, size) ?? false);
  // Extractors that answer from the path alone are asked with size 0; the others (programs'
  // extractors) say whether some size or mode could make them want the path. A path that only
  // the latter may want is remembered, so that `wanted`, asked next with its size, asks only them.
  const pathOnly = extractors.filter((e) => !e.mayRequire);
  const sizeDependent = extractors.filter((e) => e.mayRequire);
  let onlySizeDependent: string | undefined;
  const mayWant = (path: string): boolean => {
    if (osFileRequired(path) || pathOnly.some((e) => wantedBy(e, path, 0))) return true;
    if (!sizeDependent.some((e) => e.mayRequire!(path))) return false;
    onlySizeDependent = path;
    return true;
  };
  const wanted = (path: string, size: number, mode?: number): boolean =>
    path === onlySizeDependent ? sizeDependent.some((e) => wantedBy(e, path, size, mode)) : osFileRequired(path) || extractors.some((e) => wantedBy(e, path, size, mode));
  const wantedBeyondLimit = (path: string, size: number, mode?: number): boolean => extractors.some((e) => e.seeksLargeFiles === true && e.fileRequired(path, size, mode));
  const elfSectionsOnly = (path: string, size: number, mode?: number): readonly string[] | undefined => {
    if (osFileRequired(path)) return undefined;
    const sections: string[] = [];
    for (const e of extractors) {
      if (!wantedBy(e, path, size, mode)) continue;
      if (!e.elfSections) return undefined;
      sections.push(...e.elfSections);
    }
    return sections.length > 0 ? sections : undefined;
  };

  // A source may hand over the next files before one is done; each file's findings, warnings
  // and OS file are kept apart and committed in the order the files were handed over, and the
  // source's own warnings wait for the files before them, so the result does not depend on
  // which read finished first.
  let committed: Promise<void> = Promise.resolve();
  const inTurn = (work: Promise<FileResult>): Promise<void> => {
    // A file that fails before its turn is not an unhandled rejection: its turn reports it.
    work.catch(() => undefined);
    const turn = committed.then(() => work).then((r) => {
      for (const f of r.found) found.push(f);
      for (const w of r.warnings) warnings.push(w);
      if (r.partial) partial = true;
      if (r.osFile) osFiles.set(r.osFile.path, r.osFile.data);
    });
    committed = turn.catch(() => undefined);
    return turn;
  };

  const runOne = async (e: Extractor, file: FileRef, history: readonly FileVersion[], view: FileView, out: FileResult): Promise<void> => {
    const { found, warnings } = out;
    const ref = extractorRef(e);
    const ctx = {
      signal,
      warn: (reason: string) => warnings.push({ extractor: ref, path: file.path, reason }),
      readFile: (p: string) => view.readFile(p),
    };
    let pkgs: FoundPackage[];
    try {
      pkgs = await collect(e, file, ctx);
    } catch (err) {
      if (signal?.aborted) throw err;
      warnings.push({ extractor: ref, path: file.path, reason: describeError(err) });
      out.partial = true;
      return;
    }
    // Attribute each package to the lowest layer from which it stayed in the file unbroken.
    const layerOf = new Map<string, string | undefined>();
    if (history.length > 0) {
      const quiet = { signal, warn: () => undefined, readFile: ctx.readFile };
      const older: { layer: string; keys: Set<string> }[] = [];
      for (const v of history) {
        const keys = new Set<string>();
        try {
          for (const p of await collect(e, bufferRef(file.path, v.data, v.layer), quiet)) keys.add(identity(p));
        } catch {
          // An older version that does not parse introduced nothing still present.
        }
        older.push({ layer: v.layer, keys });
      }
      for (const p of pkgs) {
        const key = identity(p);
        let layer = file.layer;
        for (let i = older.length - 1; i >= 0 && older[i].keys.has(key); i--) layer = older[i].layer;
        layerOf.set(key, layer);
      }
    }
    for (const pkg of pkgs) found.push({ pkg, extractor: e, location: file.path, layer: history.length > 0 ? layerOf.get(identity(pkg)) : file.layer });
  };

  const extractFile = async (file: FileRef, history: readonly FileVersion[], view: FileView): Promise<FileResult> => {
    signal?.throwIfAborted();
    const out: FileResult = { found: [], warnings: [], partial: false };
    if (osFileRequired(file.path) && file.size <= OS_FILE_LIMIT) out.osFile = { path: file.path, data: await file.read() };
    const oversize = file.size > limits.maxFileBytes;
    for (const e of extractors) {
      if (!e.fileRequired(file.path, file.size, file.mode)) continue;
      if (oversize && !e.seeksLargeFiles) {
        out.warnings.push({ extractor: extractorRef(e), path: file.path, reason: `not read: file is ${file.size} bytes, more than the limit of ${limits.maxFileBytes} (maxFileBytes)` });
        continue;
      }
      await runOne(e, file, history, view, out);
    }
    return out;
  };

  await source.walk(
    {
      wanted,
      mayWant,
      wantedBeyondLimit,
      elfSectionsOnly,
      warn: (w) => void inTurn(Promise.resolve({ found: [], warnings: [w], partial: false })),
      progress: opts.onProgress ? (n) => opts.onProgress!(n, source.totalBytes) : undefined,
      file: (file, history, view) => inTurn(extractFile(file, history, view)),
    },
    { signal, limits, ...(opts.prune ? { prune: opts.prune } : {}), ...(opts.mayList ? { mayList: opts.mayList } : {}) },
  );
  // Warnings the source gave after its last file.
  await committed;

  // A project directory or a lockfile has no operating system to find: no warning unless it holds OS packages.
  const osExpected = source.target.type !== 'dir' && source.target.type !== 'file';
  const detection = detectOs(
    osFiles,
    found.map((f) => f.pkg),
    osExpected,
  );
  if (detection.warning) warnings.push({ extractor: extractorRef(osReleaseDetector), path: detection.source, reason: detection.warning });
  const packages = completePackages(found, detection.os);
  return {
    schemaVersion: 1,
    target: source.target,
    os: detection.os,
    packages,
    warnings,
    partial,
    scannedAt: new Date().toISOString(),
  };
}

const OS_TYPES = new Set(['deb', 'rpm', 'apk']);
const DEFAULT_NAMESPACE: Record<string, string> = { deb: 'debian', apk: 'alpine', rpm: 'redhat', opkg: 'openwrt' };

/** The OSV ecosystem of a package, given the OS (distro packages take the OS's release). */
export function ecosystemFor(pkg: FoundPackage, os: OsInfo | undefined): string {
  if (OS_TYPES.has(pkg.purlType)) {
    const base = os?.ecosystem ? ECOSYSTEMS.find((e) => os.ecosystem === e.name || os.ecosystem!.startsWith(`${e.name}:`)) : undefined;
    return base && base.purlType === pkg.purlType ? os!.ecosystem! : '';
  }
  return pkg.ecosystem ?? languageEcosystemForPurlType(pkg.purlType)?.name ?? '';
}

/** The PURL of a found package: distro qualifiers for OS packages, as Syft and Trivy write them. */
export function purlFor(pkg: FoundPackage, os: OsInfo | undefined): string {
  const qualifiers: Record<string, string> = {};
  let namespace = pkg.namespace;
  if (OS_TYPES.has(pkg.purlType) || pkg.purlType === 'opkg') {
    const eco: EcosystemInfo | undefined = os?.ecosystem ? ECOSYSTEMS.find((e) => os.ecosystem === e.name || os.ecosystem!.startsWith(`${e.name}:`)) : undefined;
    namespace ??= eco && eco.purlType === pkg.purlType ? eco.purlNamespace : (os?.id ?? DEFAULT_NAMESPACE[pkg.purlType]);
    if (pkg.arch) qualifiers.arch = pkg.arch;
    if (os?.id) qualifiers.distro = os.versionId ? `${os.id}-${os.versionId}` : os.id;
    if (pkg.purlType === 'rpm') {
      const epoch = pkg.metadata?.epoch;
      if (epoch && epoch !== '0') qualifiers.epoch = epoch;
      if (pkg.metadata?.sourceRpm) qualifiers.upstream = pkg.metadata.sourceRpm;
    } else if (pkg.source && pkg.source.name !== pkg.name) {
      qualifiers.upstream = pkg.source.version !== pkg.version ? `${pkg.source.name}@${pkg.source.version}` : pkg.source.name;
    }
  }
  // rpm PURLs carry the epoch as a qualifier, not in the version.
  const version = pkg.purlType === 'rpm' ? pkg.version.replace(/^\d+:/, '') : pkg.version;
  let name = pkg.name;
  if (!OS_TYPES.has(pkg.purlType) && pkg.purlType !== 'opkg' && namespace) [namespace, name] = purlNameParts(pkg.purlType, namespace, pkg.name);
  try {
    return new PackageURL(pkg.purlType, namespace || undefined, name, version || undefined, Object.keys(qualifiers).length ? qualifiers : undefined, undefined).toString();
  } catch {
    // A name the PURL library refuses (e.g. empty after normalisation): keep a readable, escaped form.
    return `pkg:${encodeURIComponent(pkg.purlType)}/${namespace ? `${encodeURIComponent(namespace)}/` : ''}${encodeURIComponent(pkg.name)}${version ? `@${encodeURIComponent(version)}` : ''}`;
  }
}

/**
 * Splits a package's OSV name into PURL namespace and name: extractors keep the whole name
 * (`@babel/core`, `org.slf4j:slf4j-api`, `github.com/foo/bar`) and give the namespace apart.
 */
export function purlNameParts(purlType: string, namespace: string, name: string): [string, string] {
  if (purlType === 'npm') {
    const ns = namespace.startsWith('@') ? namespace : `@${namespace}`;
    return [ns, name.startsWith(`${ns}/`) ? name.slice(ns.length + 1) : name];
  }
  if (purlType === 'maven' && name.startsWith(`${namespace}:`)) return [namespace, name.slice(namespace.length + 1)];
  if (name.startsWith(`${namespace}/`)) return [namespace, name.slice(namespace.length + 1)];
  return [namespace, name];
}

/** The inverse of {@link purlNameParts}: the OSV name from a PURL's namespace and name. */
export function nameFromPurl(purlType: string, namespace: string | undefined, name: string): string {
  if (!namespace || OS_TYPES.has(purlType) || purlType === 'opkg') return name;
  if (purlType === 'maven') return `${namespace}:${name}`;
  return `${namespace}/${name}`;
}

function completePackages(found: Found[], os: OsInfo | undefined): Package[] {
  // Owners of the files language packages were found in: only those paths are looked up among
  // the tens of thousands an OS package database owns.
  const owners = new Map<string, OwnerRef | undefined>();
  for (const f of found) if (!OS_TYPES.has(f.pkg.purlType)) owners.set(f.location, undefined);
  if (owners.size > 0) {
    for (const f of found) {
      if (!OS_TYPES.has(f.pkg.purlType) || !f.pkg.ownedFiles) continue;
      const owner: OwnerRef = { purlType: f.pkg.purlType as OwnerRef['purlType'], name: f.pkg.name, version: f.pkg.version };
      for (const path of f.pkg.ownedFiles) if (owners.has(path) && !owners.get(path)) owners.set(path, owner);
    }
  }
  const seen = new Set<string>();
  const out: Package[] = [];
  for (const f of found) {
    const p = f.pkg;
    const purl = purlFor(p, os);
    const key = `${purl}\0${f.location}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const pkg: Package = {
      ecosystem: ecosystemFor(p, os),
      purlType: p.purlType,
      name: p.name,
      version: p.version,
      purl,
      locations: [f.location],
      extractor: extractorRef(f.extractor),
    };
    if (p.source) pkg.source = p.source;
    if (f.layer) pkg.layer = f.layer;
    if (p.arch) pkg.arch = p.arch;
    if (p.kernel) pkg.kernel = true;
    if (p.dev) pkg.dev = true;
    if (!OS_TYPES.has(p.purlType)) {
      const owner = owners.get(f.location);
      if (owner) pkg.ownedBy = owner;
    }
    if (p.metadata && Object.keys(p.metadata).length > 0) pkg.metadata = p.metadata;
    out.push(pkg);
  }
  out.sort((a, b) => cmp(a.purlType, b.purlType) || cmp(a.name, b.name) || cmp(a.version, b.version) || cmp(a.locations[0], b.locations[0]));
  return out;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
